import Foundation
import XCTest
@testable import RNNEngine

/// One `UnrolledLoop` run from several threads at once, as the explorer's background runs and FastPathTests do.
/// The results must match, and (run under ThreadSanitizer, as .ci/run does) no state the runs share may race:
/// `lastRunUsedFastPath` and `lastRunWorkingScalars` were written by every run without a lock (issue 10).
final class ConcurrentRunTests: XCTestCase {
    func testOneLoopRunsOnSeveralThreadsAtOnce() throws {
        let store = VariableStore<Float>(missing: .initialize(seed: 3))
        let cell = try CellSpec.lstm(numUnits: 6, options: LSTMOptions()).makeCell(store: store)
        let x: Tensor<Float> = randomTensor([3, 20, 4], seed: 9)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: nil, initialState: nil,
                                    dtype: .float32, timeMajor: false, scope: "rnn")
        let want = try loop.run()
        let threads = 4
        /// What each thread saw, written under its lock.
        final class Seen: @unchecked Sendable {
            let lock = NSLock()
            var outputs: [[Float]?]
            var fast: [Bool]
            init(_ n: Int) { outputs = Array(repeating: nil, count: n); fast = Array(repeating: false, count: n) }
        }
        let seen = Seen(threads)
        let done = DispatchGroup()
        for i in 0..<threads {
            done.enter()
            // Plain threads (not a dispatch queue, whose hand-offs would order the runs for the race detector).
            let thread = Thread {
                let r = try? loop.run()
                let usedFastPath = loop.lastRunUsedFastPath
                _ = loop.lastRunWorkingScalars
                seen.lock.withLock {
                    seen.outputs[i] = r?.outputs.scalars
                    seen.fast[i] = usedFastPath
                }
                done.leave()
            }
            thread.start()
        }
        done.wait()
        for i in 0..<threads {
            XCTAssertEqual(seen.outputs[i], want.outputs.scalars, "thread \(i)")
            XCTAssertTrue(seen.fast[i], "thread \(i): an unobserved run of a built-in cell takes the fused path")
        }
    }
}
