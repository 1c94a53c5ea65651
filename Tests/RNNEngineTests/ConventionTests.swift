import Foundation
import XCTest
@testable import RNNEngine

/// What each convention decides: masked outputs, length 0, bidirectional stacking, what a framework can express,
/// and PyTorch's state layout.
final class ConventionTests: XCTestCase {
    func testRepeatLastValidCopiesTheLastValidOutputAndLeavesZerosWithoutOne() {
        // batch 3, time 3, width 1; lengths 2, 0, 5 (longer than max_time).
        let y: Tensor<Float> = tensor([3, 3, 1], [1, 2, 0, 0, 0, 0, 7, 8, 9])
        let keras = MaskedOutputRule.repeatLastValid.apply(to: y, sequenceLength: [2, 0, 5], timeMajor: false)
        XCTAssertEqual(keras.scalars, [1, 2, 2, 0, 0, 0, 7, 8, 9])
        let tm = MaskedOutputRule.repeatLastValid.apply(to: y.transposedFirstTwo(), sequenceLength: [2, 0, 5], timeMajor: true)
        XCTAssertEqual(tm.transposedFirstTwo().scalars, keras.scalars)
        XCTAssertEqual(MaskedOutputRule.zeros.apply(to: y, sequenceLength: [2, 0, 5], timeMajor: false), y)
        XCTAssertEqual(MaskedOutputRule.repeatLastValid.sourceStep(time: 4, length: 2), 1)
        XCTAssertNil(MaskedOutputRule.repeatLastValid.sourceStep(time: 0, length: 0))
        XCTAssertNil(MaskedOutputRule.zeros.sourceStep(time: 3, length: 2))
    }

    func testEachConventionsRules() {
        XCTAssertEqual(Convention.tf.maskedOutput(bidirectional: false), .zeros)
        XCTAssertEqual(Convention.torch.maskedOutput(bidirectional: false), .zeros)
        XCTAssertEqual(Convention.keras.maskedOutput(bidirectional: false), .repeatLastValid)
        XCTAssertEqual(Convention.keras.maskedOutput(bidirectional: true), .zeros)
        XCTAssertEqual(Convention.allCases.filter(\.refusesEmptySequences), [.torch])
        XCTAssertEqual(Convention.tf.bidirectionalStacking, .wholeStack)
        XCTAssertEqual(Convention.torch.bidirectionalStacking, .layerwise)
        XCTAssertTrue(Convention.keras.maskedStepDescription(bidirectional: false).contains("repeats"))
        XCTAssertTrue(Convention.torch.maskedStepDescription(bidirectional: false).contains("pad_packed_sequence"))
    }

    private func run(_ model: RNNModel, lengths: [Int]?, x: Tensor<Float>, seed: UInt64 = 4) throws -> ModelResult<Float> {
        try model.run(store: VariableStore(missing: .initialize(seed: seed)), inputs: x, sequenceLength: lengths)
    }

    /// Keras and TF agree on every valid step and on the state; on masked steps Keras repeats the last valid output.
    func testKerasDiffersFromTFOnlyOnMaskedSteps() throws {
        let cell = CellSpec.multi([.lstm(numUnits: 3, options: LSTMOptions(forgetBias: 0)), .gruResetAfter(numUnits: 2, activation: .tanh)])
        let x: Tensor<Float> = randomTensor([3, 5, 2], seed: 1)
        let lengths = [5, 2, 0]
        let tf = try run(RNNModel(cell: cell), lengths: lengths, x: x)
        let keras = try run(RNNModel(cell: cell, convention: .keras), lengths: lengths, x: x)
        XCTAssertEqual(tf.states[0], keras.states[0])
        for b in 0..<3 {
            for t in 0..<5 {
                let k = outputAt(keras.outputs[0], b: b, t: t), z = outputAt(tf.outputs[0], b: b, t: t)
                if t < lengths[b] {
                    XCTAssertEqual(k, z)
                } else {
                    XCTAssertEqual(z, [0, 0])
                    XCTAssertEqual(k, lengths[b] > 0 ? outputAt(tf.outputs[0], b: b, t: lengths[b] - 1) : [0, 0])
                }
            }
        }
        XCTAssertNotEqual(outputAt(keras.outputs[0], b: 1, t: 4), [0, 0])
    }

    func testTorchRefusesLengthZeroAsPackPaddedSequenceDoes() throws {
        let x: Tensor<Float> = randomTensor([2, 4, 3], seed: 2)
        let model = RNNModel(cell: .lstm(numUnits: 3, options: LSTMOptions(forgetBias: 0)), convention: .torch)
        assertThrowsCase(try run(model, lengths: [4, 0], x: x), "badSequenceLength") { e in
            guard case let .badSequenceLength(m) = e else { return false }
            return m.contains("sequence_length[1] = 0") && m.contains("pack_padded_sequence")
        }
        assertThrowsCase(try run(model, lengths: [5, 1], x: x), "badSequenceLength") { e in
            if case let .badSequenceLength(m) = e { return m.contains("longer than max_time = 4") }
            return false
        }
        var tf = model
        tf.convention = .tf
        XCTAssertNoThrow(try run(tf, lengths: [4, 0], x: x))
        XCTAssertNoThrow(try run(model, lengths: [4, 1], x: x))
    }

    func testWhatEachFrameworkCannotExpressIsRefusedWithTheReason() {
        func reason(_ m: RNNModel) -> String? {
            do { try m.validate(); return nil } catch { return "\(error)" }
        }
        XCTAssertTrue(reason(RNNModel(cell: .gru(numUnits: 3, activation: .tanh), convention: .torch))?.contains("reset_after") == true)
        XCTAssertNil(reason(RNNModel(cell: .gru(numUnits: 3, activation: .tanh), convention: .keras)))
        XCTAssertTrue(reason(RNNModel(cell: .lstm(numUnits: 3, options: LSTMOptions()), convention: .keras))?.contains("forget_bias") == true)
        XCTAssertTrue(reason(RNNModel(cell: .lstm(numUnits: 3, options: LSTMOptions(usePeepholes: true, forgetBias: 0)), convention: .torch))?.contains("peepholes") == true)
        XCTAssertTrue(reason(RNNModel(cell: .lstm(numUnits: 3, options: LSTMOptions(numProj: 2, forgetBias: 0)), convention: .keras))?.contains("num_proj") == true)
        XCTAssertNil(reason(RNNModel(cell: .lstm(numUnits: 3, options: LSTMOptions(numProj: 2, forgetBias: 0)), convention: .torch)))
        XCTAssertTrue(reason(RNNModel(cell: .multi([.basicRNN(numUnits: 3, activation: .tanh), .basicRNN(numUnits: 4, activation: .tanh)]),
                                      convention: .torch))?.contains("same type, hidden size") == true)
        XCTAssertTrue(reason(RNNModel(cell: .basicRNN(numUnits: 3, activation: .elu), convention: .torch))?.contains("tanh or relu") == true)
        XCTAssertTrue(reason(RNNModel(cell: .multi([.basicRNN(numUnits: 3, activation: .tanh), .basicRNN(numUnits: 3, activation: .tanh)]),
                                      bidirectional: true, convention: .keras))?.contains("single layer") == true)
        XCTAssertTrue(reason(RNNModel(cell: .residual(.basicRNN(numUnits: 3, activation: .tanh)), convention: .keras))?.contains("ResidualWrapper") == true)
        XCTAssertNil(reason(RNNModel(cell: .residual(.basicRNN(numUnits: 3, activation: .tanh)))))
    }

    /// PyTorch's layer-wise bidirectional stack: layer 1 reads 2 × hidden; scopes are stack_bidirectional_dynamic_rnn's.
    func testLayerwiseBidirectionalLayers() throws {
        let lstm = CellSpec.lstm(numUnits: 3, options: LSTMOptions(forgetBias: 0))
        let torch = RNNModel(cell: .multi([lstm, lstm]), bidirectional: true, convention: .torch)
        let layers = torch.layers(inputDepth: 2)
        XCTAssertEqual(layers.map(\.inputDepth), [2, 6, 2, 6])
        XCTAssertEqual(layers.map(\.direction), [.forward, .forward, .backward, .backward])
        XCTAssertEqual(layers[3].scope, "stack_bidirectional_rnn/cell_1/bidirectional_rnn/bw")
        let tf = RNNModel(cell: .multi([lstm, lstm]), bidirectional: true)
        XCTAssertEqual(tf.layers(inputDepth: 2).map(\.inputDepth), [2, 3, 2, 3])
        XCTAssertEqual(tf.layers(inputDepth: 2)[3].scope, "bidirectional_rnn/bw/multi_rnn_cell/cell_1")

        let x: Tensor<Float> = randomTensor([3, 4, 2], seed: 5)
        let r = try run(torch, lengths: [4, 1, 3], x: x)
        let named = try r.namedTensors()
        XCTAssertEqual(named.map(\.name), ["output", "h_n", "c_n"])
        XCTAssertEqual(named[0].tensor.shape, [3, 4, 6])
        XCTAssertEqual(named[1].tensor.shape, [4, 3, 3])
        // h_n[2] is layer 1 forward: the forward half of the output at each row's last valid step.
        for (b, l) in [4, 1, 3].enumerated() {
            XCTAssertEqual(Array(outputAt(named[0].tensor, b: b, t: l - 1)[0..<3]), Array(named[1].tensor.scalars[(2 * 9 + b * 3)..<(2 * 9 + b * 3 + 3)]))
        }
        // h_n[3] is layer 1 backward: the backward half of the output at t = 0.
        for b in 0..<3 {
            XCTAssertEqual(Array(outputAt(named[0].tensor, b: b, t: 0)[3..<6]), Array(named[1].tensor.scalars[(3 * 9 + b * 3)..<(3 * 9 + b * 3 + 3)]))
        }
    }

    func testTorchStateLayoutSplitsAndStacksBack() throws {
        let lstm = CellSpec.lstm(numUnits: 4, options: LSTMOptions(numProj: 2, forgetBias: 0))
        let model = RNNModel(cell: .multi([lstm, lstm]), bidirectional: true, convention: .torch)
        let h0: Tensor<Double> = randomTensor([4, 3, 2], seed: 1), c0: Tensor<Double> = randomTensor([4, 3, 4], seed: 2)
        let states = try TorchStateLayout.split(h0: h0, c0: c0, model: model, batch: 3)
        XCTAssertEqual(states.count, 2)
        guard case let .tuple(layers) = states[1], case let .lstm(c, h) = layers[1] else { return XCTFail("structure \(states[1].structureDescription)") }
        XCTAssertEqual(h.scalars, Array(h0.scalars[18..<24]))      // index 3 = layer 1 backward
        XCTAssertEqual(c.scalars, Array(c0.scalars[36..<48]))
        let back = try TorchStateLayout.stack(states, model: model)
        XCTAssertEqual(back.h, h0)
        XCTAssertEqual(back.c, c0)
        assertThrowsCase(try TorchStateLayout.split(h0: h0, c0: nil, model: model, batch: 3), "c_0 missing") { "\($0)".contains("c_0 is missing") }
        assertThrowsCase(try TorchStateLayout.split(h0: c0, c0: c0, model: model, batch: 3), "h_0 shape") {
            "\($0)".contains("h_0: expected shape [4, 3, 2]")
        }
    }
}

/// The comparison a port-debugging view opens first: the same cells under two conventions' rules.
final class ConventionComparisonTests: XCTestCase {
    let x: Tensor<Float> = randomTensor([3, 5, 2], seed: 11)

    func testKerasAgainstTFDiffersExactlyOnMaskedSteps() throws {
        let model = RNNModel(cell: .multi([.lstm(numUnits: 3, options: LSTMOptions()), .gru(numUnits: 2, activation: .tanh)]))
        let lengths = [5, 2, 4]
        let c = try ConventionComparison(model: model, .keras, .tf, store: VariableStore(missing: .initialize(seed: 2)),
                                         inputs: x, sequenceLength: lengths)
        XCTAssertEqual(c.firstDifference, .init(time: 2, example: 1, direction: .forward, unit: 0))
        XCTAssertEqual(c.summary, "first difference at t=2, example 1: past the example's length 2, Keras repeats the output of t=1, TensorFlow (dynamic_rnn) emits zeros")
        let d = c.difference[0]
        for b in 0..<3 {
            for t in 0..<5 {
                let diff = outputAt(d, b: b, t: t)
                if t < lengths[b] { XCTAssertEqual(diff, [0, 0], "valid step b \(b) t \(t): exactly zero") } else {
                    XCTAssertEqual(diff, outputAt(c.results.0.outputs[0], b: b, t: lengths[b] - 1).map(abs))
                }
            }
        }
        // The cells are TF's own (forget_bias 1, TF 1's GRU): rules only, so the keras run needs no conversion.
        XCTAssertEqual(c.results.0.states[0], c.results.1.states[0])
    }

    func testTFAndTorchAgreeOnAUnidirectionalRunAndRefuseWhatTheyCannotShare() throws {
        let lstm = CellSpec.lstm(numUnits: 3, options: LSTMOptions())
        let store = VariableStore<Float>(missing: .initialize(seed: 3))
        let same = try ConventionComparison(model: RNNModel(cell: lstm), .tf, .torch, store: store, inputs: x, sequenceLength: [5, 1, 3])
        XCTAssertNil(same.firstDifference)
        XCTAssertEqual(same.summary, "TensorFlow (dynamic_rnn) and PyTorch give the same outputs here")
        assertThrowsCase(try ConventionComparison(model: RNNModel(cell: lstm), .tf, .torch, store: store, inputs: x, sequenceLength: [5, 0, 3]),
                         "badSequenceLength") { "\($0)".contains("pack_padded_sequence") }
        assertThrowsCase(try ConventionComparison(model: RNNModel(cell: .multi([lstm, lstm]), bidirectional: true), .tf, .torch,
                                                  store: store, inputs: x, sequenceLength: [5, 1, 3]), "invalidArgument") {
            "\($0)".contains("compose a bidirectional stack differently")
        }
        // One bidirectional layer composes the same way in both: they agree.
        let bi = try ConventionComparison(model: RNNModel(cell: lstm, bidirectional: true), .torch, .tf, store: store, inputs: x,
                                          sequenceLength: [5, 1, 3])
        XCTAssertEqual(bi.difference.count, 2)
        XCTAssertNil(bi.firstDifference)
    }

    /// Issue 21, item 1: directions of different widths (LSTM(4) forward, GRU(3) backward, as in
    /// `samples/bidirectional.json`) are each searched at their own width, to the end when the runs agree (Keras'
    /// `Bidirectional` zeroes masked steps as TF does); the search used the forward width for both and trapped.
    func testBidirectionalDirectionsOfDifferentWidths() throws {
        let model = RNNModel(cell: .lstm(numUnits: 4, options: LSTMOptions()), cellBackward: .gru(numUnits: 3, activation: .tanh),
                             bidirectional: true)
        let x: Tensor<Float> = randomTensor([3, 6, 2], seed: 5)
        let store = VariableStore<Float>(missing: .initialize(seed: 4))
        for lengths in [[6, 6, 6], [6, 4, 2]] {
            for (first, second) in [(Convention.keras, Convention.tf), (.tf, .keras)] {
                let c = try ConventionComparison(model: model, first, second, store: store, inputs: x, sequenceLength: lengths)
                XCTAssertEqual(c.difference.map(\.shape), [[3, 6, 4], [3, 6, 3]])
                XCTAssertNil(c.firstDifference, "lengths \(lengths)")
                XCTAssertEqual(c.results.0.outputs.map(\.shape), [[3, 6, 4], [3, 6, 3]])
            }
        }
    }
}
