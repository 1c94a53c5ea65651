import RNNEngine

/// The engine's `LayerGradientFrame`, of the experiment's scalar type, seen without it: rows come out as Doubles
/// where they are drawn.
protocol RecordedGradientLayer: Sendable {
    var layer: Int { get }
    var cellName: String { get }
    /// Row `b` of the gradient recorded under `name` (`h`, `c`, `m`, a gate).
    func gradientRow(_ name: String, _ b: Int) -> [Double]?
    /// Row `b` of `∂L/∂output` of the layer at this step.
    func outputGradientRow(_ b: Int) -> [Double]?
    /// Row `b` of `∂L/∂x_t` of the layer's input.
    func inputGradientRow(_ b: Int) -> [Double]?
}

extension LayerGradientFrame: RecordedGradientLayer {
    func gradientRow(_ name: String, _ b: Int) -> [Double]? { gradient(name).flatMap { rowValues($0, b) } }
    func outputGradientRow(_ b: Int) -> [Double]? { rowValues(outputGradient, b) }
    func inputGradientRow(_ b: Int) -> [Double]? { rowValues(inputGradient, b) }
}

/// The engine's `GradientFrame` seen without its scalar type.
protocol RecordedGradientStep: Sendable {
    var time: Int { get }
    var masked: [Bool] { get }
    var ran: Bool { get }
    var recordedLayers: [any RecordedGradientLayer] { get }
    /// Row `b` of part `part` of layer `l`'s share of `∂L/∂state_t` (arriving from t+1) or, `passedBack`,
    /// of `∂L/∂state_{t−1}` (what the step passes back).
    func stateGradientRow(passedBack: Bool, _ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]?
}

extension GradientFrame: RecordedGradientStep {
    var recordedLayers: [any RecordedGradientLayer] { layers }

    func stateGradientRow(passedBack: Bool, _ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        let nest = passedBack ? previousStateGradient : stateGradient
        let layerPart = layerCount <= 1 ? nest : nest[item: l]
        return layerPart.flatMap { StateParts($0).part(part) }.flatMap { rowValues($0, b) }
    }
}

/// One layer of a gradient frame as the backward view reads it: the engine's `LayerGradientFrame` (nothing
/// copied, nothing recomputed), rows as Doubles.
public struct LayerGradientData: Sendable {
    let recorded: any RecordedGradientLayer

    /// Index of the layer in the stack (0 for a single cell).
    public var layer: Int { recorded.layer }
    /// TF's name for the cell; its gates are `GateTable.gates(ofCellNamed:)`.
    public var cellName: String { recorded.cellName }
    /// Row `b` of the gradient recorded under `name` (`h`, `c`, a gate), if any.
    public func gradientRow(_ name: String, _ b: Int) -> [Double]? { recorded.gradientRow(name, b) }
    /// Row `b` of `∂L/∂output` of the layer at this step (from the loss at the top, from the layer above below it).
    public func outputGradientRow(_ b: Int) -> [Double]? { recorded.outputGradientRow(b) }
    /// Row `b` of `∂L/∂x_t`.
    public func inputGradientRow(_ b: Int) -> [Double]? { recorded.inputGradientRow(b) }
}

/// One step of the backward sweep as the backward view reads it: the engine's `GradientFrame` of the experiment's
/// scalar type (nothing copied, nothing recomputed), rows as Doubles.
public struct GradientFrameData: Sendable {
    let recorded: any RecordedGradientStep

    init(_ recorded: any RecordedGradientStep) { self.recorded = recorded }

    /// TF's 0-based time index.
    public var time: Int { recorded.time }
    /// `masked[b]`: row `b` is past its length (its state gradient passes back unchanged).
    public var masked: [Bool] { recorded.masked }
    /// False past the loop bound: no cell ran, the state gradient passes back unchanged.
    public var ran: Bool { recorded.ran }
    /// Per-layer detail (empty when no cell ran).
    public var layers: [LayerGradientData] { recorded.recordedLayers.map(LayerGradientData.init) }

    /// Whether row `b` is masked at this step.
    public func isMasked(_ b: Int) -> Bool { masked.indices.contains(b) ? masked[b] : false }

    /// `∂L/∂h_t` (or `∂L/∂c_t` for `part` "c") of layer `l`, row `b`: the cell's total where the row ran, the gradient
    /// passed through the copy where it was masked or no cell ran.
    public func stateGradient(_ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        if ran, !isMasked(b), let ld = recorded.recordedLayers.first(where: { $0.layer == l }), let g = ld.gradientRow(part, b) {
            return g
        }
        return arriving(part, layer: l, layerCount: layerCount, row: b)
    }

    /// `∂L/∂state_t`'s part `part` of layer `l`, row `b`, as it arrives from step t+1.
    public func arriving(_ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        recorded.stateGradientRow(passedBack: false, part, layer: l, layerCount: layerCount, row: b)
    }

    /// `∂L/∂state_{t-1}`'s part `part` of layer `l`, row `b`: what this step passes back.
    public func passedBack(_ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        recorded.stateGradientRow(passedBack: true, part, layer: l, layerCount: layerCount, row: b)
    }
}
