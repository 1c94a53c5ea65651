import RNNEngine

extension WeightLayouts {
    /// The gradients of `model`'s weights under its framework's names and layouts, from the engine's gradients
    /// (`engine`, by TF variable name): the transpose of the conversion that loads them (`engineArrays`). Copies,
    /// transposes and gate reorders map back as they are; PyTorch's `bias_ih` and `bias_hh`, summed into the
    /// engine's one bias, each get that bias's gradient. A constant folded into a bias (TF's `forget_bias`) changes
    /// no gradient.
    public static func frameworkGradients<S: RNNScalar>(model: RNNModel, inputDepth: Int,
                                                        engine: [String: Tensor<S>]) throws -> [(name: String, tensor: Tensor<S>)] {
        try model.validate()
        let layout = layout(model.convention)
        var out: [(name: String, tensor: Tensor<S>)] = []
        for layer in model.layers(inputDepth: inputDepth) {
            let g = try TensorFlowLayout.read(layer, in: model, from: WeightSource(lookup: { engine[$0] }))
            out += layout.writeGradients(g, layer, in: model).map { (name: $0.0, tensor: $0.1) }
        }
        return out
    }
}
