// BasicRNNCell: h' = act([x, h]·W + b). Tape: x, h, pre-activation, h'.

extension BasicRNNCell: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        linear?.registerGradients(in: gradients)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let h = try state.single(for: "BasicRNNCell state")
        let linear = try builtLinear(linear, inputDepth: input.shape.last ?? 0, cell: "BasicRNNCell")
        let pre = linear.apply(input, h)
        var out = pre
        let n = out.count
        out.scalars.withUnsafeMutableBufferPointer { p in if let b = p.baseAddress { activation.apply(b, count: n) } }
        let tape = StepTape<Scalar>()
        tape.values = [input.scalars, h.scalars, pre.scalars, out.scalars]
        return (out, .leaf(out), tape)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        let linear = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: "BasicRNNCell")
        let dState = try stateGradient.single(for: "BasicRNNCell state gradient")
        let batch = outputGradient.shape[0], n = batch * numUnits
        let (x, h, pre, out) = (tape.values[0], tape.values[1], tape.values[2], tape.values[3])
        var dh = [Scalar](repeating: 0, count: n)
        for k in 0..<n { dh[k] = outputGradient.scalars[k] + dState.scalars[k] }
        let dPre = activation.backward(dy: dh, y: out, x: pre)
        context.recorder?.record("h", Tensor(unchecked: [batch, numUnits], scalars: dh))
        let (dx, dhPrev) = linear.backward(dGates: dPre, x: x, h: h, batch: batch, gradients: context.gradients)
        return (Tensor(unchecked: [batch, linear.inputDepth], scalars: dx),
                .leaf(Tensor(unchecked: [batch, numUnits], scalars: dhPrev)))
    }
}
