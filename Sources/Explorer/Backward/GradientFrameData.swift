import RNNEngine

/// One layer of a gradient frame, converted to `Double` for display (the engine computed it; nothing here is
/// recomputed).
public struct LayerGradientData: Sendable {
    public let layer: Int
    public let cellName: String
    /// `∂L/∂output` of the layer at this step (from the loss at the top, from the layer above below it).
    public let outputGradient: Tensor<Double>
    /// `∂L/∂state` arriving from t+1 as the layer's step received it (masked rows zero: their gradient goes
    /// around the step through the copy).
    public let nextStateGradient: Nest<Tensor<Double>>
    /// `h`, `c`, `m` and each gate's gradient, as the engine recorded them.
    public let gradients: [(name: String, value: Tensor<Double>)]
    public let inputGradient: Tensor<Double>

    init<S: RNNScalar>(_ l: LayerGradientFrame<S>) {
        layer = l.layer
        cellName = l.cellName
        outputGradient = l.outputGradient.cast()
        nextStateGradient = l.nextStateGradient.map { $0.cast() }
        gradients = l.gradients.map { ($0.name, $0.value.cast()) }
        inputGradient = l.inputGradient.cast()
    }

    /// The gradient recorded under `name` (`h`, `c`, a gate), if any.
    public func gradient(_ name: String) -> Tensor<Double>? { gradients.first { $0.name == name }?.value }
}

/// One step of the backward sweep (the engine's `GradientFrame`), converted to `Double`.
public struct GradientFrameData: Sendable {
    public let time: Int
    public let masked: [Bool]
    public let ran: Bool
    public let layers: [LayerGradientData]
    /// `∂L/∂output_t` from the loss (masked rows zero).
    public let outputGradient: Tensor<Double>
    /// `∂L/∂state_t` arriving from step t+1 (every row, masked ones included).
    public let stateGradient: Nest<Tensor<Double>>
    /// `∂L/∂x_t` (masked rows zero).
    public let inputGradient: Tensor<Double>
    /// `∂L/∂state_{t-1}`, what the step passes back (masked rows: `stateGradient`'s, copied).
    public let previousStateGradient: Nest<Tensor<Double>>

    init<S: RNNScalar>(_ f: GradientFrame<S>) {
        time = f.time
        masked = f.masked
        ran = f.ran
        layers = f.layers.map(LayerGradientData.init)
        outputGradient = f.outputGradient.cast()
        stateGradient = f.stateGradient.map { $0.cast() }
        inputGradient = f.inputGradient.cast()
        previousStateGradient = f.previousStateGradient.map { $0.cast() }
    }

    public func isMasked(_ b: Int) -> Bool { masked.indices.contains(b) ? masked[b] : false }

    /// Layer `l`'s part of a whole-cell state gradient (the nest itself for a single cell).
    static func layerPart(_ nest: Nest<Tensor<Double>>, layer l: Int, layerCount: Int) -> Nest<Tensor<Double>>? {
        layerCount <= 1 ? nest : nest[item: l]
    }

    /// `∂L/∂h_t` (or `∂L/∂c_t` for `part` "c") of layer `l`, row `b`: the cell's total where the row ran, the gradient
    /// passed through the copy where it was masked or no cell ran.
    public func stateGradient(_ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        if ran, !isMasked(b), let ld = layers.first(where: { $0.layer == l }), let g = ld.gradient(part) {
            return rowValues(g, b)
        }
        return arriving(part, layer: l, layerCount: layerCount, row: b)
    }

    /// `∂L/∂state_t`'s part `part` of layer `l`, row `b`, as it arrives from step t+1.
    public func arriving(_ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        Self.layerPart(stateGradient, layer: l, layerCount: layerCount).flatMap { StateParts($0).part(part) }.flatMap { rowValues($0, b) }
    }

    /// `∂L/∂state_{t-1}`'s part `part` of layer `l`, row `b`: what this step passes back.
    public func passedBack(_ part: String, layer l: Int, layerCount: Int, row b: Int) -> [Double]? {
        Self.layerPart(previousStateGradient, layer: l, layerCount: layerCount).flatMap { StateParts($0).part(part) }.flatMap { rowValues($0, b) }
    }
}
