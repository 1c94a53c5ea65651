// The wrappers and the stack differentiate through their cells.

extension MultiRNNCell: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        for cell in cells { (try? cell.differentiable())?.registerGradients(in: gradients) }
    }

    /// Each layer in turn; the tape holds one child per layer.
    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let states = try layerStates(state)
        let tape = StepTape<Scalar>()
        var current = input
        var newStates: [Nest<Tensor<Scalar>>] = []
        for (cell, s) in zip(cells, states) {
            let r = try cell.differentiable().tapedCall(current, state: s, time: time)
            tape.children.append(r.tape)
            newStates.append(r.state)
            current = r.output
        }
        return (current, .tuple(newStates), tape)
    }

    /// The layers from the top down: each layer's input gradient is the output gradient of the one below.
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        let dStates = try layerStates(stateGradient, what: "state gradients")
        guard tape.children.count == cells.count else {
            throw RNNError.invalidArgument("MultiRNNCell: the tape holds \(tape.children.count) layers, expected \(cells.count)")
        }
        let recorder = context.recorder
        let opensLayers = recorder.map { $0.enterMulti() && !$0.isInsideLayer } ?? false
        defer { recorder?.exitMulti() }
        var dOut = outputGradient
        var dPrev = dStates
        for l in stride(from: cells.count - 1, through: 0, by: -1) {
            if opensLayers { recorder?.beginLayer(l, cellName: cells[l].name, outputGradient: dOut, nextStateGradient: dStates[l]) }
            let r = try cells[l].differentiable().backward(tape.children[l], outputGradient: dOut, stateGradient: dStates[l],
                                                            context: context)
            if opensLayers { recorder?.endLayer(inputGradient: r.inputGradient, previousStateGradient: r.stateGradient) }
            dPrev[l] = r.stateGradient
            dOut = r.inputGradient
        }
        return (dOut, .tuple(dPrev))
    }
}

extension ResidualWrapper: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        (try? cell.differentiable())?.registerGradients(in: gradients)
    }

    /// `output = input + cell(input)`.
    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let r = try cell.differentiable().tapedCall(input, state: state, time: time)
        guard r.output.shape == input.shape else {
            throw RNNError.residualShapeMismatch(inputDepth: input.shape.last ?? 0, outputDepth: r.output.shape.last ?? 0)
        }
        var out = r.output
        for k in 0..<out.count { out.scalars[k] += input.scalars[k] }
        let tape = StepTape<Scalar>()
        tape.children = [r.tape]
        return (out, r.state, tape)
    }

    /// The input gets the output's gradient directly and through the cell.
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        var r = try cell.differentiable().backward(tape.children[0], outputGradient: outputGradient,
                                                    stateGradient: stateGradient, context: context)
        for k in 0..<r.inputGradient.count { r.inputGradient.scalars[k] += outputGradient.scalars[k] }
        return r
    }
}

extension DropoutWrapper: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        (try? cell.differentiable())?.registerGradients(in: gradients)
    }

    /// As `call`: the same masks (from the seed, the step and the tensor), so the backward can replay them.
    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let x = options.inputKeepProb < 1 ? dropout(input, keep: options.inputKeepProb, stream: 1, time: time) : input
        var r = try cell.differentiable().tapedCall(x, state: state, time: time)
        if options.stateKeepProb < 1 { r.state = dropState(r.state, stream: 2, time: time) }
        if options.outputKeepProb < 1 { r.output = dropout(r.output, keep: options.outputKeepProb, stream: 3, time: time) }
        let tape = StepTape<Scalar>()
        tape.children = [r.tape]
        return (r.output, r.state, tape)
    }

    /// Dropout `x / keep · mask` is linear: its gradient is the same mask and scale applied to the cotangent.
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        let t = context.time
        let dOut = options.outputKeepProb < 1 ? dropout(outputGradient, keep: options.outputKeepProb, stream: 3, time: t) : outputGradient
        let dState = options.stateKeepProb < 1 ? dropState(stateGradient, stream: 2, time: t) : stateGradient
        var r = try cell.differentiable().backward(tape.children[0], outputGradient: dOut, stateGradient: dState, context: context)
        if options.inputKeepProb < 1 { r.inputGradient = dropout(r.inputGradient, keep: options.inputKeepProb, stream: 1, time: t) }
        return r
    }
}
