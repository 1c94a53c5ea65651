import Foundation
import RNNEngine

/// An exported graph that is a plain stack, as `torch.onnx.export` writes an `nn.LSTM` / `nn.GRU` / `nn.RNN`: the
/// first node reads the first graph input (or its `Transpose` `[1, 0, 2]`, batch-major), every next node reads the
/// one before's `Y` as `[T, B, D·H]` (`Transpose` `[0, 2, 1, 3]` then `Reshape` `[0, 0, -1]`, or `Squeeze` of the
/// direction axis), the initial states are zeros (absent, or a `Constant` of zeros, `Expand`ed) or the layer's
/// `Slice` of one graph input in PyTorch's `[layers·D, B, H]` layout, and every node has PyTorch's semantics (no
/// clip, default activations or a relu RNN, GRU `linear_before_reset`, no `input_forget`, no peepholes, same type,
/// size and direction throughout). Such a graph is the torch convention's model: the explorer steps through it
/// layer by layer (`run` still runs the graph itself). Matched from the nodes' wiring and attributes, not guessed
/// from names.
struct ONNXStack: Equatable {
    /// The torch experiment's cell, as JSON (`CellSpecJSON`).
    let cell: JSONValue
    let bidirectional: Bool
    let timeMajor: Bool
    /// The weights under PyTorch's names (`weight_ih_l0`, ...), converted from the nodes' `W`, `R`, `B`.
    let weights: [String: NumpyArray]
    /// The graph inputs that are PyTorch's `h_0` and `c_0`, when the layers read them.
    let h0: String?
    let c0: String?
}

extension ONNXGraph {
    /// The graph as PyTorch's module, or why it is not one (one line).
    func stack() -> Result<ONNXStack, ONNXModelFile.Problem> {
        do {
            return .success(try matchStack())
        } catch let p as ONNXModelFile.Problem {
            return .failure(p)
        } catch {
            return .failure(Problem(description: "\(error)"))
        }
    }

    private func matchStack() throws -> ONNXStack {
        func no(_ why: String) -> Problem { Problem(description: why) }
        var writer: [String: Node] = [:]
        for n in nodes { for o in n.outputs where !o.isEmpty { writer[o] = n } }
        /// The constant value of `name` (an initializer or a `Constant` node), nil otherwise.
        func constant(_ name: String) -> NumpyArray? { initializers[name] ?? writer[name].flatMap { $0.op == "Constant" ? $0.constant : nil } }
        func ints(_ name: String) -> [Int64]? { if case let .int64(v)? = constant(name)?.storage { v } else { nil } }
        let layers = recurrentNodes
        guard let first = layers.first, let spec = first.recurrent, case let .layer(firstCell) = spec.cell else { throw no("it has no recurrent node") }
        let op = first.op, units = firstCell.numUnits, directions = spec.model.directions.count
        guard !spec.reverse else { throw no("its \(first.label) runs in reverse, which PyTorch's layers do not") }
        guard let x = inputs.first(where: { !$0.isInteger })?.name else { throw no("it has no float input") }

        // The first layer reads the graph input, transposed to time-major or not.
        var timeMajor: Bool
        let x0 = first.inputs[0]
        if x0 == x {
            timeMajor = spec.timeMajor
        } else if let t = writer[x0], t.op == "Transpose", t.inputs.first == x, t.ints["perm"] == [1, 0, 2] {
            timeMajor = !spec.timeMajor
        } else {
            throw no("\(first.label) does not read the graph input \(SafeText.quote(x, limit: 60)) (or its transpose)")
        }
        var weights: [String: NumpyArray] = [:]
        var stateInputs: [String: String] = [:]   // "h" / "c" -> graph input
        var functions: Set<ONNXActivation.Function> = []
        for (k, node) in layers.enumerated() {
            guard let s = node.recurrent, case let .layer(l) = s.cell else { throw no("\(node.label) is not one layer") }
            guard node.op == op, l.numUnits == units, s.model.directions.count == directions, !s.reverse else {
                throw no("\(node.label) differs from \(first.label) in type, hidden size or direction: one PyTorch module has one of each")
            }
            let backward = s.cellBackward.flatMap { if case let .layer(b) = $0 { b } else { nil } }
            for o in [l.options] + (backward.map { [$0.options] } ?? []) {
                guard o.clip == nil, !o.inputForget, !o.usePeepholes, op != "GRU" || o.linearBeforeReset else {
                    throw no("\(node.label) has clip, input_forget, peepholes or a GRU without linear_before_reset, which PyTorch's layers do not")
                }
                let defaults = l.descriptor.defaultActivations.map(\.function)
                let given = o.activations.map(\.function)
                if op == "RNN", given.count == 1, [.tanh, .relu].contains(given[0]) {
                    functions.insert(given[0])
                } else if !given.isEmpty && given != defaults {
                    throw no("\(node.label) has the activations \(given.map(\.rawValue)), which PyTorch's layers do not")
                } else {
                    functions.insert(defaults.last ?? .tanh)
                }
            }
            if k > 0 {
                guard s.timeMajor, try readsLayerOutput(node.inputs[0], of: layers[k - 1], directions: directions, writer: writer, ints: ints) else {
                    throw no("\(node.label) does not read \(layers[k - 1].label)'s output as [time, batch, directions·hidden]")
                }
            }
            // Initial states: zeros, or this layer's slice of one graph input.
            for (slot, letter) in [(5, "h"), (6, "c")] where slot < node.inputs.count && !node.inputs[slot].isEmpty {
                let v = node.inputs[slot]
                if isZeros(v, writer: writer, constant: constant) { continue }
                var source = v
                if layers.count > 1 || writer[v] != nil {
                    guard let slice = writer[v], slice.op == "Slice", slice.inputs.count >= 3,
                          ints(slice.inputs[1]) == [Int64(k * directions)], ints(slice.inputs[2]) == [Int64((k + 1) * directions)],
                          slice.inputs.count < 4 || slice.inputs[3].isEmpty || ints(slice.inputs[3]) == [0],
                          slice.inputs.count < 5 || slice.inputs[4].isEmpty || ints(slice.inputs[4]) == [1] else {
                        throw no("\(node.label)'s initial state is neither zeros nor its slice of one graph input")
                    }
                    source = slice.inputs[0]
                }
                guard inputs.contains(where: { $0.name == source }), stateInputs[letter, default: source] == source else {
                    throw no("\(node.label)'s initial state does not come from one graph input for every layer")
                }
                stateInputs[letter] = source
            }
            try torchWeights(node, layer: k, directions: directions, into: &weights, constant: constant)
        }
        guard functions.count == 1, let function = functions.first else { throw no("its layers mix tanh and relu") }
        let type: JSONValue = switch op {
        case "LSTM": .object(["type": .string("lstm"), "num_units": .int(units)], order: ["type", "num_units"])
        case "GRU": .object(["type": .string("gru"), "num_units": .int(units), "reset_after": .bool(true)], order: ["type", "num_units", "reset_after"])
        default: .object(["type": .string("basic_rnn"), "num_units": .int(units), "activation": .string(function.rawValue.lowercased())],
                         order: ["type", "num_units", "activation"])
        }
        let cell: JSONValue = layers.count == 1 ? type : .object(["type": .string("multi"), "cells": .array(Array(repeating: type, count: layers.count))],
                                                                  order: ["type", "cells"])
        return ONNXStack(cell: cell, bidirectional: directions == 2, timeMajor: timeMajor, weights: weights,
                         h0: stateInputs["h"], c0: stateInputs["c"])
    }

    /// Whether `value` is `previous`'s `Y` made `[T, B, D·H]`: `Reshape(Transpose(Y, [0, 2, 1, 3]), [0, 0, -1])`
    /// (or `[0, 0, D·H]`), or for one direction `Squeeze(Y, [1])`.
    private func readsLayerOutput(_ value: String, of previous: Node, directions: Int, writer: [String: Node],
                                  ints: (String) -> [Int64]?) throws -> Bool {
        guard let y = previous.outputs.first, !y.isEmpty, let n = writer[value] else { return false }
        let units = Int64(previous.recurrent?.cell.outputSize ?? 0)
        switch n.op {
        case "Reshape":
            guard n.inputs.count == 2, let t = writer[n.inputs[0]], t.op == "Transpose", t.inputs.first == y, t.ints["perm"] == [0, 2, 1, 3],
                  let shape = ints(n.inputs[1]) else { return false }
            return shape == [0, 0, -1] || shape == [0, 0, Int64(directions) * units]
        case "Squeeze":
            guard directions == 1, n.inputs.first == y else { return false }
            let axes = n.inputs.count > 1 ? ints(n.inputs[1]) : n.ints["axes"]
            return axes == [1] || axes == [-3]
        default:
            return false
        }
    }

    /// Whether `value` is all zeros whatever the inputs: a constant of zeros, or one `Expand`ed.
    private func isZeros(_ value: String, writer: [String: Node], constant: (String) -> NumpyArray?) -> Bool {
        let source = writer[value].flatMap { $0.op == "Expand" ? $0.inputs.first : nil } ?? value
        guard let c = constant(source) else { return false }
        return c.asDoubles().allSatisfy { $0 == 0 }
    }

    /// Layer `k`'s `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}` (`_reverse` for the second
    /// direction) from the node's `W`, `R`, `B` (absent `B`: zeros), gate blocks reordered from ONNX's order to
    /// PyTorch's (the kind's `storedGateOrder`).
    private func torchWeights(_ node: Node, layer k: Int, directions: Int, into out: inout [String: NumpyArray],
                              constant: (String) -> NumpyArray?) throws {
        let torchKind: CellKind = switch node.op { case "LSTM": .lstm; case "GRU": .gruResetAfter; default: .basicRNN }
        let from = torchKind.descriptor.storedGateOrder(.onnx), to = torchKind.descriptor.storedGateOrder(.torch)
        func float(_ slot: Int) throws -> Tensor<Float>? {
            guard slot < node.inputs.count, !node.inputs[slot].isEmpty else { return nil }
            guard let a = constant(node.inputs[slot]) else { throw Problem(description: "\(node.label)'s weights are not initializers") }
            return try a.tensor(Float.self, name: node.inputs[slot])
        }
        guard let w = try float(1), let r = try float(2), w.rank == 3, r.rank == 3, w.shape[0] == directions, r.shape[0] == directions else {
            throw Problem(description: "\(node.label)'s W and R are not [num_directions, ...] initializers")
        }
        let b = try float(3)
        let units = node.recurrent?.cell.outputSize ?? 0, gates = from.count * units
        guard w.shape[1] == gates, r.shape[1] == gates, r.shape[2] == units else {
            throw Problem(description: "\(node.label)'s W \(formatShape(w.shape)) and R \(formatShape(r.shape)) do not hold \(from.count) gates of \(units) units")
        }
        if let b, b.shape != [directions, 2 * gates] { throw Problem(description: "\(node.label)'s B is \(formatShape(b.shape)), not [\(directions), \(2 * gates)]") }
        for d in 0..<directions {
            let suffix = "_l\(k)" + (d == 1 ? "_reverse" : "")
            func rows(_ t: Tensor<Float>) -> Tensor<Float> {
                let m = ONNXStateLayout.slice(t, axis: 0, index: d)   // [k·H, in]
                return WeightMath.transpose(WeightMath.reorder(WeightMath.transpose(m), from: from, to: to))
            }
            out["weight_ih" + suffix] = try NumpyArray(rows(w))
            out["weight_hh" + suffix] = try NumpyArray(rows(r))
            let bias = b.map { Array(ONNXStateLayout.slice($0, axis: 0, index: d).scalars) } ?? Array(repeating: 0, count: 2 * gates)
            out["bias_ih" + suffix] = try NumpyArray(WeightMath.reorder(WeightMath.tensor([gates], scalars: Array(bias[0..<gates])), from: from, to: to))
            out["bias_hh" + suffix] = try NumpyArray(WeightMath.reorder(WeightMath.tensor([gates], scalars: Array(bias[gates...])), from: from, to: to))
        }
    }
}
