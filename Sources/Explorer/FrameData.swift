import RNNEngine

/// A value one layer recorded at a step, by where it lives in the engine's `LayerFrame`: what the panes read and
/// what an export names its arrays after.
public enum LayerValue: Hashable, Sendable {
    /// The layer's input `x_t`.
    case input
    /// The layer's output as computed (what the next layer reads).
    case cellOutput
    /// A gate or intermediate (`LayerFrame.gates`), after its activation.
    case gate(String)
    /// What went into an activation (`LayerFrame.terms`: `i_pre`, `peep_f`, …).
    case term(String)
}

/// One of a layer's states around a step (`LayerFrame.stateBefore`, `.computedState`, `.stateAfter`).
public enum LayerStateKind: Sendable {
    case before, computed, after
}

/// The engine's `LayerFrame`, of the experiment's scalar type, seen without it: its values come out as Doubles
/// only where they are read (a row for drawing, a whole tensor for a caller that wants one).
protocol RecordedLayer: Sendable {
    var layer: Int { get }
    var cellName: String { get }
    var gateNames: [String] { get }
    var termNames: [String] { get }
    /// Row `b` of `value` as Doubles (nil when not recorded or out of range).
    func row(_ value: LayerValue, _ b: Int) -> [Double]?
    /// Row `b` of the state part `part` (`h`, `c`) of `kind`.
    func stateRow(_ kind: LayerStateKind, _ part: String, _ b: Int) -> [Double]?
    /// Row `b` of every part of the state `kind`, by name.
    func stateRows(_ kind: LayerStateKind, _ b: Int) -> [(name: String, values: [Double]?)]
    /// `value` as a tensor of Doubles.
    func doubles(_ value: LayerValue) -> Tensor<Double>?
    /// The state `kind` as tensors of Doubles.
    func doubles(_ kind: LayerStateKind) -> Nest<Tensor<Double>>
    /// Bytes the recorded tensors hold.
    var byteCount: Int { get }
}

extension LayerFrame: RecordedLayer {
    /// The tensor `value` names, in the engine's scalar type.
    func tensor(_ value: LayerValue) -> Tensor<Scalar>? {
        switch value {
        case .input: return input
        case .cellOutput: return cellOutput
        case let .gate(name): return gates.first { $0.name == name }?.value
        case let .term(name): return terms.first { $0.name == name }?.value
        }
    }

    /// The state `kind`, in the engine's scalar type.
    func state(_ kind: LayerStateKind) -> Nest<Tensor<Scalar>> {
        switch kind {
        case .before: return stateBefore
        case .computed: return computedState
        case .after: return stateAfter
        }
    }

    var gateNames: [String] { gates.map(\.name) }
    var termNames: [String] { terms.map(\.name) }
    func row(_ value: LayerValue, _ b: Int) -> [Double]? { tensor(value).flatMap { rowValues($0, b) } }
    func stateRow(_ kind: LayerStateKind, _ part: String, _ b: Int) -> [Double]? {
        StateParts(state(kind)).part(part).flatMap { rowValues($0, b) }
    }
    func stateRows(_ kind: LayerStateKind, _ b: Int) -> [(name: String, values: [Double]?)] {
        StateParts(state(kind)).parts.map { ($0.name, rowValues($0.value, b)) }
    }
    func doubles(_ value: LayerValue) -> Tensor<Double>? { tensor(value)?.cast() }
    func doubles(_ kind: LayerStateKind) -> Nest<Tensor<Double>> { state(kind).map { $0.cast() } }

    var byteCount: Int {
        let tensors = [input, cellOutput] + gates.map(\.value) + terms.map(\.value)
            + stateBefore.flattened + computedState.flattened + stateAfter.flattened
        return tensors.reduce(0) { $0 + $1.count } * MemoryLayout<Scalar>.size
    }
}

/// One layer of a recorded step as the panes read it: the engine's `LayerFrame` (nothing copied, nothing
/// recomputed); `row` gives the Doubles a pane draws, the tensor accessors whole tensors as Doubles.
public struct LayerData: Sendable {
    let recorded: any RecordedLayer

    /// Index of the layer in the stack (0 for a single cell).
    public var layer: Int { recorded.layer }
    /// TF's name for the cell (`lstm_cell`, ...).
    public var cellName: String { recorded.cellName }
    /// Row `b` of `value` as Doubles: what a pane draws.
    public func row(_ value: LayerValue, _ b: Int) -> [Double]? { recorded.row(value, b) }
    /// Row `b` of the state part `part` (`h`, `c`) before the step, as computed or as kept.
    public func stateRow(_ kind: LayerStateKind, _ part: String, _ b: Int) -> [Double]? { recorded.stateRow(kind, part, b) }
    /// Row `b` of every part of the state `kind` (`c`, `h`), by name.
    public func stateRows(_ kind: LayerStateKind, _ b: Int) -> [(name: String, values: [Double]?)] { recorded.stateRows(kind, b) }

    /// The layer's input `x_t`, `[batch, depth]`, as Doubles.
    public var input: Tensor<Double> { recorded.doubles(.input) ?? Tensor(zeros: [0]) }
    /// The layer's output as computed (before masking), as Doubles.
    public var cellOutput: Tensor<Double> { recorded.doubles(.cellOutput) ?? Tensor(zeros: [0]) }
    /// The gates in the order the cell computed them.
    public var gates: [(name: String, value: Tensor<Double>)] {
        recorded.gateNames.compactMap { n in recorded.doubles(.gate(n)).map { (n, $0) } }
    }
    /// What went into the activations (`i_pre`, `peep_f`, `c_unclipped`, …), as the engine recorded it.
    public var terms: [(name: String, value: Tensor<Double>)] {
        recorded.termNames.compactMap { n in recorded.doubles(.term(n)).map { (n, $0) } }
    }
    /// The state before the step, as Doubles.
    public var stateBefore: Nest<Tensor<Double>> { recorded.doubles(.before) }
    /// The state the cell computed (before masking), as Doubles.
    public var computedState: Nest<Tensor<Double>> { recorded.doubles(.computed) }
    /// The state after the step (masked rows copied through), as Doubles.
    public var stateAfter: Nest<Tensor<Double>> { recorded.doubles(.after) }

    /// The term recorded under `name`, if any.
    public func term(_ name: String) -> Tensor<Double>? { recorded.doubles(.term(name)) }

    /// The gate recorded under `name`, if any.
    public func gate(_ name: String) -> Tensor<Double>? { recorded.doubles(.gate(name)) }
}

/// The engine's `Frame` with what the run emits at the step under its convention, in the engine's scalar type.
struct EmittedFrame<Scalar: RNNScalar>: Sendable {
    let frame: Frame<Scalar>
    /// `frame.output` with masked rows as `rule` has them (Keras: the row's last valid output).
    let output: Tensor<Scalar>

    /// `frame`, its masked rows' output set as the convention's `MaskedOutputRule` has it: `source(b, t)` is the step
    /// whose output masked row `b` shows at step `t` (nil: `dynamic_rnn`'s zeros stay), read through `output(at:)`
    /// (the run's emitted outputs by step).
    init(_ frame: Frame<Scalar>, source: (Int, Int) -> Int?, output emitted: (Int) -> Tensor<Scalar>?) {
        self.frame = frame
        var output = frame.output
        if output.rank == 2 {
            let width = output.shape[1]
            for (b, isMasked) in frame.masked.enumerated() where isMasked {
                guard let from = source(b, frame.time), from != frame.time,
                      let e = emitted(from), e.shape == output.shape else { continue }
                for k in 0..<width { output.scalars[b * width + k] = e.scalars[b * width + k] }
            }
        }
        self.output = output
    }
}

/// An `EmittedFrame` seen without its scalar type.
protocol RecordedStep: Sendable {
    var time: Int { get }
    var masked: [Bool] { get }
    var ran: Bool { get }
    var recordedLayers: [any RecordedLayer] { get }
    func outputRow(_ b: Int) -> [Double]?
    /// Row `b` of every part of layer `l`'s state after the step, by name (nil when the state has no such layer).
    func stateRows(layer l: Int, layerCount: Int, _ b: Int) -> [(name: String, values: [Double]?)]?
    var outputDoubles: Tensor<Double> { get }
    var stateDoubles: Nest<Tensor<Double>> { get }
    var byteCount: Int { get }
}

extension EmittedFrame: RecordedStep {
    var time: Int { frame.time }
    var masked: [Bool] { frame.masked }
    var ran: Bool { frame.ran }
    var recordedLayers: [any RecordedLayer] { frame.layers }
    func outputRow(_ b: Int) -> [Double]? { rowValues(output, b) }
    func stateRows(layer l: Int, layerCount: Int, _ b: Int) -> [(name: String, values: [Double]?)]? {
        if let ld = frame.layers.first(where: { $0.layer == l }) { return ld.stateRows(.after, b) }
        let state = layerCount <= 1 ? frame.state : frame.state[item: l]
        return state.map { StateParts($0).parts.map { ($0.name, rowValues($0.value, b)) } }
    }
    var outputDoubles: Tensor<Double> { output.cast() }
    var stateDoubles: Nest<Tensor<Double>> { frame.state.map { $0.cast() } }
    var byteCount: Int {
        let own = (output.count + frame.output.count + frame.state.flattened.reduce(0) { $0 + $1.count }) * MemoryLayout<Scalar>.size
        return frame.layers.reduce(own) { $0 + $1.byteCount }
    }
}

/// One step of the unrolled loop as the panes read it: the engine's `Frame` of the experiment's scalar type, with
/// what the run emits under its convention (nothing copied, nothing recomputed). Values come out as Doubles where
/// they are read.
public struct FrameData: Sendable {
    let recorded: any RecordedStep

    init(_ recorded: any RecordedStep) { self.recorded = recorded }

    /// TF's 0-based time index.
    public var time: Int { recorded.time }
    /// `masked[b]`: row `b` is past its length at this step (state copied through).
    public var masked: [Bool] { recorded.masked }
    /// False past the loop bound: no cell ran at this step.
    public var ran: Bool { recorded.ran }
    /// Per-layer detail (empty when no cell ran).
    public var layers: [LayerData] { recorded.recordedLayers.map(LayerData.init) }
    /// What the run emits at this step under its convention (`dynamic_rnn`: masked rows 0).
    public var output: Tensor<Double> { recorded.outputDoubles }
    /// Row `b` of `output`: what a pane draws.
    public func outputRow(_ b: Int) -> [Double]? { recorded.outputRow(b) }
    /// The state after this step (after masking), as Doubles.
    public var state: Nest<Tensor<Double>> { recorded.stateDoubles }

    /// Layer `l` of this step, when a cell ran.
    public func layer(_ l: Int) -> LayerData? {
        recorded.recordedLayers.first { $0.layer == l }.map(LayerData.init)
    }

    /// Whether row `b` is masked at this step.
    public func isMasked(_ b: Int) -> Bool { masked.indices.contains(b) ? masked[b] : false }

    /// Row `b` of every part (`c`, `h`) of layer `l`'s state after this step (the whole state for a single cell),
    /// by name; nil when the state has no such layer.
    public func stateRows(layer l: Int, layerCount: Int, row b: Int) -> [(name: String, values: [Double]?)]? {
        recorded.stateRows(layer: l, layerCount: layerCount, b)
    }

    /// The values of `variable` for row `b` of layer `l` (nil when not recorded at this step).
    public func values(of variable: LayerVariable, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        switch variable.source {
        case .stateH, .stateC:
            let part = variable.source == .stateC ? "c" : "h"
            return stateRows(layer: l, layerCount: layerCount, row: b)?.first { $0.name == part }?.values
        case let .gate(name):
            return layer(l)?.row(.gate(name), b)
        }
    }

    /// Bytes its tensors hold (for the cache's budget).
    var approximateBytes: Int { recorded.byteCount + 256 }
}

/// Row `b` of a `[batch, n]` tensor of either scalar type, as Doubles (nil when out of range): where a recorded
/// value becomes what a pane draws.
func rowValues<Scalar: RNNScalar>(_ t: Tensor<Scalar>, _ b: Int) -> [Double]? {
    guard t.rank == 2, b >= 0, b < t.shape[0] else { return nil }
    return t.row(b).map { Double($0) }
}

/// The named parts of one layer's state: `c` and `h` for an LSTM, `h` for a single tensor.
struct StateParts<Scalar: RNNScalar> {
    let parts: [(name: String, value: Tensor<Scalar>)]

    init(_ nest: Nest<Tensor<Scalar>>) {
        switch nest {
        case let .leaf(v): parts = [("h", v)]
        case let .lstm(c, h): parts = [("c", c), ("h", h)]
        case .tuple: parts = nest.flattenedWithPaths.map { ($0.path, $0.value) }
        }
    }

    func part(_ name: String) -> Tensor<Scalar>? { parts.first { $0.name == name }?.value }
}
