import RNNEngine

/// Keras 3's variable paths: `<layer>/<cell>/kernel [depth, k·units]`, `recurrent_kernel [units, k·units]` and
/// `bias [k·units]` (`[2, 3·units]` for a reset-after GRU: input bias, then recurrent bias), cells `simple_rnn_cell`,
/// `lstm_cell` (gates `i, f, c, o`), `gru_cell` (`z, r, h`). Layers are `rnn` alone, `rnn_0`, `rnn_1`, ... in a stack,
/// `bidirectional/forward_rnn` and `bidirectional/backward_rnn` inside `keras.layers.Bidirectional`.
enum KerasLayout: WeightLayout {
    static let convention = Convention.keras

    /// The Keras layer path of a layer.
    static func layerPath(_ layer: RNNModel.Layer, in model: RNNModel) -> String {
        if model.bidirectional { return "bidirectional/" + (layer.direction == .forward ? "forward_rnn" : "backward_rnn") }
        if case .multi = model.cell { return "rnn_\(layer.index)" }
        return "rnn"
    }

    /// Keras' cell name for a layer kind (a kind Keras lacks, refused before any layout is read, keeps TF's).
    static func cellName(_ kind: CellKind) -> String { kind.descriptor.kerasCellName ?? kind.descriptor.scopeName }

    static func arrays(_ layer: RNNModel.Layer, in model: RNNModel) throws -> [(name: String, shape: [Int])] {
        let l = try LayerShape(layer)
        let p = layerPath(layer, in: model) + "/" + cellName(l.kind)
        return [(p + "/kernel", [l.depth, l.width]), (p + "/recurrent_kernel", [l.hDepth, l.width]),
                (p + "/bias", l.descriptor.hasRecurrentBias ? [2, l.width] : [l.width])]
    }

    static func read<S: RNNScalar>(_ layer: RNNModel.Layer, in model: RNNModel, from src: WeightSource<S>) throws -> LayerWeights<S> {
        let l = try LayerShape(layer), expected = try arrays(layer, in: model)
        let p = layerPath(layer, in: model) + "/" + cellName(l.kind)
        let order = l.descriptor.storedGateOrder(.keras)
        var w = LayerWeights<S>(kind: l.kind, inputKernel: Tensor(zeros: [0]), recurrentKernel: Tensor(zeros: [0]), bias: Tensor(zeros: [0]))
        w.inputKernel = try src(p + "/kernel", in: expected)
        w.recurrentKernel = try src(p + "/recurrent_kernel", in: expected)
        if l.descriptor.hasRecurrentBias {
            let b = try src(p + "/bias", in: expected)
            w.bias = WeightMath.row(b, 0)
            w.recurrentBias = WeightMath.reorder(WeightMath.row(b, 1), from: order, to: w.gates)
        } else {
            w.bias = try src(p + "/bias", in: expected)
        }
        w.inputKernel = WeightMath.reorder(w.inputKernel, from: order, to: w.gates)
        w.recurrentKernel = WeightMath.reorder(w.recurrentKernel, from: order, to: w.gates)
        w.bias = WeightMath.reorder(w.bias, from: order, to: w.gates)
        return w
    }

    static func write<S: RNNScalar>(_ w: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)] {
        let p = layerPath(layer, in: model) + "/" + cellName(layer.spec.unwrappedLayer?.kind ?? w.kind)
        let order = w.kind.descriptor.storedGateOrder(.keras)
        let bias = WeightMath.reorder(w.bias, from: w.gates, to: order)
        return [(p + "/kernel", WeightMath.reorder(w.inputKernel, from: w.gates, to: order)),
                (p + "/recurrent_kernel", WeightMath.reorder(w.recurrentKernel, from: w.gates, to: order)),
                (p + "/bias", w.kind.descriptor.hasRecurrentBias
                    ? WeightMath.twoRows(bias, WeightMath.reorder(w.recurrentBias ?? Tensor(zeros: w.bias.shape), from: w.gates, to: order))
                    : bias)]
    }
}
