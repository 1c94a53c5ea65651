import RNNEngine

/// PyTorch's `state_dict` keys: `weight_ih_l<k> [k·hidden, input]`, `weight_hh_l<k> [k·hidden, h]`, `bias_ih_l<k>`,
/// `bias_hh_l<k>` `[k·hidden]`, `weight_hr_l<k> [proj_size, hidden]` with `proj_size`, and `_reverse` after each for
/// the backward direction. Gates `i, f, g, o` (LSTM) and `r, z, n` (GRU) along the rows. PyTorch adds both biases;
/// the engine's single bias is their sum (one rounding), and written back as `bias_ih` with a zero `bias_hh`.
/// The GRU's `bias_hh` `n` block is multiplied by `r`, so it stays apart (the reset-after GRU's recurrent bias).
/// A module made with `bias=False` has neither bias: its biases are zero (what PyTorch adds then); one without the
/// other is refused as missing.
enum TorchLayout: WeightLayout {
    static let convention = Convention.torch

    static func suffix(_ layer: RNNModel.Layer) -> String { "_l\(layer.index)" + (layer.direction == .backward ? "_reverse" : "") }

    static func arrays(_ layer: RNNModel.Layer, in model: RNNModel) throws -> [(name: String, shape: [Int])] {
        let l = try LayerShape(layer), s = suffix(layer)
        var out = [(name: "weight_ih" + s, shape: [l.width, l.depth]), ("weight_hh" + s, [l.width, l.hDepth]),
                   ("bias_ih" + s, [l.width]), ("bias_hh" + s, [l.width])]
        if let p = l.numProj { out.append(("weight_hr" + s, [p, l.units])) }
        return out
    }

    static func read<S: RNNScalar>(_ layer: RNNModel.Layer, in model: RNNModel, from src: WeightSource<S>) throws -> LayerWeights<S> {
        let l = try LayerShape(layer), expected = try arrays(layer, in: model)
        let s = suffix(layer), order = l.descriptor.storedGateOrder(.torch)
        let ih = try src("weight_ih" + s, in: expected)
        let hh = try src("weight_hh" + s, in: expected)
        let (bih, bhh) = try biases(layer, l, from: src, expected)
        let gates = l.descriptor.neutralGateOrder
        func neutral(_ t: Tensor<S>) -> Tensor<S> { WeightMath.reorder(t, from: order, to: gates) }
        var w = LayerWeights(kind: l.kind, inputKernel: neutral(WeightMath.transpose(ih)),
                             recurrentKernel: neutral(WeightMath.transpose(hh)), bias: neutral(bih))
        if l.descriptor.hasRecurrentBias {
            w.recurrentBias = neutral(bhh)
        } else {
            w.bias = neutral(WeightMath.add(bih, bhh))
        }
        if l.numProj != nil { w.projection = WeightMath.transpose(try src("weight_hr" + s, in: expected)) }
        return w
    }

    /// `bias_ih` and `bias_hh` of the layer; both zero when the file has neither (`bias=False`).
    private static func biases<S: RNNScalar>(_ layer: RNNModel.Layer, _ l: LayerShape, from src: WeightSource<S>,
                                             _ expected: [(name: String, shape: [Int])]) throws -> (Tensor<S>, Tensor<S>) {
        let s = suffix(layer)
        guard try src.optional("bias_ih" + s, [l.width]) != nil || src.optional("bias_hh" + s, [l.width]) != nil else {
            return (Tensor(zeros: [l.width]), Tensor(zeros: [l.width]))
        }
        return (try src("bias_ih" + s, in: expected), try src("bias_hh" + s, in: expected))
    }

    /// Whether `name` may be absent from `present`: a bias whose partner (`bias_ih` for `bias_hh`, and back) is absent
    /// too (a module made with `bias=False`), which `read` takes as zeros.
    static func mayBeAbsent(_ name: String, from present: Set<String>) -> Bool {
        for (a, b) in [("bias_ih_l", "bias_hh_l"), ("bias_hh_l", "bias_ih_l")] where name.hasPrefix(a) {
            return !present.contains(b + name.dropFirst(a.count))
        }
        return false
    }

    static func write<S: RNNScalar>(_ w: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)] {
        let s = suffix(layer), order = w.kind.descriptor.storedGateOrder(.torch)
        func torch(_ t: Tensor<S>) -> Tensor<S> { WeightMath.reorder(t, from: w.gates, to: order) }
        var out = [("weight_ih" + s, WeightMath.transpose(torch(w.inputKernel))),
                   ("weight_hh" + s, WeightMath.transpose(torch(w.recurrentKernel))),
                   ("bias_ih" + s, torch(w.bias)),
                   ("bias_hh" + s, w.recurrentBias.map(torch) ?? Tensor(zeros: w.bias.shape))]
        if let p = w.projection { out.append(("weight_hr" + s, WeightMath.transpose(p))) }
        return out
    }

    /// `bias_ih` and `bias_hh` are summed into one bias (every kind but the reset-after GRU): each gets its gradient.
    static func writeGradients<S: RNNScalar>(_ g: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)] {
        let out = write(g, layer, in: model)
        guard g.recurrentBias == nil, let ih = out.first(where: { $0.0 == "bias_ih" + suffix(layer) }) else { return out }
        return out.map { $0.0 == "bias_hh" + suffix(layer) ? ($0.0, ih.1) : $0 }
    }
}
