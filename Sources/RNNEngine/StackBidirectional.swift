/// What `stackBidirectionalDynamicRNN` returns: the last layer's outputs of both directions and every layer's states.
public struct StackBidirectionalResult<Scalar: RNNScalar>: Sendable {
    /// The last layer's forward outputs.
    public var outputsForward: Tensor<Scalar>
    /// The last layer's backward outputs, in the inputs' time order.
    public var outputsBackward: Tensor<Scalar>
    /// The final state of each layer's forward cell.
    public var statesForward: [Nest<Tensor<Scalar>>]
    /// The final state of each layer's backward cell.
    public var statesBackward: [Nest<Tensor<Scalar>>]

    /// Both directions' outputs concatenated along the depth (TF's and PyTorch's `output`).
    public var outputs: Tensor<Scalar> { concatDepth(outputsForward, outputsBackward) }
}

/// The scope of layer `i` of `stackBidirectionalDynamicRNN` under `scope` (its `bidirectional_rnn/fw` and `/bw` follow).
public func stackBidirectionalLayerScope(_ scope: String, layer i: Int) -> String {
    joinPath(joinPath(scope, "cell_\(i)"), VariableScope.bidirectionalRNN)
}

/// TF's `stack_bidirectional_dynamic_rnn` (PyTorch's multi-layer bidirectional RNN): layer `i` runs
/// `bidirectionalDynamicRNN` under `scope/cell_i` and the next layer reads both of its outputs concatenated.
public func stackBidirectionalDynamicRNN<Scalar: RNNScalar>(
    cellsForward: [any RNNCell<Scalar>], cellsBackward: [any RNNCell<Scalar>], inputs: Tensor<Scalar>,
    sequenceLength: [Int]? = nil, initialStatesForward: [Nest<Tensor<Scalar>>]? = nil,
    initialStatesBackward: [Nest<Tensor<Scalar>>]? = nil, parallelIterations: Int = 32, swapMemory: Bool = false,
    timeMajor: Bool = false, scope: String = VariableScope.stackBidirectionalRNN
) throws -> StackBidirectionalResult<Scalar> {
    guard !cellsForward.isEmpty else { throw RNNError.invalidCell("stack_bidirectional_dynamic_rnn: must specify at least one cell") }
    guard cellsForward.count == cellsBackward.count else {
        throw RNNError.invalidCell("stack_bidirectional_dynamic_rnn: \(cellsForward.count) forward cells but \(cellsBackward.count) backward ones")
    }
    for (name, states) in [("forward", initialStatesForward), ("backward", initialStatesBackward)] {
        if let s = states, s.count != cellsForward.count {
            throw RNNError.badInitialState("stack_bidirectional_dynamic_rnn: \(s.count) \(name) initial states for \(cellsForward.count) layers")
        }
    }
    var layerInput = inputs
    var result: StackBidirectionalResult<Scalar>?
    var fwStates: [Nest<Tensor<Scalar>>] = [], bwStates: [Nest<Tensor<Scalar>>] = []
    for i in cellsForward.indices {
        let r = try bidirectionalDynamicRNN(
            cellForward: cellsForward[i], cellBackward: cellsBackward[i], inputs: .leaf(layerInput),
            sequenceLength: sequenceLength, initialStateForward: initialStatesForward?[i],
            initialStateBackward: initialStatesBackward?[i], dtype: Scalar.dtype, parallelIterations: parallelIterations,
            swapMemory: swapMemory, timeMajor: timeMajor, scope: stackBidirectionalLayerScope(scope, layer: i))
        fwStates.append(r.stateForward)
        bwStates.append(r.stateBackward)
        result = StackBidirectionalResult(outputsForward: r.outputsForward, outputsBackward: r.outputsBackward,
                                          statesForward: fwStates, statesBackward: bwStates)
        layerInput = concatDepth(r.outputsForward, r.outputsBackward)
    }
    guard let r = result else { throw RNNError.invalidCell("stack_bidirectional_dynamic_rnn: must specify at least one cell") }
    return r
}

/// `concat([a, b], axis: -1)` for tensors that agree on every axis but the last.
func concatDepth<Scalar: RNNScalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>) -> Tensor<Scalar> {
    let wa = a.shape.last ?? 0, wb = b.shape.last ?? 0
    let rows = a.shape.dropLast().reduce(1, *)
    var out = [Scalar]()
    out.reserveCapacity(a.count + b.count)
    for r in 0..<rows {
        out.append(contentsOf: a.scalars[(r * wa)..<((r + 1) * wa)])
        out.append(contentsOf: b.scalars[(r * wb)..<((r + 1) * wb)])
    }
    return Tensor(unchecked: Array(a.shape.dropLast()) + [wa + wb], scalars: out)
}
