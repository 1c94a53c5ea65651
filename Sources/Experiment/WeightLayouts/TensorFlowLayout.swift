import RNNEngine

/// TensorFlow's variables, which are the engine's own: `scope/<cell>/kernel [depth + h, k·units]` multiplying
/// `concat([x, h])` (LSTM gates `i, j, f, o`; TF 1's GRU `gates/kernel` `r, u` and `candidate/kernel`), and for the
/// reset-after GRU TF 2's `GRUCell(reset_after=True)` names: `kernel [depth, 3·units]`, `recurrent_kernel`,
/// `bias [2, 3·units]` (`z, r, h`). Scopes are the model's (`rnn/multi_rnn_cell/cell_0`, `bidirectional_rnn/fw`, ...).
enum TensorFlowLayout: WeightLayout {
    static let convention = Convention.tf

    static func arrays(_ layer: RNNModel.Layer, in model: RNNModel) throws -> [(name: String, shape: [Int])] {
        let l = try LayerShape(layer)
        let p = layer.scope + "/" + l.cellName
        let d = l.depth, u = l.units
        switch l.descriptor.tensorFlowVariables {
        case .concatenated:
            var out = [(name: p + "/kernel", shape: [d + l.hDepth, l.width]), (p + "/bias", [l.width])]
            if l.peepholes { out += ["w_f_diag", "w_i_diag", "w_o_diag"].map { (p + "/" + $0, [u]) } }
            if let proj = l.numProj { out.append((p + "/projection/kernel", [u, proj])) }
            return out
        case .gatesAndCandidate:
            let g = l.descriptor.blockCount - 1
            return [(p + "/gates/kernel", [d + u, g * u]), (p + "/gates/bias", [g * u]),
                    (p + "/candidate/kernel", [d + u, u]), (p + "/candidate/bias", [u])]
        case .inputAndRecurrent:
            var out = [(name: p + "/kernel", shape: [d, l.width]), (p + "/recurrent_kernel", [u, l.width]), (p + "/bias", [2, l.width])]
            if l.peepholes { out += ["w_i_diag", "w_f_diag", "w_o_diag"].map { (p + "/" + $0, [u]) } }
            return out
        }
    }

    static func read<S: RNNScalar>(_ layer: RNNModel.Layer, in model: RNNModel, from src: WeightSource<S>) throws -> LayerWeights<S> {
        let l = try LayerShape(layer), expected = try arrays(layer, in: model)
        let p = layer.scope + "/" + l.cellName
        let d = l.depth, u = l.units
        let order = l.descriptor.storedGateOrder(.tf), neutral = l.descriptor.neutralGateOrder
        switch l.descriptor.tensorFlowVariables {
        case .concatenated:
            let kernel = try src(p + "/kernel", in: expected)
            let bias = try src(p + "/bias", in: expected)
            let k = WeightMath.reorder(kernel, from: order, to: neutral)
            var w = LayerWeights(kind: l.kind, inputKernel: WeightMath.rows(k, 0..<d),
                                 recurrentKernel: WeightMath.rows(k, d..<(d + l.hDepth)),
                                 bias: WeightMath.reorder(bias, from: order, to: neutral))
            if l.numProj != nil { w.projection = try src(p + "/projection/kernel", in: expected) }
            if l.peepholes {
                for name in ["w_i_diag", "w_f_diag", "w_o_diag"] { w.peepholes[name] = try src(p + "/" + name, in: expected) }
            }
            return w
        case .gatesAndCandidate:
            let gk = try src(p + "/gates/kernel", in: expected), gb = try src(p + "/gates/bias", in: expected)
            let ck = try src(p + "/candidate/kernel", in: expected), cb = try src(p + "/candidate/bias", in: expected)
            let k = WeightMath.reorder(WeightMath.hstack([gk, ck]), from: order, to: neutral)
            return LayerWeights(kind: l.kind, inputKernel: WeightMath.rows(k, 0..<d), recurrentKernel: WeightMath.rows(k, d..<(d + u)),
                                bias: WeightMath.reorder(WeightMath.hstack([gb, cb]), from: order, to: neutral))
        case .inputAndRecurrent:
            let k = try src(p + "/kernel", in: expected), rk = try src(p + "/recurrent_kernel", in: expected)
            let b = try src(p + "/bias", in: expected)
            var w = LayerWeights(kind: l.kind, inputKernel: WeightMath.reorder(k, from: order, to: neutral),
                                 recurrentKernel: WeightMath.reorder(rk, from: order, to: neutral),
                                 bias: WeightMath.reorder(WeightMath.row(b, 0), from: order, to: neutral),
                                 recurrentBias: WeightMath.reorder(WeightMath.row(b, 1), from: order, to: neutral))
            if l.peepholes {
                for name in ["w_i_diag", "w_f_diag", "w_o_diag"] { w.peepholes[name] = try src(p + "/" + name, in: expected) }
            }
            return w
        }
    }

    static func write<S: RNNScalar>(_ w: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)] {
        guard let l = try? LayerShape(layer) else { return [] }
        let p = layer.scope + "/" + l.cellName
        let order = w.kind.descriptor.storedGateOrder(.tf)
        switch w.kind.descriptor.tensorFlowVariables {
        case .concatenated:
            var out = [(p + "/kernel", WeightMath.reorder(WeightMath.vstack(w.inputKernel, w.recurrentKernel), from: w.gates, to: order)),
                       (p + "/bias", WeightMath.reorder(w.bias, from: w.gates, to: order))]
            if let proj = w.projection { out.append((p + "/projection/kernel", proj)) }
            for (name, t) in w.peepholes.sorted(by: { $0.key < $1.key }) { out.append((p + "/" + name, t)) }
            return out
        case .gatesAndCandidate:
            let k = WeightMath.vstack(w.inputKernel, w.recurrentKernel)
            let gates = Array(order.dropLast()), candidate = Array(order.suffix(1))
            return [(p + "/gates/kernel", WeightMath.select(k, from: w.gates, gates)),
                    (p + "/gates/bias", WeightMath.select(w.bias, from: w.gates, gates)),
                    (p + "/candidate/kernel", WeightMath.select(k, from: w.gates, candidate)),
                    (p + "/candidate/bias", WeightMath.select(w.bias, from: w.gates, candidate))]
        case .inputAndRecurrent:
            let rb = w.recurrentBias ?? Tensor(zeros: w.bias.shape)
            return [(p + "/kernel", WeightMath.reorder(w.inputKernel, from: w.gates, to: order)),
                    (p + "/recurrent_kernel", WeightMath.reorder(w.recurrentKernel, from: w.gates, to: order)),
                    (p + "/bias", WeightMath.twoRows(WeightMath.reorder(w.bias, from: w.gates, to: order),
                                                     WeightMath.reorder(rb, from: w.gates, to: order)))]
                + w.peepholes.sorted(by: { $0.key < $1.key }).map { (p + "/" + $0.key, $0.value) }
        }
    }
}
