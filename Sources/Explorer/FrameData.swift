import RNNEngine

/// One layer of a recorded step, converted to `Double` for display (the engine computed it in the
/// experiment's dtype; nothing here is recomputed).
public struct LayerData: Sendable {
    public let layer: Int
    public let cellName: String
    public let input: Tensor<Double>
    public let gates: [(name: String, value: Tensor<Double>)]
    public let stateBefore: Nest<Tensor<Double>>
    public let computedState: Nest<Tensor<Double>>
    public let stateAfter: Nest<Tensor<Double>>
    public let cellOutput: Tensor<Double>
    /// What went into the activations (`i_pre`, `peep_f`, `c_unclipped`, …), as the engine recorded it.
    public let terms: [(name: String, value: Tensor<Double>)]

    init<S: RNNScalar>(_ l: LayerFrame<S>) {
        layer = l.layer
        cellName = l.cellName
        input = l.input.cast()
        gates = l.gates.map { ($0.name, $0.value.cast()) }
        stateBefore = l.stateBefore.map { $0.cast() }
        computedState = l.computedState.map { $0.cast() }
        stateAfter = l.stateAfter.map { $0.cast() }
        cellOutput = l.cellOutput.cast()
        terms = l.terms.map { ($0.name, $0.value.cast()) }
    }

    /// The term recorded under `name`, if any.
    public func term(_ name: String) -> Tensor<Double>? {
        terms.first { $0.name == name }?.value
    }

    /// The gate recorded under `name`, if any.
    public func gate(_ name: String) -> Tensor<Double>? {
        gates.first { $0.name == name }?.value
    }
}

/// One step of the unrolled loop, as the engine's `Frame`, converted to `Double`.
public struct FrameData: Sendable {
    public let time: Int
    public let masked: [Bool]
    /// False past the loop bound: no cell ran at this step.
    public let ran: Bool
    public let layers: [LayerData]
    /// What the run emits at this step under its convention (`dynamic_rnn`: masked rows 0).
    public private(set) var output: Tensor<Double>
    public let state: Nest<Tensor<Double>>

    init<S: RNNScalar>(_ f: Frame<S>) {
        time = f.time
        masked = f.masked
        ran = f.ran
        layers = f.layers.map(LayerData.init)
        output = f.output.cast()
        state = f.state.map { $0.cast() }
    }

    /// Sets masked rows' emitted output as `rule` has it (Keras: the row's last valid output, read through
    /// `output(at:)`, the run's emitted outputs by step); `dynamic_rnn`'s zeros stay for `.zeros`.
    mutating func applyMaskedOutputRule(_ rule: MaskedOutputRule, lengths: [Int]?, output: (Int) -> Tensor<Double>?) {
        guard rule != .zeros, let lengths, self.output.rank == 2 else { return }
        let width = self.output.shape[1]
        for (b, isMasked) in masked.enumerated() where isMasked && lengths.indices.contains(b) {
            guard let source = rule.sourceStep(time: time, length: lengths[b]), source != time,
                  let emitted = output(source), emitted.shape == self.output.shape else { continue }
            for k in 0..<width { self.output.scalars[b * width + k] = emitted.scalars[b * width + k] }
        }
    }

    /// Whether row `b` is masked at this step.
    public func isMasked(_ b: Int) -> Bool { masked.indices.contains(b) ? masked[b] : false }

    /// The state of layer `l` after this step (the whole state for a single cell).
    public func layerState(_ l: Int, layerCount: Int) -> Nest<Tensor<Double>>? {
        if let ld = layers.first(where: { $0.layer == l }) { return ld.stateAfter }
        if layerCount <= 1 { return state }
        return state[item: l]
    }

    /// The values of `variable` for row `b` of layer `l` (nil when not recorded at this step).
    public func values(of variable: LayerVariable, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        switch variable.source {
        case .stateH, .stateC:
            guard let s = layerState(l, layerCount: layerCount) else { return nil }
            return StateParts(s).part(variable.source == .stateC ? "c" : "h").flatMap { rowValues($0, b) }
        case let .gate(name):
            guard let ld = layers.first(where: { $0.layer == l }), let g = ld.gate(name) else { return nil }
            return rowValues(g, b)
        }
    }
}

/// Row `b` of a `[batch, n]` tensor (nil when out of range).
func rowValues(_ t: Tensor<Double>, _ b: Int) -> [Double]? {
    guard t.rank == 2, b >= 0, b < t.shape[0] else { return nil }
    return Array(t.row(b))
}

/// The named parts of one layer's state: `c` and `h` for an LSTM, `h` for a single tensor.
struct StateParts {
    let parts: [(name: String, value: Tensor<Double>)]

    init(_ nest: Nest<Tensor<Double>>) {
        switch nest {
        case let .leaf(v): parts = [("h", v)]
        case let .lstm(c, h): parts = [("c", c), ("h", h)]
        case .tuple: parts = nest.flattenedWithPaths.map { ($0.path, $0.value) }
        }
    }

    func part(_ name: String) -> Tensor<Double>? { parts.first { $0.name == name }?.value }
}
