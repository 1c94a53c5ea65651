// BasicLSTMCell and LSTMCell differentiate through the shared LSTM step (LSTMStepGradient.swift).
// Tape: the step's values; state LSTMStateTuple(c, h).

/// A cell whose step is the shared LSTM step, given its weights and options.
protocol LSTMStepCell: DifferentiableCell {
    /// The cell's class name, for messages.
    var label: String { get }
    func stepParameters() throws -> LSTMStepParameters<Scalar>
}

extension LSTMStepCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        (try? stepParameters())?.registerGradients(in: gradients)
    }

    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let p = try stepParameters()
        guard case let .lstm(c, h) = state else {
            throw RNNError.badInitialState("\(label) expects an LSTMStateTuple(c, h) state, got \(state.structureDescription)")
        }
        guard p.linear.inputDepth == input.shape.last else {
            throw RNNError.invalidArgument("\(label) was built for input depth \(p.linear.inputDepth), got \(input.shape.last ?? 0)")
        }
        let r = lstmTapedStep(p, x: input, c: c, h: h)
        return (r.h, .lstm(c: r.c, h: r.h), r.tape)
    }

    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        guard case let .lstm(dc, dh) = stateGradient else {
            throw RNNError.badInitialState("\(label) expects an LSTMStateTuple(c, h) gradient, got \(stateGradient.structureDescription)")
        }
        let r = lstmStepBackward(try stepParameters(), tape: tape, dOutput: outputGradient, dc: dc, dh: dh, context: context)
        return (r.dx, .lstm(c: r.dc, h: r.dh))
    }
}

extension BasicLSTMCell: LSTMStepCell {
    var label: String { "BasicLSTMCell" }

    func stepParameters() throws -> LSTMStepParameters<Scalar> {
        let l = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: label)
        return LSTMStepParameters(linear: l, units: numUnits, forgetBias: forgetBias, activation: activation,
                                  peepholes: nil, cellClip: nil, projection: nil, projClip: nil)
    }
}

extension LSTMCell: LSTMStepCell {
    var label: String { "LSTMCell" }

    func stepParameters() throws -> LSTMStepParameters<Scalar> {
        let l = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: label)
        var proj: (packed: PackedMatrix<Scalar>, transposed: PackedMatrix<Scalar>, name: String)?
        if let packed = projection, let kernel = projectionKernel {
            proj = (packed, kernel.transposed.packed, kernel.name)
        }
        return LSTMStepParameters(linear: l, units: numUnits, forgetBias: options.forgetBias, activation: options.activation,
                                  peepholes: peepholes, cellClip: options.cellClip, projection: proj, projClip: options.projClip)
    }
}
