// BasicLSTMCell and LSTMCell differentiate through the shared LSTM step (LSTMStepGradient.swift).
// Tape: the step's values; state LSTMStateTuple(c, h).

extension BasicLSTMCell: DifferentiableCell {
    func stepParameters() throws -> LSTMStepParameters<Scalar> {
        let l = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: "BasicLSTMCell")
        return LSTMStepParameters(linear: l, units: numUnits, forgetBias: forgetBias, activation: activation,
                                  peepholes: nil, cellClip: nil, projection: nil, projClip: nil)
    }

    public func registerGradients(in gradients: GradientStore<Scalar>) {
        (try? stepParameters())?.registerGradients(in: gradients)
    }

    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        try lstmTapedCall(try stepParameters(), input, state, cell: "BasicLSTMCell")
    }

    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        try lstmBackward(try stepParameters(), tape, outputGradient, stateGradient, context, cell: "BasicLSTMCell")
    }
}

extension LSTMCell: DifferentiableCell {
    func stepParameters() throws -> LSTMStepParameters<Scalar> {
        let l = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: "LSTMCell")
        var proj: (packed: PackedMatrix<Scalar>, transposed: PackedMatrix<Scalar>, name: String)?
        if let packed = projection, let kernel = projectionKernel {
            proj = (packed, kernel.transposed.packed, kernel.name)
        }
        return LSTMStepParameters(linear: l, units: numUnits, forgetBias: options.forgetBias, activation: options.activation,
                                  peepholes: peepholes, cellClip: options.cellClip, projection: proj, projClip: options.projClip)
    }

    public func registerGradients(in gradients: GradientStore<Scalar>) {
        (try? stepParameters())?.registerGradients(in: gradients)
    }

    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        try lstmTapedCall(try stepParameters(), input, state, cell: "LSTMCell")
    }

    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        try lstmBackward(try stepParameters(), tape, outputGradient, stateGradient, context, cell: "LSTMCell")
    }
}

private func lstmTapedCall<S: RNNScalar>(_ p: LSTMStepParameters<S>, _ input: Tensor<S>, _ state: Nest<Tensor<S>>, cell: String) throws
    -> (output: Tensor<S>, state: Nest<Tensor<S>>, tape: StepTape<S>) {
    guard case let .lstm(c, h) = state else {
        throw RNNError.badInitialState("\(cell) expects an LSTMStateTuple(c, h) state, got \(state.structureDescription)")
    }
    guard p.linear.inputDepth == input.shape.last else {
        throw RNNError.invalidArgument("\(cell) was built for input depth \(p.linear.inputDepth), got \(input.shape.last ?? 0)")
    }
    let r = lstmTapedStep(p, x: input, c: c, h: h)
    return (r.h, .lstm(c: r.c, h: r.h), r.tape)
}

private func lstmBackward<S: RNNScalar>(_ p: LSTMStepParameters<S>, _ tape: StepTape<S>, _ dOut: Tensor<S>, _ dState: Nest<Tensor<S>>,
                                        _ context: BackwardContext<S>, cell: String) throws
    -> (inputGradient: Tensor<S>, stateGradient: Nest<Tensor<S>>) {
    guard case let .lstm(dc, dh) = dState else {
        throw RNNError.badInitialState("\(cell) expects an LSTMStateTuple(c, h) gradient, got \(dState.structureDescription)")
    }
    let r = lstmStepBackward(p, tape: tape, dOutput: dOut, dc: dc, dh: dh, context: context)
    return (r.dx, .lstm(c: r.dc, h: r.dh))
}
