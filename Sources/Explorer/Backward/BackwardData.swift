import Foundation
import RNNEngine

/// What the backward view draws besides `ExplorerState`: the sweep's frames for the window, the engine's state
/// gradient norms per step, its progress, or why there is no sweep.
public struct BackwardData {
    public var refusal: String?
    public var frames: [Int: GradientFrameData] = [:]
    /// `‖∂L/∂state_t‖` of the selected example per step of the window, one per state array (`paths`).
    public var norms: [Int: [Double]] = [:]
    public var paths: [String] = []
    /// The largest and smallest non-zero `‖∂L/∂state_t‖` of the selected layer's arrays over every swept step and
    /// example: the bounds of the view's one log scale for the whole run (every component is at most its norm).
    public var runNorms: (largest: Double, smallest: Double)?
    public var completed = 0
    public var maxTime = 0
    public var failure: String?
    /// Which weights learn (`W`): the engine's trace of each weight block's gradient, once the sweep is done.
    public var weights: WeightGradientTrace?
    /// Why there is no trace of the weights (too long a run), nil when there is one or it is still coming.
    public var weightsRefusal: String?
    /// `runNorms` spans the run beside this one too (`O`): both views draw on one log scale.
    public var sharedScale = false
    /// With a run beside (`O`): the largest and smallest weight-block contribution of both runs' shown layers, the
    /// whole-run scale of the weights' rows.
    public var sharedWeightExtremes: (largest: Double, smallest: Double)?

    public var isComputing: Bool { refusal == nil && failure == nil && completed < maxTime }

    /// Index of layer `l`'s state array `part` (`h`, `c`) in `paths`.
    func arrayIndex(_ part: String, layer l: Int, layerCount: Int) -> Int? {
        let candidates = layerCount <= 1 ? [part, ""] : ["\(l)/\(part)", "\(l)"]
        for c in candidates { if let i = paths.firstIndex(of: c) { return i } }
        return nil
    }
}

/// The sweep on screen and the frames recently shown, for one session generation, direction and loss.
struct BackwardCache {
    struct Key: Equatable {
        let generation: Int
        let direction: Direction
        let selection: BackwardSelection
    }
    var key: Key?
    var source: Result<GradientSource, BackwardRefusal>?
    var frames: [Int: GradientFrameData] = [:]
    var framesCompleted = -1
    /// `BackwardData.runNorms` for a layer, as far as the sweep had come.
    var runNorms: (layer: Int, completed: Int, value: (largest: Double, smallest: Double)?)?

    mutating func reset() {
        if case let .success(s)? = source { s.cancel() }
        key = nil
        source = nil
        frames = [:]
        framesCompleted = -1
        runNorms = nil
    }
}

extension ExplorerModel {
    /// The sweep for the state's direction and loss (its job started on first use, or once the forward pass is
    /// done), or the refusal.
    func gradientSource(state: ExplorerState) -> Result<GradientSource, BackwardRefusal> {
        let key = BackwardCache.Key(generation: generation, direction: state.direction, selection: state.backward)
        if backwardCache.key != key {
            backwardCache.reset()
            backwardCache.key = key
            let source = session.gradientPass(direction: state.direction, selection: state.backward, state: state)
            if case let .success(s) = source { s.start() }
            backwardCache.source = source
        }
        return backwardCache.source ?? .failure(BackwardRefusal("no sweep"))
    }

    /// The backward view's data for the steps `range` of the state's direction (frames of swept steps, cached).
    public func backwardData(state: ExplorerState, range: Range<Int>) -> BackwardData {
        var data = BackwardData()
        data.maxTime = state.maxTime
        switch gradientSource(state: state) {
        case let .failure(r):
            data.refusal = r.reason
            return data
        case let .success(source):
            data.completed = source.completedSteps
            data.failure = source.failure
            data.paths = source.stateArrayPaths
            let sweptFrom = state.maxTime - data.completed
            let wanted = max(range.lowerBound, sweptFrom)..<max(range.upperBound, max(range.lowerBound, sweptFrom))
            let missing = wanted.filter { backwardCache.frames[$0] == nil }
            if let first = missing.first, let last = missing.last {
                do {
                    for f in try source.frames(first..<(last + 1)) { backwardCache.frames[f.time] = f }
                } catch {
                    data.failure = describe(error)
                }
            }
            if backwardCache.frames.count > 4096 { backwardCache.frames = backwardCache.frames.filter { range.contains($0.key) } }
            data.runNorms = runNorms(source, state: state, paths: data.paths, completed: data.completed)
            if state.backwardWeights {
                switch source.weightTrace() {
                case let .success(t)?: data.weights = t
                case let .failure(r)?: data.weightsRefusal = r.reason
                case nil: break
                }
            }
            for t in range {
                if let f = backwardCache.frames[t] { data.frames[t] = f }
                if let n = source.norms(at: t, example: state.example) { data.norms[t] = n }
            }
            return data
        }
    }

    /// The selected layer's largest and smallest non-zero state-gradient norm over the swept steps and every example
    /// (the engine's norms), cached until the sweep moves on or another layer is selected.
    private func runNorms(_ source: GradientSource, state: ExplorerState, paths: [String], completed: Int) -> (largest: Double, smallest: Double)? {
        if let c = backwardCache.runNorms, c.layer == state.layer, c.completed == completed { return c.value }
        var probe = BackwardData()
        probe.paths = paths
        let arrays = ["h", "c"].compactMap { probe.arrayIndex($0, layer: state.layer, layerCount: state.layers.count) }
        var largest = 0.0, smallest = Double.infinity
        for t in max(0, state.maxTime - completed)..<state.maxTime {
            for b in 0..<state.batchSize {
                guard let n = source.norms(at: t, example: b) else { continue }
                for i in arrays where n.indices.contains(i) && n[i].isFinite && n[i] > 0 {
                    largest = max(largest, n[i])
                    smallest = min(smallest, n[i])
                }
            }
        }
        let value = largest > 0 ? (largest, smallest) : nil
        backwardCache.runNorms = (state.layer, completed, value)
        return value
    }

    /// Steps swept by the backward view's sweep (playback waits for them).
    var backwardProgress: Int {
        if case let .success(s)? = backwardCache.source { return s.completedSteps }
        return 0
    }

    /// A forward pass ended (its `forwardDone` message): the sweep waiting for it starts.
    func startWaitingSweep() {
        if case let .success(s)? = backwardCache.source { s.start() }
    }
}
