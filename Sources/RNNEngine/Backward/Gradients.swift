/// `tf.gradients` of a loss through `tf.nn.dynamic_rnn`: runs the forward pass (keeping states every √max_time
/// steps) and the checkpointed backward pass, and returns the results with `∂L/∂inputs`, `∂L/∂initial_state`
/// and `∂L/∂W` for every variable. Arguments as `dynamicRNN`'s; the cell must be a `DifferentiableCell`
/// (every built-in cell and wrapper is). `tapeBudget`: see `GradientRun` (nil: its default).
public func dynamicRNNGradients<Scalar: RNNScalar>(
    cell: any RNNCell<Scalar>, inputs: Tensor<Scalar>, sequenceLength: [Int]? = nil,
    initialState: Nest<Tensor<Scalar>>? = nil, dtype: DType? = nil, timeMajor: Bool = false, scope: String = "rnn",
    loss: RNNLoss<Scalar>, tapeBudget: Int? = nil
) throws -> RNNGradients<Scalar> {
    let loop = try UnrolledLoop(cell: cell, inputs: .leaf(inputs), sequenceLength: sequenceLength,
                                initialState: initialState, dtype: dtype, timeMajor: timeMajor, scope: scope)
    return try gradients(of: loop, loss: loss, tapeBudget: tapeBudget)
}

/// The gradients of `loss` through the whole loop (forward and backward passes, in the calling thread).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func gradients<Scalar: RNNScalar>(of loop: UnrolledLoop<Scalar>, loss: RNNLoss<Scalar>,
                                         tapeBudget: Int? = nil) throws -> RNNGradients<Scalar> {
    let run = try GradientRun(loop: loop, loss: loss, tapeBudget: tapeBudget)
    run.compute()
    if let e = run.error { throw e }
    guard let r = run.result() else { throw RNNError.invalidArgument("gradients: the backward pass did not finish") }
    return r
}

/// What `bidirectionalDynamicRNNGradients` returns: each direction's results and weight gradients, and the
/// input gradient of both together.
public struct BidirectionalGradients<Scalar: RNNScalar>: Sendable {
    public var forward: RNNGradients<Scalar>
    /// The backward direction, in its own loop's (reversed) time order, except `inputs` which is not used.
    public var backward: RNNGradients<Scalar>
    /// `∂L/∂inputs` through both directions, in the inputs' order.
    public var inputs: Tensor<Scalar>
    /// The backward outputs reversed back into the inputs' time order (as `bidirectionalDynamicRNN` returns them).
    public var outputsBackward: Tensor<Scalar>
}

/// `tf.gradients` through `tf.nn.bidirectional_dynamic_rnn`. `lossBackward` is given against the backward
/// outputs in the inputs' time order (as returned); the backward loop sees them reversed within each length
/// (`reverse_sequence`, its own inverse and its own gradient), and its input gradient is reversed back and
/// added to the forward's.
public func bidirectionalDynamicRNNGradients<Scalar: RNNScalar>(
    cellForward: any RNNCell<Scalar>, cellBackward: any RNNCell<Scalar>, inputs: Tensor<Scalar>,
    sequenceLength: [Int]? = nil, initialStateForward: Nest<Tensor<Scalar>>? = nil,
    initialStateBackward: Nest<Tensor<Scalar>>? = nil, dtype: DType? = nil, timeMajor: Bool = false,
    scope: String = "bidirectional_rnn", lossForward: RNNLoss<Scalar>, lossBackward: RNNLoss<Scalar>,
    tapeBudget: Int? = nil
) throws -> BidirectionalGradients<Scalar> {
    let fwLoop = try UnrolledLoop(cell: cellForward, inputs: .leaf(inputs), sequenceLength: sequenceLength,
                                  initialState: initialStateForward, dtype: dtype, timeMajor: timeMajor, scope: scope + "/fw")
    let reversed = try reverseSequence(inputs, lengths: sequenceLength, timeMajor: timeMajor)
    let bwLoop = try UnrolledLoop(cell: cellBackward, inputs: .leaf(reversed), sequenceLength: sequenceLength,
                                  initialState: initialStateBackward, dtype: dtype, timeMajor: timeMajor, scope: scope + "/bw")
    let maxTime = inputs.shape[timeMajor ? 0 : 1]
    let fw = try gradients(of: fwLoop, loss: lossForward, tapeBudget: tapeBudget)
    let bwLoss = try lossBackward.reversedInTime(lengths: sequenceLength, maxTime: maxTime, timeMajor: timeMajor)
    let bw = try gradients(of: bwLoop, loss: bwLoss, tapeBudget: tapeBudget)
    var dx = try reverseSequence(bw.inputs, lengths: sequenceLength, timeMajor: timeMajor)
    for k in 0..<dx.count { dx.scalars[k] += fw.inputs.scalars[k] }
    let outBw = try reverseSequence(bw.result.outputs, lengths: sequenceLength, timeMajor: timeMajor)
    return BidirectionalGradients(forward: fw, backward: bw, inputs: dx, outputsBackward: outBw)
}
