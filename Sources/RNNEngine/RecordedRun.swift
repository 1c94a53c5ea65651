import Foundation

/// A `dynamic_rnn` pass kept for stepping through: the emitted outputs of every step plus the state at
/// checkpoints, from which any frame (every gate of every layer) is recomputed on demand.
///
/// Memory grows with `max_time` only through the outputs (`max_time × batch × output_size`) and one state
/// per checkpoint; frames are never all held at once. `compute` may run on a background thread while
/// another thread asks for frames of the steps done so far.
public final class RecordedRun<Scalar: RNNScalar>: @unchecked Sendable {
    public let loop: UnrolledLoop<Scalar>
    /// Steps between two kept states (1 keeps every state; larger trades recomputation for memory).
    public let checkpointInterval: Int

    private let lock = NSLock()
    private var checkpoints: [Nest<Tensor<Scalar>>]
    /// Emitted outputs, time-major `[max_time, batch, output_size]`; rows below `done` are final.
    private let outputs: UnsafeMutablePointer<Scalar>
    private let outputCount: Int
    private var finalState: Nest<Tensor<Scalar>>
    private var done = 0
    private var failure: Error?

    /// A run over `loop`. With `swapMemory` (TF's name for trading memory for recomputation) states are kept
    /// every `√max_time` steps instead of every step.
    public init(loop: UnrolledLoop<Scalar>, swapMemory: Bool) {
        self.loop = loop
        let t = max(1, loop.maxTime)
        checkpointInterval = swapMemory ? max(8, Int(Double(t).squareRoot().rounded(.up))) : 1
        checkpoints = [loop.initialState]
        outputCount = loop.maxTime * loop.batchSize * loop.outputSize
        outputs = UnsafeMutablePointer<Scalar>.allocate(capacity: max(1, outputCount))
        outputs.initialize(repeating: 0, count: max(1, outputCount))
        finalState = loop.initialState
    }

    deinit { outputs.deallocate() }

    /// Steps computed so far (of `loop.maxTime`; steps past the loop bound count as done once it is reached).
    public var completedSteps: Int { lock.withLock { done } }
    /// Whether the whole pass is done.
    public var isComplete: Bool { completedSteps >= loop.maxTime }
    /// The error that stopped `compute`, if any.
    public var error: Error? { lock.withLock { failure } }

    /// Computes forward until `limit` steps are done (all by default). `shouldStop` is polled between steps
    /// (between chunks of `checkpointInterval` steps on the fused path).
    public func compute(until limit: Int? = nil, shouldStop: () -> Bool = { false }) {
        compute(until: limit, shouldStop: shouldStop, fused: true) { state, t in
            let step = try self.loop.step(from: state, at: t)
            return (step.output, step.state)
        }
    }

    /// `compute` with the fused path allowed or not, taking steps outside it with `step` (the emitted output
    /// and the next state from the state before step `t`; the backward pass passes a step that keeps tapes).
    func compute(until limit: Int?, shouldStop: () -> Bool, fused: Bool,
                 step: (Nest<Tensor<Scalar>>, Int) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>)) {
        let target = min(limit ?? loop.maxTime, loop.maxTime)
        var (t, state) = lock.withLock { (done, finalState) }
        let width = loop.batchSize * loop.outputSize
        if fused, t < min(target, loop.loopBound), t % checkpointInterval == 0, let plan = loop.makeFastPlan() {
            // Fused path, a checkpoint interval at a time; outputs land in place.
            let end = min(target, loop.loopBound)
            withoutActuallyEscaping(shouldStop) { shouldStop in
            _ = loop.runFastSegment(plan, from: state, steps: t..<end, chunk: checkpointInterval, into: outputs,
                                    outputTimeMajor: true) { reached, snapshot in
                self.publish(reached, snapshot())
                return !shouldStop()
            }
            }
            (t, state) = lock.withLock { (done, finalState) }
        }
        while t < target {
            if shouldStop() { return }
            if t >= loop.loopBound {
                // Past the loop bound nothing runs: outputs stay zero and the state stays as it is.
                lock.withLock { done = loop.maxTime }
                return
            }
            do {
                let step = try step(state, t)
                state = step.state
                step.output.scalars.withUnsafeBufferPointer { src in
                    if let p = src.baseAddress { (outputs + t * width).update(from: p, count: width) }
                }
                t += 1
                publish(t, state)
            } catch {
                lock.withLock { failure = error }
                return
            }
        }
    }

    /// Hands over steps `completedSteps ..< end` computed elsewhere (the gradient run's fused forward, which keeps
    /// tapes): `write` fills their emitted outputs in place (time-major `[max_time, batch, output_size]` rows; rows
    /// past their length stay zero), then `state(t)`, the state after step `t`, is published for every checkpoint
    /// `t` among them and for `end`.
    func record(through end: Int, outputs write: (UnsafeMutablePointer<Scalar>) -> Void, state: (Int) -> Nest<Tensor<Scalar>>) {
        write(outputs)
        var t = completedSteps
        while t < end {
            t = min((t / checkpointInterval + 1) * checkpointInterval, end)
            publish(t, state(t))
        }
    }

    /// Records that `t` steps are done with `state` after them, keeping it when `t` is the next checkpoint.
    private func publish(_ t: Int, _ state: Nest<Tensor<Scalar>>) {
        lock.withLock {
            finalState = state
            if t % checkpointInterval == 0 && t / checkpointInterval == checkpoints.count { checkpoints.append(state) }
            done = t
        }
    }

    /// The state after `k · checkpointInterval` steps, when it was kept (the backward pass restarts from these).
    func checkpoint(_ k: Int) -> Nest<Tensor<Scalar>>? {
        lock.withLock { checkpoints.indices.contains(k) ? checkpoints[k] : nil }
    }

    /// The emitted output at step `t` (`[batch, output_size]`), or nil if not computed yet.
    public func output(at t: Int) -> Tensor<Scalar>? {
        lock.withLock {
            guard t >= 0, t < done else { return nil }
            let width = loop.batchSize * loop.outputSize
            return Tensor(unchecked: [loop.batchSize, loop.outputSize],
                          scalars: Array(UnsafeBufferPointer(start: outputs + t * width, count: width)))
        }
    }

    /// Frames for steps `range` (clamped to the computed steps), recomputed from the nearest checkpoint.
    public func frames(_ range: Range<Int>) throws -> [Frame<Scalar>] {
        let (available, start) = lock.withLock { () -> (Int, (Int, Nest<Tensor<Scalar>>)) in
            let lo = max(0, range.lowerBound)
            let k = min(lo / checkpointInterval, checkpoints.count - 1)
            return (done, (k * checkpointInterval, checkpoints[k]))
        }
        let upper = min(range.upperBound, available)
        var (t, state) = start
        var frames: [Frame<Scalar>] = []
        while t < upper {
            let record = t >= range.lowerBound
            let step = try loop.step(from: state, at: t, record: record)
            if let f = step.frame { frames.append(f) }
            state = step.state
            t += 1
        }
        return frames
    }

    /// One frame, or nil when step `t` is not computed yet.
    public func frame(at t: Int) throws -> Frame<Scalar>? {
        try frames(t..<(t + 1)).first
    }

    /// The finished result in the inputs' layout, or nil while computing.
    public func result() -> RNNResult<Scalar>? {
        lock.withLock {
            guard done >= loop.maxTime else { return nil }
            let b = loop.batchSize, time = loop.maxTime, w = loop.outputSize
            let all = Array(UnsafeBufferPointer(start: outputs, count: outputCount))
            if loop.inputs.timeMajor {
                return RNNResult(outputs: Tensor(unchecked: [time, b, w], scalars: all), state: finalState)
            }
            let tm = Tensor<Scalar>(unchecked: [time, b, w], scalars: all)
            return RNNResult(outputs: tm.transposedFirstTwo(), state: finalState)
        }
    }

    /// Bytes held by outputs and checkpoints now.
    public var memoryFootprint: Int {
        lock.withLock {
            let stateScalars = checkpoints.first.map { $0.flattened.reduce(0) { $0 + $1.count } } ?? 0
            return (outputCount + stateScalars * checkpoints.count) * MemoryLayout<Scalar>.stride
        }
    }
}
