// BasicRNNCell: h' = act([x, h]·W + b). Tape: its `Step` (x, h, pre-activation, h').

extension BasicRNNCell: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        linear?.registerGradients(in: gradients)
    }

    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let h = try state.single(for: "BasicRNNCell state")
        let s = try step(input, h)
        let out = Tensor(unchecked: [input.shape[0], numUnits], scalars: s.out)
        return (out, .leaf(out), StepTape(step: s))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        let linear = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: "BasicRNNCell")
        let dState = try stateGradient.single(for: "BasicRNNCell state gradient")
        let batch = outputGradient.shape[0], n = batch * numUnits
        let s = try tape.step(Step.self, of: "BasicRNNCell")
        var dh = [Scalar](repeating: 0, count: n)
        for k in 0..<n { dh[k] = outputGradient.scalars[k] + dState.scalars[k] }
        let dPre = activation.backward(dy: dh, y: s.out, x: s.pre)
        context.recorder?.record("h", Tensor(unchecked: [batch, numUnits], scalars: dh))
        let (dx, dhPrev) = linear.backward(dGates: dPre, x: s.x, h: s.h, batch: batch, gradients: context.gradients)
        return (Tensor(unchecked: [batch, linear.inputDepth], scalars: dx),
                .leaf(Tensor(unchecked: [batch, numUnits], scalars: dhPrev)))
    }
}
