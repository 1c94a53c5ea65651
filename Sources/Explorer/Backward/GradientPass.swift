import Foundation
import RNNEngine

/// A backward sweep the explorer shows, seen without its scalar type: the engine's `GradientRun` computing in
/// a background job once the forward pass is done, its progress, and frames recomputed from checkpoints on demand.
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
    /// How each weight block's gradient accumulates over the sweep (the engine's `WeightGradientTrace`), or why the
    /// view does not compute it; nil until the sweep is complete.
    func weightTrace() -> Result<WeightGradientTrace, BackwardRefusal>?
    /// Starts the sweep as a background job once the forward pass is complete (until then a no-op: the model
    /// calls it again when the forward pass's `forwardDone` arrives).
    func start()
    func cancel()
}

/// `GradientSource` for one scalar type.
final class GradientPass<Scalar: RNNScalar>: GradientSource {
    let run: GradientRun<Scalar>
    private let mailbox: Mailbox
    private var job: Job?

    init(forward: RecordedRun<Scalar>, loss: RNNLoss<Scalar>, mailbox: Mailbox) throws {
        run = try GradientRun(forward: forward, loss: loss)
        self.mailbox = mailbox
    }

    deinit { job?.cancel() }

    var completedSteps: Int { run.completedSteps }
    var maxTime: Int { run.loop.maxTime }
    var isComplete: Bool { run.isComplete }
    var failure: String? { run.error.map(describe) ?? run.forward.error.map(describe) }
    var stateArrayPaths: [String] { run.loop.cell.stateSize.flattenedWithPaths.map(\.path) }

    func frames(_ range: Range<Int>) throws -> [GradientFrameData] {
        try run.frames(range).map { GradientFrameData($0) }
    }

    func norms(at t: Int, example b: Int) -> [Double]? { run.stateGradientNorms(at: t, example: b) }

    private var trace: Result<WeightGradientTrace, BackwardRefusal>?

    /// Most `max_time · batch · parameters` the view replays the sweep for (in the drawing thread, once: the trace
    /// is sized for the lecture hall, not for long runs).
    static var traceBudget: Double { 20_000_000 }

    func weightTrace() -> Result<WeightGradientTrace, BackwardRefusal>? {
        if let trace { return trace }
        guard run.isComplete, let g = run.result() else { return nil }
        let loop = run.loop
        let parameters = g.weights.values.reduce(0) { $0 + $1.count }
        let work = Double(loop.maxTime) * Double(loop.batchSize) * Double(parameters)
        if work > Self.traceBudget {
            trace = .failure(BackwardRefusal("which weights learn replays every step: \(Format.count(loop.maxTime)) steps × batch \(loop.batchSize) × \(Format.count(parameters)) parameters is more than the view replays; unroll run writes the totals (grad/...)"))
        } else {
            do {
                trace = try run.weightGradientTrace().map { .success($0) }
            } catch {
                trace = .failure(BackwardRefusal(describe(error)))
            }
        }
        return trace
    }

    /// The session's own job computes the forward pass, and `GradientRun.compute` must not run it beside that
    /// job: the sweep's job starts only once the forward pass is complete (a failed one never completes).
    func start() {
        guard job == nil, run.forward.isComplete else { return }
        let run = self.run
        job = Job.start(posting: mailbox) { job in
            run.compute(shouldStop: {
                job.post(.progress)
                return job.isCancelled
            })
            job.post(.sweepDone)
        }
    }

    func cancel() { job?.cancel() }
}

extension Session {
    /// The backward sweep of direction `d` for `selection`, through this session's forward pass; refused (with
    /// the reason) where the engine computes no gradient.
    func gradientPass(direction d: Direction, selection: BackwardSelection, state: ExplorerState) -> Result<GradientSource, BackwardRefusal> {
        guard spec.convention == .tf else {
            return .failure(BackwardRefusal("the backward view follows dynamic_rnn; under \(spec.convention.frameworkName) unroll run writes the gradients (grad/...), but this view cannot step them yet: \(Keymap.names()(.conventionNext)) switches the convention to tf"))
        }
        guard runs.indices.contains(d.rawValue) else { return .failure(BackwardRefusal("no direction \(d.name)")) }
        let forward = runs[d.rawValue]
        let loss: Result<RNNLoss<Scalar>, BackwardRefusal> = selection.loss(state, outputSize: forward.loop.outputSize)
        switch loss {
        case let .failure(r): return .failure(r)
        case let .success(l):
            do {
                return .success(try GradientPass(forward: forward, loss: l, mailbox: mailbox))
            } catch {
                return .failure(BackwardRefusal(describe(error)))
            }
        }
    }
}
