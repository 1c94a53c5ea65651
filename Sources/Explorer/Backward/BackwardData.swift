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
    public var completed = 0
    public var maxTime = 0
    public var failure: String?

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

    mutating func reset() {
        if case let .success(s)? = source { s.cancel() }
        key = nil
        source = nil
        frames = [:]
        framesCompleted = -1
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
            for t in range {
                if let f = backwardCache.frames[t] { data.frames[t] = f }
                if let n = source.norms(at: t, example: state.example) { data.norms[t] = n }
            }
            return data
        }
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
