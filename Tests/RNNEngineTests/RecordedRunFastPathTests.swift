@testable import RNNEngine
import XCTest

/// A `RecordedRun` computes on the fused path a checkpoint interval at a time; what it keeps must equal
/// stepping the loop one step at a time on the generic path.
final class RecordedRunFastPathTests: XCTestCase {
    private func makeLoop(fast: Bool, lengths: [Int]?, timeMajor: Bool = false) throws -> UnrolledLoop<Float> {
        let store = VariableStore<Float>(missing: .initialize(seed: 5))
        let spec = CellSpec.multi([.lstm(numUnits: 6, options: LSTMOptions(usePeepholes: true, cellClip: 0.8)),
                                   .gru(numUnits: 4, activation: .tanh)])
        let x = randomTensor(timeMajor ? [50, 3, 5] : [3, 50, 5], seed: 9, scale: 2, as: Float.self)
        let loop = try UnrolledLoop(cell: spec.makeCell(store: store), inputs: .leaf(x), sequenceLength: lengths,
                                    initialState: nil, dtype: .float32, timeMajor: timeMajor, scope: "rnn")
        loop.allowsFastPath = fast
        return loop
    }

    private func assertSame(fast: RecordedRun<Float>, slow: RecordedRun<Float>, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(fast.completedSteps, slow.completedSteps, file: file, line: line)
        for t in 0..<fast.loop.maxTime {
            guard let a = fast.output(at: t), let b = slow.output(at: t) else { return XCTFail("step \(t) missing", file: file, line: line) }
            XCTAssertLessThan(a.maxAbsDifference(b), 1e-5, "output at t=\(t)", file: file, line: line)
        }
        for t in [0, 7, 8, 9, 23, 37, 49] {
            guard let a = try fast.frame(at: t), let b = try slow.frame(at: t) else { return XCTFail("frame \(t)", file: file, line: line) }
            XCTAssertEqual(a.masked, b.masked, file: file, line: line)
            XCTAssertEqual(a.ran, b.ran, file: file, line: line)
            XCTAssertEqual(a.layers.count, b.layers.count, file: file, line: line)
            for (x, y) in zip(a.state.flattened, b.state.flattened) {
                XCTAssertLessThan(x.maxAbsDifference(y), 1e-5, "state at t=\(t)", file: file, line: line)
            }
        }
        let r1 = try XCTUnwrap(fast.result()), r2 = try XCTUnwrap(slow.result())
        XCTAssertLessThan(r1.outputs.maxAbsDifference(r2.outputs), 1e-5, file: file, line: line)
        for (x, y) in zip(r1.state.flattened, r2.state.flattened) { XCTAssertLessThan(x.maxAbsDifference(y), 1e-5, file: file, line: line) }
    }

    func testFusedComputeKeepsWhatSteppingKeeps() throws {
        for lengths in [nil, [50, 17, 0], [9, 3, 30]] as [[Int]?] {
            for timeMajor in [false, true] {
                let fastLoop = try makeLoop(fast: true, lengths: lengths, timeMajor: timeMajor)
                XCTAssertNotNil(fastLoop.makeFastPlan(), "this stack runs fused")
                let fast = RecordedRun(loop: fastLoop, swapMemory: true)
                let slow = RecordedRun(loop: try makeLoop(fast: false, lengths: lengths, timeMajor: timeMajor), swapMemory: true)
                fast.compute()
                slow.compute()
                XCTAssertTrue(fast.isComplete && slow.isComplete)
                try assertSame(fast: fast, slow: slow)
            }
        }
    }

    func testStoppingAndResumingGivesTheSameRun() throws {
        let fast = RecordedRun(loop: try makeLoop(fast: true, lengths: [50, 17, 0]), swapMemory: true)
        var chunks = 0
        fast.compute { chunks += 1; return chunks > 2 }
        XCTAssertGreaterThan(fast.completedSteps, 0)
        XCTAssertLessThan(fast.completedSteps, 50, "stopped part-way")
        XCTAssertNil(fast.result(), "no result before the pass is complete")
        fast.compute(until: 33)
        XCTAssertGreaterThanOrEqual(fast.completedSteps, 33)
        fast.compute()
        let slow = RecordedRun(loop: try makeLoop(fast: false, lengths: [50, 17, 0]), swapMemory: false)
        slow.compute()
        try assertSame(fast: fast, slow: slow)
    }

    func testResultEqualsDynamicRNN() throws {
        let loop = try makeLoop(fast: true, lengths: [40, 0, 12])
        let run = RecordedRun(loop: loop, swapMemory: true)
        run.compute()
        let direct = try loop.run()
        let kept = try XCTUnwrap(run.result())
        XCTAssertLessThan(kept.outputs.maxAbsDifference(direct.outputs), 1e-6)
        XCTAssertEqual(kept.outputs.shape, [3, 50, 4])
    }
}
