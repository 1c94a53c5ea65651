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
    private var outputs: [Scalar]
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
        outputs = []
        outputs.reserveCapacity(loop.maxTime * loop.batchSize * loop.outputSize)
        finalState = loop.initialState
    }

    /// Steps computed so far (of `loop.maxTime`; steps past the loop bound count as done once it is reached).
    public var completedSteps: Int { lock.withLock { done } }
    /// Whether the whole pass is done.
    public var isComplete: Bool { completedSteps >= loop.maxTime }
    /// The error that stopped `compute`, if any.
    public var error: Error? { lock.withLock { failure } }

    /// Computes forward until `limit` steps are done (all by default). `shouldStop` is polled between steps.
    public func compute(until limit: Int? = nil, shouldStop: () -> Bool = { false }) {
        let target = min(limit ?? loop.maxTime, loop.maxTime)
        var (t, state) = lock.withLock { (done, finalState) }
        let width = loop.batchSize * loop.outputSize
        while t < target {
            if shouldStop() { return }
            if t >= loop.loopBound {
                lock.withLock {
                    outputs.append(contentsOf: repeatElement(0, count: width * (loop.maxTime - t)))
                    done = loop.maxTime
                }
                return
            }
            do {
                let step = try loop.step(from: state, at: t)
                state = step.state
                t += 1
                lock.withLock {
                    outputs.append(contentsOf: step.output.scalars)
                    finalState = state
                    if t % checkpointInterval == 0 { checkpoints.append(state) }
                    done = t
                }
            } catch {
                lock.withLock { failure = error }
                return
            }
        }
    }

    /// The emitted output at step `t` (`[batch, output_size]`), or nil if not computed yet.
    public func output(at t: Int) -> Tensor<Scalar>? {
        lock.withLock {
            guard t >= 0, t < done else { return nil }
            let width = loop.batchSize * loop.outputSize
            return Tensor(unchecked: [loop.batchSize, loop.outputSize], scalars: Array(outputs[(t * width)..<((t + 1) * width)]))
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
            if loop.inputs.timeMajor {
                return RNNResult(outputs: Tensor(unchecked: [time, b, w], scalars: outputs), state: finalState)
            }
            let tm = Tensor<Scalar>(unchecked: [time, b, w], scalars: outputs)
            return RNNResult(outputs: tm.transposedFirstTwo(), state: finalState)
        }
    }

    /// Bytes held by outputs and checkpoints now.
    public var memoryFootprint: Int {
        lock.withLock {
            let stateScalars = checkpoints.first.map { $0.flattened.reduce(0) { $0 + $1.count } } ?? 0
            return (outputs.count + stateScalars * checkpoints.count) * MemoryLayout<Scalar>.stride
        }
    }
}
