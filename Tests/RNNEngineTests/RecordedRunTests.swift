import Foundation
import XCTest
@testable import RNNEngine

/// Frames from `UnrolledLoop.step(record: true)` and `RecordedRun`.
final class RecordedRunTests: XCTestCase {
    func loop<S: RNNScalar>(_ spec: CellSpec, x: Tensor<S>, lengths: [Int]?, initial: Nest<Tensor<S>>? = nil,
                            seed: UInt64 = 11) throws -> UnrolledLoop<S> {
        try UnrolledLoop(cell: spec.makeCell(store: VariableStore<S>(missing: .initialize(seed: seed))), inputs: .leaf(x),
                         sequenceLength: lengths, initialState: initial, dtype: S.dtype, timeMajor: false, scope: "rnn")
    }

    /// Every frame by stepping the loop directly from its initial state.
    func directFrames<S: RNNScalar>(_ l: UnrolledLoop<S>) throws -> [Frame<S>] {
        var state = l.initialState
        var frames: [Frame<S>] = []
        for t in 0..<l.maxTime {
            let s = try l.step(from: state, at: t, record: true)
            frames.append(try XCTUnwrap(s.frame))
            XCTAssertEqual(s.frame?.state, s.state)
            XCTAssertEqual(s.frame?.output, s.output)
            state = s.state
        }
        return frames
    }

    func assertSameFrame<S: RNNScalar>(_ a: Frame<S>, _ b: Frame<S>, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.time, b.time, file: file, line: line)
        XCTAssertEqual(a.masked, b.masked, file: file, line: line)
        XCTAssertEqual(a.ran, b.ran, file: file, line: line)
        XCTAssertEqual(a.output, b.output, file: file, line: line)
        XCTAssertEqual(a.state, b.state, file: file, line: line)
        XCTAssertEqual(a.layers.count, b.layers.count, file: file, line: line)
        for (la, lb) in zip(a.layers, b.layers) {
            XCTAssertEqual(la.layer, lb.layer, file: file, line: line)
            XCTAssertEqual(la.cellName, lb.cellName, file: file, line: line)
            XCTAssertEqual(la.input, lb.input, file: file, line: line)
            XCTAssertEqual(la.stateBefore, lb.stateBefore, file: file, line: line)
            XCTAssertEqual(la.computedState, lb.computedState, file: file, line: line)
            XCTAssertEqual(la.stateAfter, lb.stateAfter, file: file, line: line)
            XCTAssertEqual(la.cellOutput, lb.cellOutput, file: file, line: line)
            XCTAssertEqual(la.gates.map(\.name), lb.gates.map(\.name), file: file, line: line)
            XCTAssertEqual(la.gates.map(\.value), lb.gates.map(\.value), file: file, line: line)
        }
    }

    func testLSTMGatesAreRecordedAndConsistentWithTheState() throws {
        let x: Tensor<Double> = randomTensor([2, 3, 3], seed: 1)
        for spec in [CellSpec.basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh),
                     .lstm(numUnits: 3, options: LSTMOptions(usePeepholes: true))] {
            let l = try loop(spec, x: x, lengths: nil, initial: randomState(spec.stateSize, batch: 2, seed: 2))
            for f in try directFrames(l) {
                XCTAssertTrue(f.ran)
                XCTAssertEqual(f.layers.count, 1)
                let layer = f.layers[0]
                XCTAssertEqual(layer.layer, 0)
                XCTAssertEqual(layer.cellName, spec.typeName == "lstm" ? "lstm_cell" : "basic_lstm_cell")
                XCTAssertEqual(layer.gates.map(\.name), ["i", "j", "f", "o"])
                XCTAssertEqual(layer.input.shape, [2, 3])
                let g = Dictionary(uniqueKeysWithValues: layer.gates.map { ($0.name, $0.value.scalars) })
                guard case let .lstm(c0, _) = layer.stateBefore, case let .lstm(c1, h1) = layer.computedState else {
                    return XCTFail("LSTM states expected")
                }
                for k in 0..<c0.count {
                    // Gates are after their activations: c' = f·c + i·j, h' = tanh(c')·o.
                    XCTAssertEqual(c1.scalars[k], g["f"]![k] * c0.scalars[k] + g["i"]![k] * g["j"]![k], accuracy: 1e-12)
                    XCTAssertEqual(h1.scalars[k], Foundation.tanh(c1.scalars[k]) * g["o"]![k], accuracy: 1e-12)
                    for name in ["i", "f", "o"] { XCTAssertTrue(g[name]![k] > 0 && g[name]![k] < 1, "\(name) is a sigmoid") }
                    XCTAssertTrue(abs(g["j"]![k]) < 1, "j is a tanh")
                }
            }
        }
    }

    func testGRUGatesAreRecorded() throws {
        let x: Tensor<Float> = randomTensor([3, 2, 2], seed: 3)
        let spec = CellSpec.gru(numUnits: 4, activation: .tanh)
        let l = try loop(spec, x: x, lengths: nil, initial: randomState(spec.stateSize, batch: 3, seed: 4))
        for f in try directFrames(l) {
            let layer = f.layers[0]
            XCTAssertEqual(layer.cellName, "gru_cell")
            XCTAssertEqual(layer.gates.map(\.name), ["r", "u", "c"])
            let u = layer.gates[1].value.scalars, c = layer.gates[2].value.scalars
            let h0 = layer.stateBefore.flattened[0].scalars, h1 = layer.computedState.flattened[0].scalars
            for k in h0.indices { XCTAssertEqual(h1[k], u[k] * h0[k] + (1 - u[k]) * c[k], accuracy: 1e-6) }
            XCTAssertEqual(layer.cellOutput.scalars, h1)
        }
    }

    func testMultiRNNCellLayersAppearInOrderWithTheirInputDepths() throws {
        let x: Tensor<Double> = randomTensor([2, 3, 5], seed: 5)
        let spec = CellSpec.multi([.gru(numUnits: 4, activation: .tanh), .basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh),
                                   .lstm(numUnits: 3, options: LSTMOptions(numProj: 2))])
        let initial = randomState(spec.stateSize, batch: 2, seed: 6, as: Double.self)
        let l = try loop(spec, x: x, lengths: [3, 2], initial: initial)
        let frames = try directFrames(l)
        let first = frames[0]
        XCTAssertEqual(first.layers.map(\.layer), [0, 1, 2])
        XCTAssertEqual(first.layers.map(\.cellName), ["gru_cell", "basic_lstm_cell", "lstm_cell"])
        XCTAssertEqual(first.layers.map { $0.input.shape[1] }, [5, 4, 3])
        XCTAssertEqual(first.layers.map { $0.cellOutput.shape[1] }, [4, 3, 2])
        XCTAssertEqual(first.layers[0].gates.map(\.name), ["r", "u", "c"])
        XCTAssertEqual(first.layers[1].gates.map(\.name), ["i", "j", "f", "o"])
        XCTAssertEqual(first.layers[2].gates.map(\.name), ["i", "j", "f", "o", "m"])
        for f in frames {
            XCTAssertEqual(f.layers[0].input, try SequenceInputs(.leaf(x), timeMajor: false).slice(at: f.time).flattened[0])
            XCTAssertEqual(f.layers[1].input, f.layers[0].cellOutput, "a layer's input is the previous layer's unmasked output")
            XCTAssertEqual(f.layers[2].input, f.layers[1].cellOutput)
            XCTAssertEqual(Nest.tuple(f.layers.map(\.stateAfter)), f.state)
        }
        for i in 0..<3 { XCTAssertEqual(first.layers[i].stateBefore, initial[item: i]) }
    }

    func testMaskedRowKeepsItsStateAndFramesMatchDynamicRNN() throws {
        let x: Tensor<Float> = randomTensor([3, 5, 2], seed: 7)
        let lengths = [5, 2, 0]
        for spec in [CellSpec.basicLSTM(numUnits: 2, forgetBias: 1, activation: .tanh),
                     .multi([.basicRNN(numUnits: 3, activation: .relu), .gru(numUnits: 2, activation: .tanh)])] {
            let initial = randomState(spec.stateSize, batch: 3, seed: 8, as: Float.self)
            let l = try loop(spec, x: x, lengths: lengths, initial: initial)
            let frames = try directFrames(l)
            let r = try dynamicRNN(cell: spec.makeCell(store: VariableStore<Float>(missing: .initialize(seed: 11))), inputs: x,
                                   sequenceLength: lengths, initialState: initial)
            for f in frames {
                XCTAssertEqual(f.masked, lengths.map { f.time >= $0 })
                for b in 0..<3 { XCTAssertEqual(f.output.scalars[(b * spec.outputSize)..<((b + 1) * spec.outputSize)].map { $0 },
                                                outputAt(r.outputs, b: b, t: f.time)) }
                for layer in f.layers {
                    for (b, m) in f.masked.enumerated() where m {
                        XCTAssertEqual(stateRow(layer.stateAfter, b), stateRow(layer.stateBefore, b), "\(spec.summary) t \(f.time) row \(b)")
                        XCTAssertNotEqual(stateRow(layer.computedState, b), stateRow(layer.stateBefore, b),
                                          "the cell still computed the masked row")
                    }
                    for (b, m) in f.masked.enumerated() where !m {
                        XCTAssertEqual(stateRow(layer.stateAfter, b), stateRow(layer.computedState, b))
                    }
                }
            }
            XCTAssertEqual(frames.last?.state, r.state)
        }
    }

    func testFramesPastTheLoopBoundDidNotRun() throws {
        let x: Tensor<Double> = randomTensor([2, 6, 2], seed: 9)
        let spec = CellSpec.gru(numUnits: 2, activation: .tanh)
        let l = try loop(spec, x: x, lengths: [3, 1])
        XCTAssertEqual(l.loopBound, 3)
        let frames = try directFrames(l)
        XCTAssertEqual(frames.map(\.ran), [true, true, true, false, false, false])
        for f in frames where !f.ran {
            XCTAssertTrue(f.layers.isEmpty)
            XCTAssertTrue(f.output.scalars.allSatisfy { $0 == 0 })
            XCTAssertEqual(f.state, frames[2].state)
        }
    }

    func recordedRunMatchesDirectStepping<S: RNNScalar>(_: S.Type, swapMemory: Bool) throws {
        let x: Tensor<S> = randomTensor([3, 20, 2], seed: 10)
        let spec = CellSpec.multi([.basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh), .gru(numUnits: 2, activation: .tanh)])
        for lengths in [nil, [20, 13, 0], [9, 4, 11]] as [[Int]?] {
            let l = try loop(spec, x: x, lengths: lengths)
            let direct = try directFrames(l)
            let run = RecordedRun(loop: l, swapMemory: swapMemory)
            XCTAssertEqual(run.checkpointInterval, swapMemory ? 8 : 1, "TF's swap_memory keeps sparse checkpoints (√20 → 8)")
            XCTAssertNil(run.result())
            run.compute()
            XCTAssertNil(run.error)
            XCTAssertTrue(run.isComplete)
            // Every single frame, some ranges, and a range that starts past a checkpoint.
            for t in 0..<20 { assertSameFrame(try XCTUnwrap(run.frame(at: t)), direct[t]) }
            for range in [0..<20, 5..<12, 17..<20, 8..<9, 16..<25] {
                let got = try run.frames(range)
                XCTAssertEqual(got.map(\.time), Array(range.clamped(to: 0..<20)))
                for f in got { assertSameFrame(f, direct[f.time]) }
            }
            for t in 0..<20 { XCTAssertEqual(run.output(at: t), direct[t].output) }
            XCTAssertNil(run.output(at: 20))
            let r = try dynamicRNN(cell: spec.makeCell(store: VariableStore<S>(missing: .initialize(seed: 11))), inputs: x,
                                   sequenceLength: lengths, dtype: S.dtype)
            let res = try XCTUnwrap(run.result())
            XCTAssertEqual(res.outputs, r.outputs)
            XCTAssertEqual(res.state, r.state)
        }
    }

    func testRecordedRunMatchesDirectSteppingWithAndWithoutSwapMemory() throws {
        try recordedRunMatchesDirectStepping(Float.self, swapMemory: false)
        try recordedRunMatchesDirectStepping(Float.self, swapMemory: true)
        try recordedRunMatchesDirectStepping(Double.self, swapMemory: true)
    }

    func testRecordedRunTimeMajorResult() throws {
        let x: Tensor<Double> = randomTensor([4, 2, 3], seed: 12)   // time-major [time 4, batch 2, depth 3]
        let spec = CellSpec.basicRNN(numUnits: 2, activation: .tanh)
        let l = try UnrolledLoop(cell: spec.makeCell(store: VariableStore<Double>(missing: .initialize(seed: 1))), inputs: .leaf(x),
                                 sequenceLength: [4, 2], initialState: nil, dtype: .float64, timeMajor: true, scope: "rnn")
        let run = RecordedRun(loop: l, swapMemory: false)
        run.compute()
        let r = try dynamicRNN(cell: spec.makeCell(store: VariableStore<Double>(missing: .initialize(seed: 1))), inputs: x,
                               sequenceLength: [4, 2], dtype: .float64, timeMajor: true)
        XCTAssertEqual(run.result()?.outputs, r.outputs)
        XCTAssertEqual(run.result()?.state, r.state)
    }

    func testPartialComputeAndStop() throws {
        let x: Tensor<Double> = randomTensor([2, 10, 2], seed: 13)
        let l = try loop(.gru(numUnits: 2, activation: .tanh), x: x, lengths: nil)
        let direct = try directFrames(l)
        let run = RecordedRun(loop: l, swapMemory: true)
        run.compute(until: 4)
        XCTAssertEqual(run.completedSteps, 4)
        XCTAssertFalse(run.isComplete)
        XCTAssertNil(run.result())
        XCTAssertNil(try run.frame(at: 4), "step 4 is not computed yet")
        XCTAssertNil(run.output(at: 4))
        assertSameFrame(try XCTUnwrap(run.frame(at: 3)), direct[3])
        XCTAssertEqual(try run.frames(0..<10).count, 4, "frames are clamped to computed steps")
        var polls = 0
        run.compute { polls += 1; return polls > 2 }   // two more steps, then stop
        XCTAssertEqual(run.completedSteps, 6)
        run.compute()
        XCTAssertTrue(run.isComplete)
        XCTAssertEqual(run.result()?.state, direct[9].state)
    }

    func testBackgroundComputeWhileFramesAreRequested() throws {
        let x: Tensor<Float> = randomTensor([4, 300, 3], seed: 14)
        let spec = CellSpec.multi([.basicLSTM(numUnits: 8, forgetBias: 1, activation: .tanh), .gru(numUnits: 4, activation: .tanh)])
        let lengths = [300, 250, 17, 299]
        let direct = try directFrames(try loop(spec, x: x, lengths: lengths))
        let run = RecordedRun(loop: try loop(spec, x: x, lengths: lengths), swapMemory: true)
        let finished = DispatchSemaphore(value: 0)
        let reader = ReaderHandshake()
        let thread = Thread {
            // Between steps the pass waits (up to 10 s) until the test thread has read a few frames mid-pass,
            // so the overlap is certain however loaded the machine is.
            run.compute(shouldStop: { reader.waitForReads(3); return false })
            finished.signal()
        }
        thread.start()
        var checks = 0, sawPartial = false
        while !run.isComplete {
            let done = run.completedSteps
            if done > 0 && done < 300 { sawPartial = true }
            if done > 0 {
                let t = checks % 2 == 0 ? done - 1 : (done - 1) / 2
                if let f = try run.frame(at: t) { assertSameFrame(f, direct[t]); checks += 1; reader.didRead() }
                let frames = try run.frames(max(0, done - 3)..<(done + 5))
                XCTAssertLessThanOrEqual(frames.last.map { $0.time + 1 } ?? 0, run.completedSteps)
                for f in frames { assertSameFrame(f, direct[f.time]) }
            }
        }
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success)
        XCTAssertNil(run.error)
        XCTAssertTrue(sawPartial, "frames were requested while the pass was still running")
        XCTAssertGreaterThan(checks, 0)
        for t in stride(from: 0, to: 300, by: 37) { assertSameFrame(try XCTUnwrap(run.frame(at: t)), direct[t]) }
        let r = try dynamicRNN(cell: spec.makeCell(store: VariableStore<Float>(missing: .initialize(seed: 11))), inputs: x,
                               sequenceLength: lengths, dtype: .float32)
        XCTAssertEqual(run.result()?.outputs, r.outputs)
        XCTAssertEqual(run.result()?.state, r.state)
    }

    /// Frames recomputed on the test thread while the pass runs on another, with products large enough to use
    /// several kernel threads: both threads multiply with the same packed weights at the same time.
    func testConcurrentFramesWithMultithreadedKernels() throws {
        let saved = Kernels.threads
        defer { Kernels.threads = saved }
        Kernels.threads = 4
        let x: Tensor<Float> = randomTensor([32, 40, 48], seed: 15)
        let spec = CellSpec.multi([.lstm(numUnits: 64, options: LSTMOptions(usePeepholes: true, numProj: 32)),
                                   .gru(numUnits: 48, activation: .tanh)])
        let lengths = (0..<32).map { 40 - $0 }
        let direct = try directFrames(try loop(spec, x: x, lengths: lengths))
        let run = RecordedRun(loop: try loop(spec, x: x, lengths: lengths), swapMemory: true)
        let finished = DispatchSemaphore(value: 0)
        let reader = ReaderHandshake()
        let thread = Thread {
            // Between chunks the pass waits (up to 10 s) until the test thread has read a frame mid-pass.
            run.compute(shouldStop: { reader.waitForReads(1); return false })
            finished.signal()
        }
        thread.start()
        var checked = 0
        repeat {
            let done = run.completedSteps
            if done > 0, let f = try run.frame(at: done - 1) { assertSameFrame(f, direct[done - 1]); checked += 1; reader.didRead() }
        } while !run.isComplete
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success)
        XCTAssertNil(run.error)
        for f in try run.frames(0..<40) { assertSameFrame(f, direct[f.time]) }
        XCTAssertGreaterThan(checked, 0)
    }
}

/// Lets a background pass wait, between its steps, until a reader thread has read some frames, so a test of
/// reads during a pass does not depend on the machine's load (the pass could otherwise finish first).
private final class ReaderHandshake: @unchecked Sendable {
    private let condition = NSCondition()
    private var reads = 0

    func didRead() {
        condition.lock()
        reads += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once `count` reads happened, or after 10 s.
    func waitForReads(_ count: Int) {
        condition.lock()
        let deadline = Date().addingTimeInterval(10)
        while reads < count && condition.wait(until: deadline) {}
        condition.unlock()
    }
}
