// BasicLSTMCell and LSTMCell differentiate through the shared LSTM step (Cells/LSTMStep.swift, LSTMStepGradient.swift).
// Tape: the step's `LSTMStep`; state LSTMStateTuple(c, h).

extension LSTMStepCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        (try? stepParameters())?.registerGradients(in: gradients)
    }

    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        guard case let .lstm(dc, dh) = stateGradient else {
            throw RNNError.badInitialState("\(label) expects an LSTMStateTuple(c, h) gradient, got \(stateGradient.structureDescription)")
        }
        let r = lstmStepBackward(try tapedStep(tape), dOutput: outputGradient, dc: dc, dh: dh, context: context)
        return (r.dx, .lstm(c: r.dc, h: r.dh))
    }
}
