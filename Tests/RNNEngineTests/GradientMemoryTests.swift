import XCTest
@testable import RNNEngine

/// The backward pass keeps checkpoints and one segment, not every step: the engine's own count of the scalars
/// it holds at its peak stays under 3× the inputs plus outputs for a long sequence.
final class GradientMemoryTests: XCTestCase {
    /// Issue 7's size: a 2-layer LSTM(256), batch 4, max_time 20,000, input depth 64. The whole forward pass
    /// (fused, keeping no tapes) and the first segments of the sweep run (every segment holds the same: one segment's tapes; the state
    /// gradients of all segments are counted from the start), so the peak seen is the whole pass's.
    func testLongSequencePeakStaysUnderThreeTimesInputsPlusOutputs() throws {
        let (batch, time, depth, units) = (4, 20_000, 64, 256)
        let (run, inputsPlusOutputs) = try longRun(batch: batch, time: time, depth: depth, units: units)
        var segments = 0
        run.compute { segments += 1; return segments > 3 }
        XCTAssertNil(run.error)
        XCTAssertGreaterThan(run.completedSteps, 2 * run.segmentLength)
        XCTAssertLessThan(run.completedSteps, time)
        // Keeping every step's activations would need far more than the whole budget.
        let perStepTape = 2 * batch * (depth + 12 * units)
        XCTAssertGreaterThan(perStepTape * time, 3 * inputsPlusOutputs)
        XCTAssertGreaterThan(run.peakScalars, inputsPlusOutputs, "the count includes the inputs and outputs themselves")
        XCTAssertLessThan(run.peakScalars, 3 * inputsPlusOutputs,
                          "peak \(run.peakScalars) scalars vs inputs + outputs \(inputsPlusOutputs)")
        // By default a run that computes its own forward pass may also keep step tapes within its budget (half
        // the inputs and outputs, at least 128 MiB; testTapeBudget checks the kept tapes stay within it): still under 3×.
        XCTAssertEqual(run.tapeBudget, max(inputsPlusOutputs / 2, (128 << 20) / MemoryLayout<Float>.stride))
        XCTAssertLessThan(run.peakScalars + run.tapeBudget, 3 * inputsPlusOutputs)
        XCTAssertLessThan(run.segmentLength, 400)
    }

    /// What the test above relies on: the peak of a complete pass is the peak seen after its first segments
    /// (memory does not grow as the sweep goes on), and the gradient reaches the first step.
    func testPeakDoesNotGrowAsTheSweepGoesOn() throws {
        let (partial, _) = try longRun(batch: 2, time: 600, depth: 16, units: 32)
        var segments = 0
        partial.compute { segments += 1; return segments > 3 }
        let (complete, _) = try longRun(batch: 2, time: 600, depth: 16, units: 32)
        complete.compute()
        XCTAssertNil(complete.error)
        XCTAssertLessThan(partial.completedSteps, 600)
        XCTAssertEqual(complete.peakScalars, partial.peakScalars)
        let result = try XCTUnwrap(complete.result())
        XCTAssertGreaterThan(result.inputs.scalars[0..<16].map { abs($0) }.max() ?? 0, 0)
    }

    /// The forward pass keeps the last segments' tapes within the budget and the sweep uses them instead of
    /// recomputing; the gradients are the same whatever the budget, and the peak stays within the budget's bound.
    func testTapeBudget() throws {
        var results: [(GradientRun<Double>, RNNGradients<Double>)] = []
        let store = VariableStore<Double>(missing: .initialize(seed: 3))
        let cell = try CellSpec.multi([.lstm(numUnits: 6, options: LSTMOptions(usePeepholes: true)), .gru(numUnits: 4, activation: .tanh)])
            .makeCell(store: store)
        let inputs: Tensor<Double> = randomTensor([3, 90, 5], seed: 5)
        for budget in [0, 20_000, Int.max] {
            let loop = try UnrolledLoop(cell: cell, inputs: .leaf(inputs), sequenceLength: [90, 41, 0], initialState: nil,
                                        dtype: .float64, timeMajor: false, scope: "rnn")
            let run = try GradientRun(loop: loop, loss: .sumOfOutputs, tapeBudget: budget)
            run.compute()
            results.append((run, try XCTUnwrap(run.result())))
        }
        let segments = (90 + results[0].0.segmentLength - 1) / results[0].0.segmentLength
        XCTAssertEqual(results.map(\.0.recomputedSegments).first, segments, "budget 0 recomputes every segment")
        XCTAssertEqual(results.map(\.0.recomputedSegments).last, 0, "an unlimited budget recomputes none")
        XCTAssertTrue((1..<segments).contains(results[1].0.recomputedSegments), "a partial budget keeps the last segments only")
        XCTAssertLessThan(results[0].0.peakScalars, results[2].0.peakScalars)
        XCTAssertLessThanOrEqual(results[1].0.peakScalars, results[0].0.peakScalars + 20_000, "kept tapes stay within the budget")
        for (_, g) in results.dropFirst() {
            XCTAssertLessThan(g.inputs.maxAbsDifference(results[0].1.inputs), 1e-12)
            for (name, w) in g.weights { XCTAssertLessThan(w.maxAbsDifference(try XCTUnwrap(results[0].1.weights[name])), 1e-12, name) }
            XCTAssertLessThan(g.result.outputs.maxAbsDifference(results[0].1.result.outputs), 1e-12)
        }
    }

    /// The fused sweep's forward pass keeps the last segments' tapes within the budget (a stack of an LSTM and a
    /// GRU, rows that finish early and one of length 0): the gradients are the same whatever the budget, the
    /// forward's outputs and final state are the plain forward pass's bit for bit, kept segments are not
    /// recomputed, and the kept tapes stay within the budget.
    func testFusedTapeBudget() throws {
        for timeMajor in [false, true] {
            try checkFusedTapeBudget(Float.self, timeMajor: timeMajor)
            try checkFusedTapeBudget(Double.self, timeMajor: timeMajor)
        }
    }

    private func checkFusedTapeBudget<S: RNNScalar>(_: S.Type, timeMajor: Bool) throws {
        let store = VariableStore<S>(missing: .initialize(seed: 3))
        let cell = try CellSpec.multi([.lstm(numUnits: 6, options: LSTMOptions()), .gru(numUnits: 4, activation: .tanh)])
            .makeCell(store: store)
        let inputs: Tensor<S> = randomTensor(timeMajor ? [90, 3, 5] : [3, 90, 5], seed: 5)
        func loop() throws -> UnrolledLoop<S> {
            try UnrolledLoop(cell: cell, inputs: .leaf(inputs), sequenceLength: [90, 41, 0], initialState: nil,
                             dtype: S.self == Float.self ? .float32 : .float64, timeMajor: timeMajor, scope: "rnn")
        }
        let plain = try loop().run()
        let segmentScalars = 10 * 3 * 5 + 11 * 3 * 6 * 2 + 10 * 3 * 24 + 11 * 3 * 4 + 10 * 3 * 8 + 2 * 10 * 3 * 4
        var runs: [(GradientRun<S>, RNNGradients<S>)] = []
        for budget in [0, 3 * segmentScalars, Int.max] {
            let run = try GradientRun(loop: loop(), loss: .sumOfOutputs, tapeBudget: budget)
            XCTAssertTrue(run.sweepsFused)
            XCTAssertEqual(run.segmentLength, 10, "√90 rounded up, a multiple of the checkpoint interval")
            run.compute()
            XCTAssertNil(run.error)
            let g = try XCTUnwrap(run.result())
            XCTAssertEqual(g.result.outputs.scalars, plain.outputs.scalars, "budget \(budget): outputs")
            for (a, b) in zip(g.result.state.flattened, plain.state.flattened) {
                XCTAssertEqual(a.scalars, b.scalars, "budget \(budget): final state")
            }
            runs.append((run, g))
        }
        XCTAssertEqual(runs[0].0.recomputedSegments, 9, "budget 0 recomputes every segment")
        XCTAssertEqual(runs[1].0.recomputedSegments, 6, "a budget of three segments keeps the last three")
        XCTAssertEqual(runs[2].0.recomputedSegments, 0, "an unlimited budget recomputes none")
        XCTAssertLessThanOrEqual(runs[1].0.peakScalars, runs[0].0.peakScalars + 3 * segmentScalars)
        XCTAssertGreaterThan(runs[1].0.peakScalars, runs[0].0.peakScalars)
        let tolerance = S(S.self == Float.self ? 1e-5 : 1e-12)
        let reference = runs[0].1
        XCTAssertGreaterThan(reference.inputs.scalars.map(abs).max() ?? 0, S(1e-3))
        for (_, g) in runs.dropFirst() {
            XCTAssertLessThan(g.inputs.maxAbsDifference(reference.inputs), tolerance)
            XCTAssertEqual(Set(g.weights.keys), Set(reference.weights.keys))
            for (name, w) in g.weights { XCTAssertLessThan(w.maxAbsDifference(try XCTUnwrap(reference.weights[name])), tolerance, name) }
        }
    }

    private func longRun(batch: Int, time: Int, depth: Int, units: Int) throws -> (GradientRun<Float>, Int) {
        let store = VariableStore<Float>(missing: .initialize(seed: 3))
        let cell = try CellSpec.multi([.lstm(numUnits: units, options: LSTMOptions()), .lstm(numUnits: units, options: LSTMOptions())])
            .makeCell(store: store)
        let inputs: Tensor<Float> = randomTensor([batch, time, depth], seed: 5, scale: 0.5)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(inputs), sequenceLength: nil, initialState: nil, dtype: .float32,
                                    timeMajor: false, scope: "rnn")
        let run = try GradientRun(loop: loop, loss: .sumOfOutputs)
        run.forward.compute()
        return (run, inputs.count + batch * time * units)
    }
}
