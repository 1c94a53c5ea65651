// BasicRNNCell: h' = act([x, h]·W + b). Tape: its `Step` (x, h, pre-activation, h').

extension BasicRNNCell: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        linear?.registerGradients(in: gradients)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        let linear = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: "BasicRNNCell")
        let dState = try stateGradient.single(for: "BasicRNNCell state gradient")
        let batch = outputGradient.shape[0], n = batch * numUnits
        let s = try tapedStep(tape)
        var dh = [Scalar](repeating: 0, count: n)
        for k in 0..<n { dh[k] = outputGradient.scalars[k] + dState.scalars[k] }
        let dPre = activation.backward(dy: dh, y: s.out, x: s.pre)
        context.recorder?.record("h", Tensor(unchecked: [batch, numUnits], scalars: dh))
        let (dx, dhPrev) = linear.backward(dGates: dPre, x: s.x, h: s.h, batch: batch, gradients: context.gradients)
        return (Tensor(unchecked: [batch, linear.inputDepth], scalars: dx),
                .leaf(Tensor(unchecked: [batch, numUnits], scalars: dhPrev)))
    }
}
