import XCTest
@testable import RNNEngine
import TestSupport

/// `sequence_length` semantics with random weights and inputs: zero outputs past a row's length, the state
/// copied through, the loop bound, layouts and row independence.
final class MaskingTests: XCTestCase {
    static let specs: [CellSpec] = [
        .basicRNN(numUnits: 3, activation: .tanh),
        .basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh),
        .lstm(numUnits: 3, options: LSTMOptions(usePeepholes: true, cellClip: 1.5, numProj: 2)),
        .gru(numUnits: 3, activation: .tanh),
        .multi([.gru(numUnits: 4, activation: .relu), .basicLSTM(numUnits: 2, forgetBias: 0.5, activation: .tanh)]),
    ]
    static let batch = 4, time = 6, depth = 3

    func makeCell<S: RNNScalar>(_ spec: CellSpec, seed: UInt64 = 77, as _: S.Type = S.self) throws -> any RNNCell<S> {
        try spec.makeCell(store: VariableStore<S>(missing: .initialize(seed: seed)))
    }

    func tol<S: RNNScalar>(_: S.Type) -> Double { S.self == Float.self ? 1e-5 : 1e-12 }

    func outputsZeroPastLengthAndStateIsLastStep<S: RNNScalar>(_: S.Type) throws {
        let lengths = [6, 3, 1, 4]
        for spec in Self.specs {
            let x: Tensor<S> = randomTensor([Self.batch, Self.time, Self.depth], seed: 1)
            let initState = randomState(spec.stateSize, batch: Self.batch, seed: 2, as: S.self)
            let loop = try UnrolledLoop(cell: makeCell(spec, as: S.self), inputs: .leaf(x), sequenceLength: lengths,
                                        initialState: initState, dtype: nil, timeMajor: false, scope: "rnn")
            var states: [Nest<Tensor<S>>] = []
            let r = try loop.run { _, _, s in states.append(s) }
            XCTAssertEqual(r.outputs.shape, [Self.batch, Self.time, spec.outputSize])
            for (b, len) in lengths.enumerated() {
                for t in 0..<Self.time {
                    let o = outputAt(r.outputs, b: b, t: t)
                    if t >= len {
                        XCTAssertTrue(o.allSatisfy { $0 == 0 }, "\(spec.summary) row \(b) t \(t): \(o)")
                    } else {
                        XCTAssertTrue(o.contains { $0 != 0 }, "\(spec.summary) row \(b) t \(t) ran")
                    }
                }
                // The final state is exactly the state after step len-1 of the same run.
                XCTAssertEqual(stateRow(r.state, b), stateRow(states[len - 1], b), "\(spec.summary) row \(b)")
                // And it equals a run over that row alone, truncated to its length, without lengths.
                let alone = try dynamicRNN(cell: makeCell(spec, as: S.self), inputs: rowPrefix(x, row: b, steps: len),
                                           initialState: stateRow(initState, b))
                assertNestClose(stateRow(r.state, b), alone.state, tol: tol(S.self), "\(spec.summary) row \(b)")
                for t in 0..<len {
                    assertClose(try Tensor(shape: [spec.outputSize], scalars: outputAt(r.outputs, b: b, t: t)),
                                try Tensor(shape: [spec.outputSize], scalars: outputAt(alone.outputs, b: 0, t: t)),
                                tol: tol(S.self), "\(spec.summary) row \(b) t \(t)")
                }
            }
        }
    }

    func testOutputsZeroPastLengthAndFinalStateIsLastStep() throws {
        try outputsZeroPastLengthAndStateIsLastStep(Float.self)
        try outputsZeroPastLengthAndStateIsLastStep(Double.self)
    }

    func testZeroAndNegativeLengthsKeepTheInitialStateExactly() throws {
        for spec in Self.specs {
            let x: Tensor<Double> = randomTensor([3, Self.time, Self.depth], seed: 3)
            let initState = randomState(spec.stateSize, batch: 3, seed: 4, as: Double.self)
            let r = try dynamicRNN(cell: makeCell(spec, as: Double.self), inputs: x, sequenceLength: [0, 2, -3],
                                   initialState: initState)
            XCTAssertEqual(stateRow(r.state, 0), stateRow(initState, 0), "\(spec.summary): length 0")
            XCTAssertEqual(stateRow(r.state, 2), stateRow(initState, 2), "\(spec.summary): negative length")
            XCTAssertNotEqual(stateRow(r.state, 1), stateRow(initState, 1), "\(spec.summary): length 2 changes the state")
            for t in 0..<Self.time {
                XCTAssertEqual(outputAt(r.outputs, b: 0, t: t), Array(repeating: 0, count: spec.outputSize))
                XCTAssertEqual(outputAt(r.outputs, b: 2, t: t), Array(repeating: 0, count: spec.outputSize))
            }
            // All rows empty: the loop still runs one step (TF's max(1, max_len)), and nothing changes.
            let loop = try UnrolledLoop(cell: makeCell(spec, as: Double.self), inputs: .leaf(x), sequenceLength: [0, 0, -1],
                                        initialState: initState, dtype: nil, timeMajor: false, scope: "rnn")
            XCTAssertEqual(loop.loopBound, 1)
            let all = try loop.run()
            XCTAssertEqual(all.state, initState)
            XCTAssertTrue(all.outputs.scalars.allSatisfy { $0 == 0 })
        }
    }

    func testLengthsAtOrAboveMaxTimeNeverMask() throws {
        for spec in Self.specs {
            let x: Tensor<Float> = randomTensor([Self.batch, Self.time, Self.depth], seed: 5)
            let plain = try dynamicRNN(cell: makeCell(spec, as: Float.self), inputs: x, dtype: .float32)
            let long = try dynamicRNN(cell: makeCell(spec, as: Float.self), inputs: x,
                                      sequenceLength: [Self.time, Self.time + 1, 1000, Int(Int32.max)], dtype: .float32)
            XCTAssertEqual(long.outputs, plain.outputs, spec.summary)
            XCTAssertEqual(long.state, plain.state, spec.summary)
        }
    }

    func testLoopBoundIsMaxLengthAndLaterOutputsAreZero() throws {
        let spec = CellSpec.basicLSTM(numUnits: 2, forgetBias: 1, activation: .tanh)
        let x: Tensor<Double> = randomTensor([3, Self.time, Self.depth], seed: 6)
        let lengths = [2, 3, 1]
        let loop = try UnrolledLoop(cell: makeCell(spec, as: Double.self), inputs: .leaf(x), sequenceLength: lengths,
                                    initialState: nil, dtype: .float64, timeMajor: false, scope: "rnn")
        XCTAssertEqual(loop.loopBound, 3)
        var steps: [Int] = []
        var states: [Nest<Tensor<Double>>] = []
        let r = try loop.run { t, _, s in steps.append(t); states.append(s) }
        XCTAssertEqual(steps, [0, 1, 2], "the loop stops after max(sequence_length) steps")
        for b in 0..<3 {
            for t in 3..<Self.time { XCTAssertEqual(outputAt(r.outputs, b: b, t: t), [0, 0]) }
            XCTAssertEqual(stateRow(r.state, b), stateRow(states[lengths[b] - 1], b))
        }
        // Inputs past the bound cannot matter: change them and nothing moves.
        var y = x
        for b in 0..<3 { for t in 3..<Self.time { for k in 0..<Self.depth { y[b, t, k] = 99 } } }
        let r2 = try dynamicRNN(cell: makeCell(spec, as: Double.self), inputs: y, sequenceLength: lengths, dtype: .float64)
        XCTAssertEqual(r2.outputs, r.outputs)
        XCTAssertEqual(r2.state, r.state)
        // Inputs past a row's own length do not matter either (row 2 has length 1; change its step 1).
        var z = x
        z[2, 1, 0] = -50
        let r3 = try dynamicRNN(cell: makeCell(spec, as: Double.self), inputs: z, sequenceLength: lengths, dtype: .float64)
        XCTAssertEqual(r3.outputs, r.outputs)
        XCTAssertEqual(r3.state, r.state)
    }

    func testTimeMajorIsTheTransposeOfBatchMajor() throws {
        for spec in Self.specs {
            let x: Tensor<Float> = randomTensor([Self.batch, Self.time, Self.depth], seed: 7)
            let lengths = [5, 6, 0, 2]
            let bm = try dynamicRNN(cell: makeCell(spec, as: Float.self), inputs: x, sequenceLength: lengths, dtype: .float32)
            let tm = try dynamicRNN(cell: makeCell(spec, as: Float.self), inputs: x.transposedFirstTwo(), sequenceLength: lengths,
                                    dtype: .float32, timeMajor: true)
            XCTAssertEqual(tm.outputs.shape, [Self.time, Self.batch, spec.outputSize])
            XCTAssertEqual(tm.outputs.transposedFirstTwo(), bm.outputs, spec.summary)
            XCTAssertEqual(tm.state, bm.state, spec.summary)
        }
    }

    func testRowsAreIndependentOfOtherRows() throws {
        for spec in Self.specs {
            let x: Tensor<Double> = randomTensor([Self.batch, Self.time, Self.depth], seed: 8)
            let lengths = [6, 2, 4, 5]
            let base = try dynamicRNN(cell: makeCell(spec, as: Double.self), inputs: x, sequenceLength: lengths, dtype: .float64)
            // Change every other row's inputs and lengths; row 0 must not move.
            var y = x
            for b in 1..<Self.batch { for t in 0..<Self.time { for k in 0..<Self.depth { y[b, t, k] = Double(b * t) - 3.5 + Double(k) } } }
            let other = try dynamicRNN(cell: makeCell(spec, as: Double.self), inputs: y, sequenceLength: [6, 1, 0, 3], dtype: .float64)
            for t in 0..<Self.time { XCTAssertEqual(outputAt(other.outputs, b: 0, t: t), outputAt(base.outputs, b: 0, t: t)) }
            XCTAssertEqual(stateRow(other.state, 0), stateRow(base.state, 0), spec.summary)
            // And a batch of row 0 alone gives the same numbers (up to the product's rounding).
            let alone = try dynamicRNN(cell: makeCell(spec, as: Double.self), inputs: rowPrefix(x, row: 0, steps: Self.time), dtype: .float64)
            assertNestClose(alone.state, stateRow(base.state, 0), tol: 1e-12, spec.summary)
        }
    }

    /// A user-defined cell taking two inputs: it sums them into its state. Shows the protocol can be implemented
    /// outside the engine and that nested inputs reach the cell step by step.
    final class SumCell: RNNCell {
        typealias Scalar = Double
        let units: Int
        var builtScope: String?
        var builtDepths: Nest<Int>?
        init(units: Int) { self.units = units }
        var stateSize: Nest<Int> { .leaf(units) }
        var outputSize: Int { units }
        var name: String { "sum_cell" }
        func build(inputDepth: Int, scope: String) throws { builtScope = scope }
        func build(inputDepths: Nest<Int>, scope: String) throws {
            builtDepths = inputDepths
            try build(inputDepth: 0, scope: scope)
        }
        func call(_ input: Nest<Tensor<Double>>, state: Nest<Tensor<Double>>,
                  context: StepContext<Double>) throws -> (output: Tensor<Double>, state: Nest<Tensor<Double>>) {
            guard case let .tuple(items) = input, items.count == 2, case let .leaf(a) = items[0], case let .leaf(b) = items[1],
                  case let .leaf(h) = state else { throw RNNError.invalidArgument("SumCell wants (a, b)") }
            var out = h
            for k in out.scalars.indices { out.scalars[k] += a.scalars[k] + 10 * b.scalars[k] }
            return (out, .leaf(out))
        }
    }

    func testNestedInputsWithCustomCell() throws {
        // a: [batch 2, time 3, 2], b: [2, 3, 2]; the cell keeps a running sum of a + 10·b.
        let a: Tensor<Double> = tensor([2, 3, 2], [1, 2, 3, 4, 5, 6, /* row 1 */ 0.5, 0.5, 1, 1, 2, 2])
        let b: Tensor<Double> = tensor([2, 3, 2], [0.1, 0, 0, 0.1, 0.2, 0.2, /* row 1 */ 1, 0, 0, 1, 0, 0])
        let cell = SumCell(units: 2)
        let r = try dynamicRNN(cell: cell, inputs: .tuple([.leaf(a), .leaf(b)]), sequenceLength: [3, 2], dtype: .float64, scope: "mine")
        XCTAssertEqual(cell.builtScope, "mine")
        XCTAssertEqual(cell.builtDepths, .tuple([.leaf(2), .leaf(2)]), "a nested-input cell sees each input's depth")
        // Row 0: (2, 2), (5, 7), (12, 15). Row 1: (10.5, 0.5), (11.5, 11.5), then masked.
        assertClose(r.outputs, [2, 2, 5, 7, 12, 15, 10.5, 0.5, 11.5, 11.5, 0, 0], tol: 1e-12)
        assertClose(try XCTUnwrap(r.state.flattened.first), [12, 15, 11.5, 11.5], tol: 1e-12)
        // Time-major nested inputs give the transposed outputs.
        let tm = try dynamicRNN(cell: SumCell(units: 2), inputs: .tuple([.leaf(a.transposedFirstTwo()), .leaf(b.transposedFirstTwo())]),
                                sequenceLength: [3, 2], dtype: .float64, timeMajor: true)
        XCTAssertEqual(tm.outputs.transposedFirstTwo(), r.outputs)
    }
}
