import RNNEngine

/// ONNX's node inputs, both directions in one array (forward first): `W [num_directions, k·H, input]`,
/// `R [num_directions, k·H, H]`, `B [num_directions, 2·k·H]` (`Wb` then `Rb`; absent: zeros) and, for an LSTM with
/// `use_peepholes`, `P [num_directions, 3·H]` (blocks i, o, f). Gate blocks along the rows in ONNX's order
/// (`storedGateOrder(.onnx)`: i, o, f, c; z, r, h). `write` gives each direction's slice under the same names
/// (`[1, ...]`); `WeightLayouts.frameworkArrays` stacks them.
enum ONNXLayout: WeightLayout {
    static let convention = Convention.onnx

    /// The peephole blocks of `P`, in ONNX's order, as the engine's variable names.
    static let peepholeNames = ["w_i_diag", "w_o_diag", "w_f_diag"]

    /// The node inputs that may be absent (ONNX's optional `B`: zeros), which `read` takes as zeros.
    static let optionalArrays: Set<String> = ["B"]

    /// The layer's index on the `num_directions` axis (a lone reverse pass is 0).
    static func directionIndex(_ layer: RNNModel.Layer, in model: RNNModel) -> Int {
        model.bidirectional && layer.direction == .backward ? 1 : 0
    }

    /// `W`, `R`, `B` (optional: zeros when absent) and, with peepholes, `P`.
    static func arrays(_ layer: RNNModel.Layer, in model: RNNModel) throws -> [(name: String, shape: [Int])] {
        let l = try LayerShape(layer)
        let nd = model.directions.count, k = l.width, u = l.units
        var out = [(name: "W", shape: [nd, k, l.depth]), ("R", [nd, k, u]), ("B", [nd, 2 * k])]
        if l.peepholes { out.append(("P", [nd, 3 * u])) }
        return out
    }

    static func read<S: RNNScalar>(_ layer: RNNModel.Layer, in model: RNNModel, from src: WeightSource<S>) throws -> LayerWeights<S> {
        let l = try LayerShape(layer), expected = try arrays(layer, in: model)
        let d = directionIndex(layer, in: model), k = l.width
        let order = l.descriptor.storedGateOrder(.onnx), gates = l.descriptor.neutralGateOrder
        func neutral(_ t: Tensor<S>) -> Tensor<S> { WeightMath.reorder(t, from: order, to: gates) }
        func slice(_ t: Tensor<S>) -> Tensor<S> { ONNXStateLayout.slice(t, axis: 0, index: d) }
        func shape(_ name: String) -> [Int] { expected.first { $0.name == name }?.shape ?? [] }
        let w = slice(try src("W", in: expected)), r = slice(try src("R", in: expected))
        let b = try src.optional("B", shape("B")).map(slice)   // one of `optionalArrays`
        var out = LayerWeights(kind: l.kind, inputKernel: neutral(WeightMath.transpose(w)), recurrentKernel: neutral(WeightMath.transpose(r)),
                               bias: neutral(b.map { WeightMath.tensor([k], scalars: Array($0.scalars[0..<k])) } ?? Tensor(zeros: [k])))
        out.recurrentBias = neutral(b.map { WeightMath.tensor([k], scalars: Array($0.scalars[k..<(2 * k)])) } ?? Tensor(zeros: [k]))
        if l.peepholes {
            let p = slice(try src("P", in: expected))
            for (name, block) in zip(peepholeNames, WeightMath.blocks(p, count: 3)) { out.peepholes[name] = block }
        } else if try src.lookup("P") != nil {
            throw RNNError.invalidCell("P (peepholes) is given but the cell has no \"use_peepholes\": true")
        }
        return out
    }

    static func write<S: RNNScalar>(_ w: LayerWeights<S>, _ layer: RNNModel.Layer, in model: RNNModel) -> [(String, Tensor<S>)] {
        let order = w.kind.descriptor.storedGateOrder(.onnx)
        func onnx(_ t: Tensor<S>) -> Tensor<S> { WeightMath.reorder(t, from: w.gates, to: order) }
        func one(_ t: Tensor<S>) -> Tensor<S> { WeightMath.tensor([1] + t.shape, scalars: t.scalars) }
        let rb = w.recurrentBias ?? Tensor(zeros: w.bias.shape)
        var out = [("W", one(WeightMath.transpose(onnx(w.inputKernel)))), ("R", one(WeightMath.transpose(onnx(w.recurrentKernel)))),
                   ("B", one(WeightMath.tensor([2 * w.bias.count], scalars: onnx(w.bias).scalars + onnx(rb).scalars)))]
        if !w.peepholes.isEmpty {
            let p = peepholeNames.flatMap { w.peepholes[$0]?.scalars ?? [] }
            out.append(("P", one(WeightMath.tensor([p.count], scalars: p))))
        }
        return out
    }
}
