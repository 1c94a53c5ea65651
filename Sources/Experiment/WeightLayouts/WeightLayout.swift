import RNNEngine

/// One framework's names and layouts for a layer's weights: `read` turns its arrays into the neutral
/// `LayerWeights`, `write` turns those back into its arrays. One file per framework.
protocol WeightLayout {
    static var convention: Convention { get }
    /// The framework's arrays of `layer`, name and shape, in the order its `read` asks for them (TF's: the order
    /// the engine's cell requests them). Shapes only: no array is read or made (`unroll shapes`, the budget).
    static func arrays(_ layer: RNNModel.Layer, in model: RNNModel) throws -> [(name: String, shape: [Int])]
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
    let kind: CellKind
    /// The layer's input depth.
    let depth: Int
    let units: Int
    /// The depth of `h` (num_proj for a projected LSTM).
    let hDepth: Int
    let numProj: Int?
    let peepholes: Bool

    init(_ layer: RNNModel.Layer) throws {
        guard let cell = layer.spec.unwrappedLayer else {
            var spec = layer.spec
            while true {
                if case let .residual(c) = spec { spec = c; continue }
                if case let .dropout(c, _) = spec { spec = c; continue }
                break
            }
            throw RNNError.invalidCell("a stack nested inside a stack has no layer-by-layer weight layout (layer \(layer.index): \(spec.summary))")
        }
        kind = cell.kind
        depth = layer.inputDepth
        units = cell.numUnits
        hDepth = cell.descriptor.outputSize(cell)
        numProj = cell.options.numProj
        peepholes = cell.options.usePeepholes
    }

    /// The kind's descriptor.
    var descriptor: any CellKindDescriptor { kind.descriptor }
    /// The cell's own scope name (`lstm_cell`, `gru_cell`, ...).
    var cellName: String { descriptor.scopeName }
    /// Columns of a kernel: gate blocks times units.
    var width: Int { descriptor.blockCount * units }
}
