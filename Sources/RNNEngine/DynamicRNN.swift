/// What `dynamicRNN` returns: the outputs at every step and the final state.
public struct RNNResult<Scalar: RNNScalar>: Sendable {
    /// `[batch, max_time, output_size]`, or `[max_time, batch, output_size]` when time-major.
    public var outputs: Tensor<Scalar>
    /// The state after each row's last step, in the cell's state structure.
    public var state: Nest<Tensor<Scalar>>
}

/// `tf.nn.dynamic_rnn`: runs `cell` over `inputs`, number for number as TensorFlow does.
///
/// - Parameters:
///   - cell: the cell (built here under `scope`, fetching its variables from its `VariableStore`).
///   - inputs: `[batch, time, depth]` tensors (`[time, batch, depth]` when `timeMajor`), possibly nested.
///   - sequenceLength: per-row lengths; for `t >= length` the state is copied through and the output is zero.
///     The loop stops after `max(1, max(sequenceLength))` steps.
///   - initialState: the starting state, in the cell's state structure; zeros when nil.
///   - dtype: required when `initialState` is nil; must match the inputs' scalar type.
///   - parallelIterations: 0 means the default 32 and negative values are rejected, as in TF. On a CPU it is the number of time steps whose input
///     projections `x·W_x + b` are computed together: for stacks of built-in cells the pass runs layer by
///     layer over chunks of `parallelIterations` steps, each chunk's input products being ONE packed matrix
///     product with `m = parallelIterations · batch`; per step only `h·W_h` (`m = batch`) and the element-wise
///     part remain. Larger values mean fewer, larger products and buffers of `parallelIterations · batch ·
///     units` scalars (never `max_time`-sized per layer). Results do not depend on it.
///   - swapMemory: accepted for API compatibility; a forward pass keeps nothing for back-prop, so there is
///     nothing to swap. `RecordedRun` uses it to choose sparse checkpoints over keeping every step.
///   - timeMajor: layout of `inputs` and `outputs`.
///   - scope: the variable scope, `rnn` by default.
public func dynamicRNN<Scalar: RNNScalar>(
    cell: any RNNCell<Scalar>, inputs: Nest<Tensor<Scalar>>, sequenceLength: [Int]? = nil,
    initialState: Nest<Tensor<Scalar>>? = nil, dtype: DType? = nil, parallelIterations: Int = 32,
    swapMemory: Bool = false, timeMajor: Bool = false, scope: String = VariableScope.dynamicRNN
) throws -> RNNResult<Scalar> {
    // TF: `parallel_iterations = parallel_iterations or 32`, then while_loop rejects anything not positive.
    let parallelIterations = parallelIterations == 0 ? 32 : parallelIterations
    guard parallelIterations > 0 else {
        throw RNNError.invalidArgument("parallel_iterations must be a positive integer, got \(parallelIterations)")
    }
    let loop = try UnrolledLoop(cell: cell, inputs: inputs, sequenceLength: sequenceLength,
                                initialState: initialState, dtype: dtype, timeMajor: timeMajor, scope: scope)
    loop.parallelIterations = parallelIterations
    return try loop.run()
}

/// `dynamicRNN` for a single input tensor.
public func dynamicRNN<Scalar: RNNScalar>(
    cell: any RNNCell<Scalar>, inputs: Tensor<Scalar>, sequenceLength: [Int]? = nil,
    initialState: Nest<Tensor<Scalar>>? = nil, dtype: DType? = nil, parallelIterations: Int = 32,
    swapMemory: Bool = false, timeMajor: Bool = false, scope: String = VariableScope.dynamicRNN
) throws -> RNNResult<Scalar> {
    try dynamicRNN(cell: cell, inputs: .leaf(inputs), sequenceLength: sequenceLength, initialState: initialState,
                   dtype: dtype, parallelIterations: parallelIterations, swapMemory: swapMemory,
                   timeMajor: timeMajor, scope: scope)
}

extension UnrolledLoop {
    /// Runs every step and returns outputs in the inputs' layout and the final state.
    /// `observe` (when given) sees each step's emitted output and state as it is computed.
    /// Without `observe`, stacks of built-in cells run on the fused, layer-wise path (see `parallelIterations`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func run(observe: ((Int, Tensor<Scalar>, Nest<Tensor<Scalar>>) -> Void)? = nil) throws -> RNNResult<Scalar> {
        if observe == nil, let plan = makeFastPlan() {
            lastRunUsedFastPath = true
            return runFast(plan)
        }
        lastRunUsedFastPath = false
        let batch = batchSize, time = maxTime, width = outputSize
        let timeMajor = inputs.timeMajor
        var outputs = [Scalar](repeating: 0, count: batch * time * width)
        var state = initialState
        for t in 0..<loopBound {
            let step = try self.step(from: state, at: t)
            state = step.state
            step.output.scalars.withUnsafeBufferPointer { src in
                outputs.withUnsafeMutableBufferPointer { dst in
                    guard width > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
                    for b in 0..<batch {
                        let o = timeMajor ? (t * batch + b) * width : (b * time + t) * width
                        (d + o).update(from: s + b * width, count: width)
                    }
                }
            }
            observe?(t, step.output, state)
        }
        let shape = timeMajor ? [time, batch, width] : [batch, time, width]
        return RNNResult(outputs: Tensor(unchecked: shape, scalars: outputs), state: state)
    }
}
