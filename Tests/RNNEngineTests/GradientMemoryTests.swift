import XCTest
@testable import RNNEngine

/// The backward pass keeps checkpoints and one segment, not every step: the engine's own count of the scalars
/// it holds at its peak stays under 3× the inputs plus outputs for a long sequence.
final class GradientMemoryTests: XCTestCase {
    /// Issue 7's size: a 2-layer LSTM(256), batch 4, max_time 20,000, input depth 64. The whole forward pass
    /// and the first segments of the sweep run (every segment holds the same: one segment's tapes; the state
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
