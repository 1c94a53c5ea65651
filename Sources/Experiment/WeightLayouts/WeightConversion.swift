import RNNEngine

/// Weights under TensorFlow's, Keras' and PyTorch's names, converted exactly to the engine's (TF's) variables and
/// between conventions where the math allows.
public enum WeightLayouts {
    static func layout(_ c: Convention) -> any WeightLayout.Type {
        switch c {
        case .tf: return TensorFlowLayout.self
        case .keras: return KerasLayout.self
        case .torch: return TorchLayout.self
        case .onnx: return ONNXLayout.self
        }
    }

    /// The engine's variables (TF names under `model`'s scopes, what its cells fetch) from arrays under the names of
    /// `model.convention`'s framework. `lookup` returns the array of a name or nil; a missing or wrongly shaped
    /// array raises `RNNError.missingWeight` / `.weightShape` naming the framework's name and expected shape.
    public static func engineArrays<S: RNNScalar>(model: RNNModel, inputDepth: Int,
                                                  lookup: @escaping (String) throws -> Tensor<S>?) throws -> [String: Tensor<S>] {
        try model.validate()
        let layout = layout(model.convention)
        var out: [String: Tensor<S>] = [:]
        for layer in model.layers(inputDepth: inputDepth) {
            let w = try layout.read(layer, in: model, from: WeightSource(lookup: lookup))
            for (name, t) in TensorFlowLayout.write(w, layer, in: model) { out[name] = t }
        }
        return out
    }

    /// The names and shapes of `model`'s weights under its framework's names (the engine's TF names for `.tf`), layer
    /// by layer, from the model alone: no array is read, made or converted.
    public static func frameworkShapes(model: RNNModel, inputDepth: Int) throws -> [(name: String, shape: [Int])] {
        try model.validate()
        let layout = layout(model.convention)
        return try model.layers(inputDepth: inputDepth).flatMap { try layout.arrays($0, in: model) }
    }

    /// `model`'s weights under its framework's names, from the engine's variables (`engine`, by TF name).
    public static func frameworkArrays<S: RNNScalar>(model: RNNModel, inputDepth: Int,
                                                     engine: [String: Tensor<S>]) throws -> [(name: String, tensor: Tensor<S>)] {
        try model.validate()
        let layout = layout(model.convention)
        var out: [(name: String, tensor: Tensor<S>)] = []
        for layer in model.layers(inputDepth: inputDepth) {
            let w = try TensorFlowLayout.read(layer, in: model, from: WeightSource(lookup: { engine[$0] }))
            append(layout.write(w, layer, in: model), to: &out)
        }
        return out
    }

    /// Appends a layer's arrays to `out`. ONNX keeps both directions in one array: a name written again stacks on
    /// the first axis.
    private static func append<S: RNNScalar>(_ arrays: [(String, Tensor<S>)], to out: inout [(name: String, tensor: Tensor<S>)]) {
        for (name, t) in arrays {
            if let i = out.firstIndex(where: { $0.name == name }) {
                let a = out[i].tensor
                out[i].tensor = WeightMath.tensor([a.shape[0] + t.shape[0]] + Array(a.shape.dropFirst()), scalars: a.scalars + t.scalars)
            } else {
                out.append((name: name, tensor: t))
            }
        }
    }

    /// The same model expressed in `convention`: LSTM `forget_bias` folds into the bias where the framework has no
    /// such term and `basic_lstm` becomes `lstm`. Throws "cannot convert ... because ..." where the math does not
    /// allow it (a GRU between different `reset_after`, TF-only options, different bidirectional stacking, ...).
    public static func convertedModel(_ model: RNNModel, to convention: Convention) throws -> RNNModel {
        guard model.convention != convention else { return model }
        func fail(_ why: String) -> RNNError {
            .invalidCell("cannot convert the \(model.convention.rawValue) model to the \(convention.rawValue) convention because \(why)")
        }
        if convention.runsOneLayer, model.cell.layers.count > 1 || model.cellBackward.map({ $0.layers.count > 1 }) == true {
            throw fail("ONNX runs one LSTM, GRU or RNN node per layer: a stack of \(model.cell.layers.count) layers is \(model.cell.layers.count) nodes, not one onnx experiment")
        }
        if model.bidirectional, model.cell.layers.count > 1,
           model.convention.bidirectionalStacking != convention.bidirectionalStacking {
            throw fail("a bidirectional stack composes differently: TF's bidirectional_dynamic_rnn over a stack runs each direction's layers on their own, while PyTorch's next layer reads both directions (and Keras' Bidirectional wraps one layer)")
        }
        func convert(_ spec: CellSpec) throws -> CellSpec {
            switch spec {
            case let .layer(l):
                if let why = l.descriptor.conversionRefusal(l, to: convention) { throw fail(why) }
                return .layer(l.descriptor.converted(l, to: convention))
            case let .multi(cells): return .multi(try cells.map(convert))
            // Wrapped cells convert too, so that the target's refusal names the wrapper, not the cell.
            case let .residual(c): return .residual(try convert(c))
            case let .dropout(c, options): return .dropout(try convert(c), options)
            }
        }
        let converted = RNNModel(cell: try convert(model.cell), cellBackward: try model.cellBackward.map(convert),
                                 bidirectional: model.bidirectional, convention: convention, reverse: model.reverse)
        do {
            try converted.validate()
        } catch let e as RNNError {
            let prefix = "convention \(convention.rawValue): "
            let text = e.description.hasPrefix(prefix) ? String(e.description.dropFirst(prefix.count)) : e.description
            throw fail(text)
        }
        return converted
    }

    /// Converts `model`'s weights (under its framework's names, from `lookup`; under the engine's own names when
    /// `engineNames`) to `convention`'s framework: the converted model and its arrays. Exact (copies and reorders)
    /// except where a sum is unavoidable: TF's `forget_bias` added into the forget gate's bias, and PyTorch's
    /// `bias_ih + bias_hh` (ONNX's `Wb + Rb`) read into one bias.
    public static func convert<S: RNNScalar>(model: RNNModel, inputDepth: Int, lookup: @escaping (String) throws -> Tensor<S>?,
                                             engineNames: Bool = false, to convention: Convention)
        throws -> (model: RNNModel, arrays: [(name: String, tensor: Tensor<S>)]) {
        let target = try convertedModel(model, to: convention)
        try model.validate()
        let from = engineNames ? TensorFlowLayout.self : layout(model.convention), to = layout(convention)
        let source = model.layers(inputDepth: inputDepth), dest = target.layers(inputDepth: inputDepth)
        var out: [(name: String, tensor: Tensor<S>)] = []
        for (a, b) in zip(source, dest) {
            var w = try from.read(a, in: model, from: WeightSource(lookup: lookup))
            if !convention.hasForgetBiasTerm { w.addToForgetBias(forgetBias(of: a.spec)) }
            if let kind = b.spec.unwrappedLayer?.kind { w = w.converted(to: kind) }
            append(to.write(w, b, in: target), to: &out)
        }
        return (target, out)
    }

    /// Which framework's names `names` use: PyTorch's `weight_ih_l0`..., Keras' `recurrent_kernel` paths
    /// (`rnn/...`, `rnn_0/...`, `bidirectional/forward_rnn/...`), otherwise TensorFlow's. A lone `gru_cell` with
    /// `recurrent_kernel` is both Keras' GRU and TF 2's reset-after `GRUCell` (the same layout); it reads as Keras.
    public static func detect(names: [String]) -> Convention {
        if names.contains(where: { $0.hasPrefix("weight_ih_l") || $0.hasPrefix("weight_hh_l") }) { return .torch }
        // Keras' cell names that no TF cell uses (`simple_rnn_cell`).
        let kinds = CellKind.allCases.map(\.descriptor)
        let kerasOnly = Set(kinds.compactMap(\.kerasCellName)).subtracting(kinds.map(\.scopeName)).map { "/\($0)/" }
        let keras = names.contains { n in
            n.hasSuffix("/recurrent_kernel") && !n.contains("multi_rnn_cell") && !n.hasPrefix("bidirectional_rnn/")
                || n.hasPrefix("bidirectional/forward_rnn/") || kerasOnly.contains { n.contains($0) }
        }
        return keras ? .keras : .tf
    }

    /// The layer's `forget_bias` (0 for a kind without the term).
    private static func forgetBias(of spec: CellSpec) -> Double { spec.unwrappedLayer?.options.forgetBias ?? 0 }
}
