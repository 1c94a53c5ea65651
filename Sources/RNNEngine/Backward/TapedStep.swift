extension UnrolledLoop {
    /// Step `t` from `state` as `step` runs it (rows past their length emit zeros and keep their state), through
    /// a differentiable cell that keeps the step's tape for the backward pass.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func tapedStep(_ cell: any DifferentiableCell<Scalar>, from state: Nest<Tensor<Scalar>>, at t: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let x: Tensor<Scalar> = try inputs.slice(at: t).single(for: "gradients")
        let r = try cell.tapedCall(x, state: state, time: t)
        let masked = (0..<batchSize).map { isMasked(row: $0, time: t) }
        guard masked.contains(true) else { return r }
        return (zeroRows(r.output, masked), try r.state.zip(state) { copyRows($0, from: $1, masked) }, r.tape)
    }
}
