/// A model's results (as its convention emits them) and the gradients of a loss on them.
public struct ModelGradients<Scalar: RNNScalar>: Sendable {
    /// The forward results, as `RNNModel.run` returns them.
    public var result: ModelResult<Scalar>
    /// `∂L/∂inputs`, in the inputs' layout.
    public var inputs: Tensor<Scalar>
    /// `∂L/∂initial_state` per direction, in that direction's state structure (the zero state's when none was given).
    public var initialStates: [Nest<Tensor<Scalar>>]
    /// `∂L/∂W` for every variable, by the engine's (TF's) variable name.
    public var weights: [String: Tensor<Scalar>]
    /// The variable names in the order the cells declared them.
    public var weightNames: [String]
}

extension RNNModel {
    /// The gradients of a loss on this model's results, as the convention's framework computes the results
    /// (`run`'s arguments). `losses` holds one loss per direction, each against that direction's results as
    /// `run` returns them: `outputs[d]` in the inputs' time order with masked steps as the convention emits them
    /// (Keras' repeats pass their cotangents to the row's last valid output), and `states[d]` in the direction's
    /// state structure. A layer-wise bidirectional stack (PyTorch's) is differentiated layer by layer from the top:
    /// each layer's input gradient (the sum of both directions') is split across the concatenated outputs of the
    /// layer below as the cotangents of its two directions.
    /// A `go_backwards` layer is differentiated as under the mask `t < sequence_length[b]` (`gradients(store:inputs:mask:)`).
    public func gradients<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, sequenceLength: [Int]? = nil,
        initialStates: [Nest<Tensor<Scalar>>?] = [], timeMajor: Bool = false, losses: [RNNLoss<Scalar>]
    ) throws -> ModelGradients<Scalar> {
        if goesBackwards, inputs.rank == 3 {
            return try gradients(store: store, inputs: inputs, mask: sequenceLength.map { StepMask(lengths: $0, maxTime: inputs.shape[timeMajor ? 0 : 1]) },
                                 initialStates: initialStates, timeMajor: timeMajor, losses: losses)
        }
        return try gradientsReadingForward(store: store, inputs: inputs, sequenceLength: sequenceLength,
                                           initialStates: initialStates, timeMajor: timeMajor, losses: losses)
    }

    /// `gradients` with every layer reading its steps in order (a `go_backwards` layer's inputs come reversed already).
    func gradientsReadingForward<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, sequenceLength: [Int]?,
        initialStates: [Nest<Tensor<Scalar>>?], timeMajor: Bool, losses: [RNNLoss<Scalar>]
    ) throws -> ModelGradients<Scalar> {
        try validate()
        guard inputs.rank == 3 else { throw RNNError.inputRankTooLow(path: "inputs", shape: inputs.shape) }
        let maxTime = inputs.shape[timeMajor ? 0 : 1], batch = inputs.shape[timeMajor ? 1 : 0]
        try convention.checkSequenceLength(sequenceLength, maxTime: maxTime)
        guard losses.count == directions.count else {
            throw RNNError.invalidArgument("gradients: \(losses.count) losses for \(directions.count) direction(s); give one per direction")
        }
        let initial = { (d: Int) in d < initialStates.count ? initialStates[d] : nil }
        let rule = convention.maskedOutput(bidirectional: bidirectional)
        let pulled = directions.map { d in
            rule.pullBack(losses[d.rawValue], sequenceLength: sequenceLength, batch: batch, maxTime: maxTime,
                          width: cell(for: d).outputSize, timeMajor: timeMajor)
        }
        func finish(_ outputs: [Tensor<Scalar>], _ states: [Nest<Tensor<Scalar>>]) -> ModelResult<Scalar> {
            result(outputs: outputs, states: states, sequenceLength: sequenceLength, timeMajor: timeMajor)
        }
        guard bidirectional else {
            let g = try dynamicRNNGradients(cell: try cell.makeCell(store: store), inputs: inputs, sequenceLength: sequenceLength,
                                            initialState: initial(0), dtype: Scalar.dtype, timeMajor: timeMajor, scope: scope,
                                            loss: pulled[0])
            return ModelGradients(result: finish([g.result.outputs], [g.result.state]), inputs: g.inputs,
                                  initialStates: [g.initialState], weights: g.weights, weightNames: g.weightNames)
        }
        if convention.bidirectionalStacking == .layerwise {
            return try layerwiseGradients(store: store, inputs: inputs, sequenceLength: sequenceLength,
                                          initialStates: [initial(0), initial(1)], timeMajor: timeMajor, losses: pulled, finish: finish)
        }
        let g = try bidirectionalDynamicRNNGradients(
            cellForward: try cell.makeCell(store: store), cellBackward: try cell(for: .backward).makeCell(store: store),
            inputs: inputs, sequenceLength: sequenceLength, initialStateForward: initial(0), initialStateBackward: initial(1),
            dtype: Scalar.dtype, timeMajor: timeMajor, scope: scope, lossForward: pulled[0], lossBackward: pulled[1])
        return ModelGradients(result: finish([g.forward.result.outputs, g.outputsBackward], [g.forward.result.state, g.backward.result.state]),
                              inputs: g.inputs, initialStates: [g.forward.initialState, g.backward.initialState],
                              weights: g.forward.weights.merging(g.backward.weights) { a, _ in a },
                              weightNames: g.forward.weightNames + g.backward.weightNames)
    }

    /// `stack_bidirectional_dynamic_rnn`'s gradients: the layers' inputs forward, then each layer's
    /// `bidirectionalDynamicRNNGradients` from the top down.
    private func layerwiseGradients<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, sequenceLength: [Int]?, initialStates: [Nest<Tensor<Scalar>>?],
        timeMajor: Bool, losses: [RNNLoss<Scalar>], finish: ([Tensor<Scalar>], [Nest<Tensor<Scalar>>]) -> ModelResult<Scalar>
    ) throws -> ModelGradients<Scalar> {
        let specs = directions.map { cell(for: $0).layers }
        let count = specs[0].count
        let batch = inputs.shape[timeMajor ? 1 : 0]
        guard count > 0, specs[1].count == count else {
            throw RNNError.invalidCell("stack_bidirectional_dynamic_rnn: \(specs[0].count) forward layers but \(specs[1].count) backward ones")
        }
        let layerScope = { (l: Int) in stackBidirectionalLayerScope(self.scope, layer: l) }
        let initial = directions.map { d in initialStates[d.rawValue].map { stackLayers($0, count: count) } }
        // Each layer's input: the inputs, then both directions' outputs of the layer below.
        var layerInputs = [inputs]
        for l in 0..<(count - 1) {
            let r = try bidirectionalDynamicRNN(
                cellForward: try specs[0][l].makeCell(store: store), cellBackward: try specs[1][l].makeCell(store: store),
                inputs: .leaf(layerInputs[l]), sequenceLength: sequenceLength, initialStateForward: initial[0]?[l],
                initialStateBackward: initial[1]?[l], dtype: Scalar.dtype, timeMajor: timeMajor, scope: layerScope(l))
            layerInputs.append(concatDepth(r.outputsForward, r.outputsBackward))
        }
        // The losses' state parts per layer; the output parts reach the top layer only.
        let split = try directions.map { d in try LayerwiseLoss(losses[d.rawValue], spec: cell(for: d), batch: batch) }
        var results: [BidirectionalGradients<Scalar>?] = Array(repeating: nil, count: count)
        var fromAbove: Tensor<Scalar>?
        for l in stride(from: count - 1, through: 0, by: -1) {
            let layerLosses = (0..<2).map { d -> RNNLoss<Scalar> in
                guard let above = fromAbove else { return split[d].topLayerLoss(layer: l) }
                let widths = [specs[0][l].outputSize, specs[1][l].outputSize]
                let part = splitDepth(above, at: widths[0])[d]
                return .cotangents(outputs: part, state: split[d].stateCotangents[l])
            }
            let g = try bidirectionalDynamicRNNGradients(
                cellForward: try specs[0][l].makeCell(store: store), cellBackward: try specs[1][l].makeCell(store: store),
                inputs: layerInputs[l], sequenceLength: sequenceLength, initialStateForward: initial[0]?[l],
                initialStateBackward: initial[1]?[l], dtype: Scalar.dtype, timeMajor: timeMajor, scope: layerScope(l),
                lossForward: layerLosses[0], lossBackward: layerLosses[1])
            results[l] = g
            fromAbove = g.inputs
        }
        let layers = results.compactMap { $0 }
        guard let top = layers.last, let first = layers.first else {
            throw RNNError.invalidArgument("gradients: the backward pass did not finish")
        }
        let joined = { (d: Direction, s: [Nest<Tensor<Scalar>>]) -> Nest<Tensor<Scalar>> in
            if case .multi = self.cell(for: d) { return .tuple(s) }
            return s[0]
        }
        var weights: [String: Tensor<Scalar>] = [:], names: [String] = []
        for g in layers {
            for part in [g.forward, g.backward] {
                weights.merge(part.weights) { a, _ in a }
                names += part.weightNames
            }
        }
        return ModelGradients(
            result: finish([top.forward.result.outputs, top.outputsBackward],
                           [joined(.forward, layers.map(\.forward.result.state)), joined(.backward, layers.map(\.backward.result.state))]),
            inputs: first.inputs,
            initialStates: [joined(.forward, layers.map(\.forward.initialState)), joined(.backward, layers.map(\.backward.initialState))],
            weights: weights, weightNames: names)
    }
}

/// One direction's loss on a layer-wise bidirectional stack, split by layer: what reaches the top layer's outputs
/// and each layer's final-state cotangent.
struct LayerwiseLoss<Scalar: RNNScalar> {
    let outputPart: RNNLoss<Scalar>
    /// Per layer, nil where the loss has no state part.
    let stateCotangents: [Nest<Tensor<Scalar>>?]

    init(_ loss: RNNLoss<Scalar>, spec: CellSpec, batch: Int) throws {
        let layers = spec.layers
        let isStack: Bool = { if case .multi = spec { return true } else { return false } }()
        /// The path of layer `l`'s array `p` in the direction's state (`0/h` in a stack, `h` alone).
        func fullPath(_ l: Int, _ p: String) -> String { isStack ? joinPath(String(l), p) : p }
        switch loss {
        case let .cotangents(outputs, state):
            outputPart = .cotangents(outputs: outputs, state: nil)
            if let state {
                let items: [Nest<Tensor<Scalar>>]
                if isStack, case let .tuple(t) = state { items = t } else { items = [state] }
                guard items.count == layers.count else {
                    throw RNNError.invalidArgument("loss/state: structure \(state.structureDescription), the state has \(layers.count) layers")
                }
                stateCotangents = items.map { Optional($0) }
            } else {
                stateCotangents = Array(repeating: nil, count: layers.count)
            }
        case let .finalState(path):
            outputPart = .cotangents(outputs: nil, state: nil)
            var found = path == nil
            stateCotangents = layers.enumerated().map { l, layer in
                var any = false
                let s = layer.stateSize.flattenedWithPaths.map { (p, size) -> Tensor<Scalar> in
                    let hit = path == nil || fullPath(l, p) == path
                    any = any || hit
                    return hit ? Tensor(repeating: 1, shape: [batch, size]) : Tensor(zeros: [batch, size])
                }
                found = found || any
                var it = s.makeIterator()
                return any ? layer.stateSize.map { _ in it.next() ?? Tensor(zeros: [0]) } : nil
            }
            if !found, let path {
                let known = layers.enumerated().flatMap { l, layer in layer.stateSize.flattenedWithPaths.map { "\"\(fullPath(l, $0.path))\"" } }
                throw RNNError.invalidArgument("loss: the state has no array \"\(path)\"; its arrays: \(known.joined(separator: ", "))")
            }
        case .sumOfOutputs, .outputUnit:
            outputPart = loss
            stateCotangents = Array(repeating: nil, count: layers.count)
        }
    }

    /// The top layer's loss: the output part with layer `l`'s state part.
    func topLayerLoss(layer l: Int) -> RNNLoss<Scalar> {
        guard let state = stateCotangents[l] else { return outputPart }
        if case let .cotangents(outputs, _) = outputPart { return .cotangents(outputs: outputs, state: state) }
        return outputPart // a built-in output loss has no state part
    }
}

/// `t`'s last axis cut at `width`: `[t[..., :width], t[..., width:]]` (both directions' parts of a concatenation).
func splitDepth<Scalar: RNNScalar>(_ t: Tensor<Scalar>, at width: Int) -> [Tensor<Scalar>] {
    let total = t.shape.last ?? 0, rows = t.count / max(total, 1), rest = total - width
    var a = [Scalar](), b = [Scalar]()
    a.reserveCapacity(rows * width)
    b.reserveCapacity(rows * rest)
    for r in 0..<rows {
        a.append(contentsOf: t.scalars[(r * total)..<(r * total + width)])
        b.append(contentsOf: t.scalars[(r * total + width)..<((r + 1) * total)])
    }
    let lead = Array(t.shape.dropLast())
    return [Tensor(unchecked: lead + [width], scalars: a), Tensor(unchecked: lead + [rest], scalars: b)]
}
