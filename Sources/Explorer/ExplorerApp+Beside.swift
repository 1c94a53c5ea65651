import Experiment
import Foundation
import RNNEngine

/// A second experiment beside the first (`O`, `unroll A.json --beside B.json`): the backward view draws both
/// sweeps one above the other, on the same steps and one log scale (the BPTT lecture's slide: a vanilla RNN's
/// ‖∂L/∂h_t‖ fading, an LSTM's surviving). The second follows the first's cursor, example, layer, unit and loss
/// choice (clamped to its own sizes); its own model computes its passes, so nothing of the engine is copied here.
extension ExplorerApp {
    /// Shows `m` beside the experiment (its passes start); with `view`, switches to the backward view.
    func showBeside(_ m: ExplorerModel, view: Bool) {
        beside?.session.cancel()
        beside = m
        m.start()
        state.beside = m.displayName
        let k = Keymap.names()
        if view && state.view != .backward {
            state.view = .backward
            state.frameScroll = 0
            BackwardSelection.enter(&state, next: false)
        }
        state.setMessage("beside: \(m.displayName): the backward view (\(k(.view(.backward)))) draws both on one log scale, the comparison view (\(k(.view(.compare)))) compares their outputs; \(k(.openBeside)) closes it")
    }

    /// Loads `path` in the background to show beside (nil: closes the one beside).
    func openBeside(_ path: String?) {
        guard let path else {
            let name = beside?.displayName ?? ""
            beside?.session.cancel()
            beside = nil
            state.beside = nil
            state.setMessage("closed \(name): one experiment again")
            return
        }
        let file = (path as NSString).expandingTildeInPath
        Job.start(posting: model.mailbox) { job in
            job.post(.openedBeside(path: path, Result { try ExplorerModel.load(path: file) }))
        }
        state.setMessage("opening \(path) beside... (loading in the background)")
    }

    func finishOpeningBeside(_ path: String, _ result: Result<ExplorerModel, Error>) {
        switch result {
        case let .success(m): showBeside(m, view: true)
        case let .failure(error):
            let text = (error as? ExperimentError)?.description ?? describe(error)
            state.setMessage("could not open beside: " + (text.contains(path) ? text : "\(path): \(text)"), error: true)
        }
    }

    /// Applies what the jobs of the experiment beside posted (its sweep starts once its forward pass is done);
    /// true when there was something (the screen is redrawn).
    func takeBesideMessages() -> Bool {
        guard let b = beside else { return false }
        let messages = b.mailbox.take()
        for message in messages {
            if case .forwardDone = message { b.startWaitingSweep() }
        }
        return !messages.isEmpty
    }

    /// The state the experiment beside is drawn with: its own sizes, the first's cursor and choices, clamped.
    func besideState() -> ExplorerState? {
        guard let m = beside else { return nil }
        let s0 = m.session
        var s = ExplorerState(spec: s0.spec, batchSize: s0.batchSize, maxTime: s0.maxTime, inputDepth: s0.inputDepth)
        s.view = state.view
        s.t = state.t
        s.example = state.example
        s.layer = state.layer
        s.unit = state.unit
        s.windowStart = state.windowStart
        s.backwardScaleInView = state.backwardScaleInView
        s.backwardWeights = state.backwardWeights
        s.clamp()
        s.backward = state.backward
        s.backward.opened = true
        s.backward.example = min(s.backward.example, max(0, s.batchSize - 1))
        s.backward.unit = min(s.backward.unit, max(0, (s.spec.cell.layers.last?.outputSize ?? 1) - 1))
        return s
    }

    /// The comparison of the experiment with the one beside (started in the background on first use), nil when
    /// none is open beside.
    func besideComparison() -> ComparisonRun? {
        guard let b = beside else { return nil }
        let key = [ObjectIdentifier(model.session), ObjectIdentifier(b.session)]
        if let c = besideComparisonCache, c.key == key { return c.run }
        let names = (state.spec.name.isEmpty ? model.displayName : state.spec.name, b.spec.name.isEmpty ? b.displayName : b.spec.name)
        let run = model.session.comparison(beside: b.session, names: names)
        besideComparisonCache = (key, run)
        return run
    }

    /// The backward view's data of the experiment beside, for the steps `range` (clamped to its run).
    func besideData(range: Range<Int>) -> BesideData? {
        guard let m = beside, let s = besideState() else { return nil }
        let r = min(range.lowerBound, s.maxTime)..<min(range.upperBound, s.maxTime)
        return BesideData(state: s, backward: m.backwardData(state: s, range: r), name: s.spec.name.isEmpty ? m.displayName : s.spec.name)
    }
}

extension BesideData {
    /// Both views' data with one scale: the largest and smallest norms of either run (and of the weight blocks'
    /// contributions of the layers shown, `layers`).
    static func sharingScale(_ a: BackwardData, _ b: BackwardData, layers: (Int, Int)) -> (BackwardData, BackwardData) {
        var a = a, b = b
        let weights = [(a.weights, layers.0), (b.weights, layers.1)].compactMap { t, l in
            t.flatMap { BackwardView.extremes($0, blocks: $0.displayOrder(layer: l), times: $0.times) }
        }
        if !weights.isEmpty {
            let union = (largest: weights.map(\.largest).max() ?? 0, smallest: weights.map(\.smallest).min() ?? 0)
            a.sharedWeightExtremes = union
            b.sharedWeightExtremes = union
        }
        let both = [a.runNorms, b.runNorms].compactMap { $0 }
        if !both.isEmpty {
            let union = (largest: both.map(\.largest).max() ?? 0, smallest: both.map(\.smallest).min() ?? 0)
            a.runNorms = union
            b.runNorms = union
        }
        a.sharedScale = true
        b.sharedScale = true
        return (a, b)
    }
}
