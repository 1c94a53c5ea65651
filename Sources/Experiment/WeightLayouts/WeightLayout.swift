import RNNEngine

/// One framework's names and layouts for a layer's weights: `read` turns its arrays into the neutral
/// `LayerWeights`, `write` turns those back into its arrays. One file per framework.
protocol WeightLayout {
    static var convention: Convention { get }
    static func read<S: RNNScalar>(_ layer: RNNModel.Layer, in model: RNNModel, from source: WeightSource<S>) throws -> LayerWeights<S>
    static func write<S: RNNScalar>(_ weights: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)]
    /// The gradients of this framework's arrays from the gradients of the neutral weights: the transpose of `read`.
    /// Where `read` only copies, transposes and reorders, that is `write`; a layout whose `read` sums arrays gives
    /// each summand the sum's gradient.
    static func writeGradients<S: RNNScalar>(_ gradients: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)]
}

extension WeightLayout {
    static func writeGradients<S: RNNScalar>(_ gradients: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)] {
        write(gradients, layer, in: model)
    }
}

/// What a layout needs to know about a layer's cell: kind, depths and LSTM options, wrappers removed.
struct LayerShape {
    let kind: LayerKind
    /// The layer's input depth.
    let depth: Int
    let units: Int
    /// The depth of `h` (num_proj for a projected LSTM).
    let hDepth: Int
    let numProj: Int?
    let peepholes: Bool
    /// The cell's own scope name (`lstm_cell`, `gru_cell`, ...).
    let cellName: String
    let spec: CellSpec

    init(_ layer: RNNModel.Layer) throws {
        var spec = layer.spec
        while true {
            if case let .residual(c) = spec { spec = c; continue }
            if case let .dropout(c, _) = spec { spec = c; continue }
            break
        }
        guard let kind = LayerKind(spec) else {
            throw RNNError.invalidCell("a stack nested inside a stack has no layer-by-layer weight layout (layer \(layer.index): \(spec.summary))")
        }
        self.kind = kind
        self.spec = spec
        depth = layer.inputDepth
        units = spec.numUnits
        hDepth = spec.outputSize
        if case let .lstm(_, o) = spec {
            numProj = o.numProj
            peepholes = o.usePeepholes
        } else {
            numProj = nil
            peepholes = false
        }
        cellName = (try? spec.makeCell(store: VariableStore<Float>()).name) ?? spec.typeName
    }

    /// Columns of a kernel: gate blocks times units.
    var width: Int { kind.blockCount * units }
}
