import Foundation
import XCTest
@testable import RNNEngine

/// `WeightGradientTrace`: each step's contribution to each weight block's gradient, from the recorded frames.
final class WeightGradientTraceTests: XCTestCase {
    /// A tanh RNN with one unit and one input, three steps, `L = h_2`, derived by hand:
    /// `h_t = tanh(wx·x_t + wh·h_{t−1} + b)`, `δ_2 = 1 − h_2²`, `δ_t = δ_{t+1}·wh·(1 − h_t²)`, and step t adds
    /// `x_t·δ_t` to `Wx`, `h_{t−1}·δ_t` to `Wh` and `δ_t` to `b` (so `Wh` gets nothing from t=0: `h_{−1} = 0`).
    func testHandDerivedContributionsOfATanhRNN() throws {
        let (wx, wh, b) = (0.7, -1.3, 0.2)
        let x = [0.5, -1.0, 2.0]
        let store = VariableStore<Double>(arrays: ["rnn/basic_rnn_cell/kernel": tensor([2, 1], [wx, wh]),
                                                   "rnn/basic_rnn_cell/bias": tensor([1], [b])])
        let cell = try CellSpec.basicRNN(numUnits: 1, activation: .tanh).makeCell(store: store)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(tensor([1, 3, 1], x)), sequenceLength: nil,
                                    initialState: nil, dtype: .float64, timeMajor: false, scope: "rnn")
        let run = try GradientRun(loop: loop, loss: .outputUnit(example: 0, step: 2, unit: 0))
        run.compute()
        let trace = try XCTUnwrap(try run.weightGradientTrace())

        var h = [0.0]  // h_{-1}, h_0, h_1, h_2 at h[t + 1]
        for t in 0..<3 { h.append(Foundation.tanh(wx * x[t] + wh * h[t] + b)) }
        var delta = [0.0, 0.0, 1 - h[3] * h[3]]
        delta[1] = delta[2] * wh * (1 - h[2] * h[2])
        delta[0] = delta[1] * wh * (1 - h[1] * h[1])

        XCTAssertEqual(trace.times, [2, 1, 0], "added in the sweep's order")
        XCTAssertEqual(trace.blocks.map(\.label), ["Wx", "Wh", "b"])
        XCTAssertEqual(trace.blocks.map(\.variable), ["rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias"])
        var sums = [0.0, 0.0, 0.0]
        for t in [2, 1, 0] {
            let step = [x[t] * delta[t], h[t] * delta[t], delta[t]]
            for k in 0..<3 { sums[k] += step[k] }
            let got = try XCTUnwrap(trace.contribution(at: t)), running = try XCTUnwrap(trace.runningSum(at: t))
            for k in 0..<3 {
                XCTAssertEqual(got[k], abs(step[k]), accuracy: 1e-14, "t=\(t) \(trace.blocks[k].label)")
                XCTAssertEqual(running[k], abs(sums[k]), accuracy: 1e-14, "t=\(t) running \(trace.blocks[k].label)")
            }
        }
        XCTAssertEqual(try XCTUnwrap(trace.contribution(at: 0))[1], 0, "the recurrent kernel learns nothing at t=0")
        let kernel = try XCTUnwrap(trace.total("rnn/basic_rnn_cell/kernel"))
        XCTAssertEqual(kernel.values[0], sums[0], accuracy: 1e-14)
        XCTAssertEqual(kernel.values[1], sums[1], accuracy: 1e-14)
        XCTAssertEqual(try XCTUnwrap(trace.total("rnn/basic_rnn_cell/bias")).values[0], sums[2], accuracy: 1e-14)
    }

    /// An LSTM's kernel splits into the gates `i, j, f, o` (TF's column order), each in an `x` and an `h` part, and
    /// its bias by gate: the blocks cover the variable exactly (their squared norms add up to the whole's).
    func testLSTMBlocksPartitionTheKernelByGate() throws {
        let store = VariableStore<Double>(missing: .initialize(seed: 3))
        let cell = try CellSpec.lstm(numUnits: 3, options: LSTMOptions()).makeCell(store: store)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(randomTensor([2, 5, 2], seed: 5)), sequenceLength: [5, 3],
                                    initialState: nil, dtype: .float64, timeMajor: false, scope: "rnn")
        let run = try GradientRun(loop: loop, loss: .sumOfOutputs)
        run.compute()
        let trace = try XCTUnwrap(try run.weightGradientTrace())
        let labels = trace.displayOrder(layer: 0).map { trace.blocks[$0].label }
        XCTAssertEqual(labels, ["Wx·i", "Wh·i", "b·i", "Wx·j", "Wh·j", "b·j", "Wx·f", "Wh·f", "b·f", "Wx·o", "Wh·o", "b·o"])
        let f = try XCTUnwrap(trace.blocks.first { $0.label == "Wh·f" })
        XCTAssertEqual(f.rows, 2..<5, "h rows follow the 2 input rows")
        XCTAssertEqual(f.columns, 6..<9, "f is TF's third block")
        let g = try XCTUnwrap(run.result())
        for variable in ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"] {
            let whole = try XCTUnwrap(g.weights[variable]).scalars.reduce(0) { $0 + $1 * $1 }
            let parts = try XCTUnwrap(trace.runningSum(at: 0)).enumerated()
                .filter { trace.blocks[$0.offset].variable == variable }.reduce(0) { $0 + $1.element * $1.element }
            XCTAssertEqual(parts, whole, accuracy: 1e-12 * max(1, whole), variable)
        }
        // Steps past a row's length: that row adds nothing (row 1 has length 3, so steps 3 and 4 come from row 0 only).
        XCTAssertEqual(trace.times, [4, 3, 2, 1, 0])
    }
}

/// `ConventionComparison(results:)`: two runs of the same inputs compared element by element.
final class ResultsComparisonTests: XCTestCase {
    func testFirstDifferenceOfTwoResults() throws {
        let model = RNNModel(cell: .basicRNN(numUnits: 2, activation: .tanh))
        let zero = Tensor<Double>(zeros: [2, 3, 2])
        var other = zero
        other[1, 2, 1] = -0.5
        other[1, 1, 1] = 0.25
        let a = ModelResult(model: model, outputs: [zero], states: []), b = ModelResult(model: model, outputs: [other], states: [])
        let same = try ConventionComparison(results: a, a, names: ("A", "B"))
        XCTAssertNil(same.firstDifference)
        XCTAssertEqual(same.summary, "A and B give the same outputs here")
        let c = try ConventionComparison(results: a, b, names: ("A", "B"), sequenceLength: [3, 3])
        XCTAssertEqual(c.firstDifference, .init(time: 1, example: 1, direction: .forward, unit: 1), "the earliest step first")
        XCTAssertEqual(c.difference[0][1, 2, 1], 0.5)
        XCTAssertTrue(c.summary.hasPrefix("first difference at t=1, example 1, unit 1"), c.summary)
        let narrow = ModelResult(model: model, outputs: [Tensor<Double>(zeros: [2, 3, 1])], states: [])
        XCTAssertThrowsError(try ConventionComparison(results: a, narrow, names: ("A", "B")))
    }
}
