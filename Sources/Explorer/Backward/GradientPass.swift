import Foundation
import RNNEngine

/// A backward sweep the explorer shows, seen without its scalar type: the engine's `GradientRun` computing in
/// the background once the forward pass is done, its progress, and frames recomputed from checkpoints on demand.
public protocol GradientSource: AnyObject {
    /// Steps swept so far, counted from the end (`max_time` when done).
    var completedSteps: Int { get }
    var maxTime: Int { get }
    var isComplete: Bool { get }
    /// Why the sweep stopped, if it failed.
    var failure: String? { get }
    /// The state arrays' names in TF's flatten order (`c`, `h`, `0/h`, ...), as `norms` lists them.
    var stateArrayPaths: [String] { get }
    /// Frames for the swept steps of `range`.
    func frames(_ range: Range<Int>) throws -> [GradientFrameData]
    /// `‖∂L/∂state_t‖` of example `b` per state array, as the engine kept it during the sweep (nil until swept).
    func norms(at t: Int, example b: Int) -> [Double]?
    func start()
    func cancel()
    /// Blocks until the sweep is done (tests).
    func waitUntilComplete(timeout: TimeInterval) -> Bool
}

/// `GradientSource` for one scalar type.
final class GradientPass<Scalar: RNNScalar>: GradientSource, @unchecked Sendable {
    let run: GradientRun<Scalar>
    private let stop = StopFlag()
    private let lock = NSLock()
    private var started = false

    init(forward: RecordedRun<Scalar>, loss: RNNLoss<Scalar>) throws {
        run = try GradientRun(forward: forward, loss: loss)
    }

    deinit { stop.set() }

    var completedSteps: Int { run.completedSteps }
    var maxTime: Int { run.loop.maxTime }
    var isComplete: Bool { run.isComplete }
    var failure: String? { run.error.map(describe) ?? run.forward.error.map(describe) }
    var stateArrayPaths: [String] { run.loop.cell.stateSize.flattenedWithPaths.map(\.path) }

    func frames(_ range: Range<Int>) throws -> [GradientFrameData] {
        try run.frames(range).map { GradientFrameData($0) }
    }

    func norms(at t: Int, example b: Int) -> [Double]? { run.stateGradientNorms(at: t, example: b) }

    /// Starts the sweep on a background thread once the session's forward pass (computed by its own thread) is done.
    func start() {
        let go = lock.withLock { () -> Bool in
            if started { return false }
            started = true
            return true
        }
        guard go else { return }
        let run = self.run, stop = self.stop
        runInBackground {
            // The session's own thread computes the forward pass; the sweep starts once it is complete.
            while !run.forward.isComplete && run.forward.error == nil && !stop.isSet { Thread.sleep(forTimeInterval: 0.01) }
            if run.forward.error == nil && !stop.isSet { run.compute(shouldStop: { stop.isSet }) }
        }
    }

    func cancel() { stop.set() }

    func waitUntilComplete(timeout: TimeInterval) -> Bool {
        start()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if run.isComplete || failure != nil { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}

extension Session {
    /// The backward sweep of direction `d` for `selection`, through this session's forward pass; refused (with
    /// the reason) where the engine computes no gradient.
    func gradientPass(direction d: Direction, selection: BackwardSelection, state: ExplorerState) -> Result<GradientSource, BackwardRefusal> {
        guard spec.convention == .tf else {
            return .failure(BackwardRefusal("the backward view follows dynamic_rnn; under \(spec.convention.frameworkName) unroll run writes the gradients (grad/...), but this view cannot step them yet: C switches the convention to tf"))
        }
        guard runs.indices.contains(d.rawValue) else { return .failure(BackwardRefusal("no direction \(d.name)")) }
        let forward = runs[d.rawValue]
        let loss: Result<RNNLoss<Scalar>, BackwardRefusal> = selection.loss(state, outputSize: forward.loop.outputSize)
        switch loss {
        case let .failure(r): return .failure(r)
        case let .success(l):
            do {
                return .success(try GradientPass(forward: forward, loss: l))
            } catch {
                return .failure(BackwardRefusal(describe(error)))
            }
        }
    }
}
