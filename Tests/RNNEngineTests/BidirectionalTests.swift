import XCTest
@testable import RNNEngine

/// `reverse_sequence` and `bidirectional_dynamic_rnn`.
final class BidirectionalTests: XCTestCase {
    /// x[b, t, k] = 100·b + 10·t + k, so every element names its own position.
    func positions(batch: Int, time: Int, depth: Int) -> Tensor<Double> {
        var x = Tensor<Double>(zeros: [batch, time, depth])
        for b in 0..<batch { for t in 0..<time { for k in 0..<depth { x[b, t, k] = Double(100 * b + 10 * t + k) } } }
        return x
    }

    func testReverseWithinEachLength() throws {
        let x = positions(batch: 3, time: 4, depth: 2)
        let r = try reverseSequence(x, lengths: [3, 4, 2], timeMajor: false)
        for (b, len) in [3, 4, 2].enumerated() {
            for t in 0..<4 {
                let src = t < len ? len - 1 - t : t
                for k in 0..<2 { XCTAssertEqual(r[b, t, k], Double(100 * b + 10 * src + k), "b \(b) t \(t)") }
            }
        }
        // Twice is the identity.
        XCTAssertEqual(try reverseSequence(r, lengths: [3, 4, 2], timeMajor: false), x)
    }

    func testLengthsZeroAndOneAreNoOps() throws {
        let x = positions(batch: 2, time: 3, depth: 1)
        XCTAssertEqual(try reverseSequence(x, lengths: [0, 1], timeMajor: false), x)
    }

    func testWithoutLengthsReversesWholeRows() throws {
        let x = positions(batch: 2, time: 5, depth: 3)
        let r = try reverseSequence(x, lengths: nil, timeMajor: false)
        for b in 0..<2 { for t in 0..<5 { for k in 0..<3 { XCTAssertEqual(r[b, t, k], x[b, 4 - t, k]) } } }
        XCTAssertEqual(try reverseSequence(x, lengths: [5, 5], timeMajor: false), r)
    }

    func testTimeMajorReverse() throws {
        let x = positions(batch: 3, time: 4, depth: 2)
        let lengths = [2, 0, 4]
        let bm = try reverseSequence(x, lengths: lengths, timeMajor: false)
        let tm = try reverseSequence(x.transposedFirstTwo(), lengths: lengths, timeMajor: true)
        XCTAssertEqual(tm.transposedFirstTwo(), bm)
    }

    func testReverseErrors() throws {
        let x = positions(batch: 2, time: 3, depth: 1)
        assertThrowsCase(try reverseSequence(x, lengths: [4, 1], timeMajor: false), "badSequenceLength", "length > max_time") {
            if case .badSequenceLength = $0 { return true }; return false
        }
        assertThrowsCase(try reverseSequence(x, lengths: [1, -1], timeMajor: false), "badSequenceLength", "negative") {
            if case .badSequenceLength = $0 { return true }; return false
        }
        assertThrowsCase(try reverseSequence(x, lengths: [1], timeMajor: false), "badSequenceLength", "count") {
            if case .badSequenceLength = $0 { return true }; return false
        }
        assertThrows(.inputRankTooLow(path: "", shape: [2, 3]), try reverseSequence(Tensor<Double>(zeros: [2, 3]), lengths: nil, timeMajor: false))
        // Through the bidirectional RNN too (TF's reverse_sequence raises InvalidArgument for these).
        let s = VariableStore<Double>()
        assertThrowsCase(try bidirectionalDynamicRNN(cellForward: BasicRNNCell(numUnits: 2, store: s), cellBackward: BasicRNNCell(numUnits: 2, store: s),
                                                     inputs: .leaf(x), sequenceLength: [2, -1], dtype: .float64), "badSequenceLength") {
            if case .badSequenceLength = $0 { return true }; return false
        }
    }

    func testBackwardOutputIsTheBackwardCellOnReversedInputs() throws {
        for timeMajor in [false, true] {
            let lengths = [5, 3, 0, 1]
            let xb: Tensor<Double> = randomTensor([4, 5, 3], seed: 90)
            let x = timeMajor ? xb.transposedFirstTwo() : xb
            let specFw = CellSpec.gru(numUnits: 3, activation: .tanh)
            let specBw = CellSpec.basicLSTM(numUnits: 2, forgetBias: 1, activation: .tanh)
            let store = VariableStore<Double>(missing: .initialize(seed: 5))
            let bi = try bidirectionalDynamicRNN(cellForward: specFw.makeCell(store: store), cellBackward: specBw.makeCell(store: store),
                                                 inputs: .leaf(x), sequenceLength: lengths, dtype: .float64, timeMajor: timeMajor)
            // Variables live under bidirectional_rnn/fw and bidirectional_rnn/bw.
            let names = Set(store.requests.map(\.name))
            XCTAssertTrue(names.contains("bidirectional_rnn/fw/gru_cell/gates/kernel"), "\(names)")
            XCTAssertTrue(names.contains("bidirectional_rnn/bw/basic_lstm_cell/kernel"), "\(names)")

            // Forward: a plain dynamic_rnn under the fw scope, same store.
            let fw = try dynamicRNN(cell: specFw.makeCell(store: store), inputs: x, sequenceLength: lengths, dtype: .float64,
                                    timeMajor: timeMajor, scope: "bidirectional_rnn/fw")
            XCTAssertEqual(bi.outputsForward, fw.outputs)
            XCTAssertEqual(bi.stateForward, fw.state)

            // Backward: reverse each row within its length by hand, run, reverse back by hand.
            var rev = xb
            for (b, len) in lengths.enumerated() { for t in 0..<len { for k in 0..<3 { rev[b, t, k] = xb[b, len - 1 - t, k] } } }
            let bw = try dynamicRNN(cell: specBw.makeCell(store: store), inputs: timeMajor ? rev.transposedFirstTwo() : rev,
                                    sequenceLength: lengths, dtype: .float64, timeMajor: timeMajor, scope: "bidirectional_rnn/bw")
            let bwOut = timeMajor ? bw.outputs.transposedFirstTwo() : bw.outputs
            var back = bwOut
            for (b, len) in lengths.enumerated() { for t in 0..<len { for k in 0..<2 { back[b, t, k] = bwOut[b, len - 1 - t, k] } } }
            let biBw = timeMajor ? bi.outputsBackward.transposedFirstTwo() : bi.outputsBackward
            XCTAssertEqual(biBw, back, "timeMajor \(timeMajor)")
            XCTAssertEqual(bi.stateBackward, bw.state)
            // The backward output at t = 0 is the backward cell's last step, which has seen the whole row.
            XCTAssertEqual(outputAt(biBw, b: 1, t: 0), outputAt(bwOut, b: 1, t: 2))
            // Past each length the backward outputs are zero.
            for (b, len) in lengths.enumerated() { for t in len..<5 { XCTAssertEqual(outputAt(biBw, b: b, t: t), [0, 0]) } }
        }
    }

    func testBackwardWithoutLengthsIsAFullReverse() throws {
        let x: Tensor<Float> = randomTensor([2, 4, 2], seed: 91)
        let s1 = VariableStore<Float>(missing: .initialize(seed: 1))
        let bi = try bidirectionalDynamicRNN(cellForward: BasicRNNCell(numUnits: 2, store: s1), cellBackward: BasicRNNCell(numUnits: 2, store: s1),
                                             inputs: .leaf(x), dtype: .float32)
        let rev = try reverseSequence(x, lengths: nil, timeMajor: false)
        let bw = try dynamicRNN(cell: BasicRNNCell(numUnits: 2, store: s1), inputs: rev, dtype: .float32, scope: "bidirectional_rnn/bw")
        XCTAssertEqual(bi.outputsBackward, try reverseSequence(bw.outputs, lengths: nil, timeMajor: false))
        XCTAssertEqual(bi.stateBackward, bw.state)
        XCTAssertNotEqual(bi.outputsForward, bi.outputsBackward)
    }
}
