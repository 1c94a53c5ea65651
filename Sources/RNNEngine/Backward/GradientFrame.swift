/// One time step of the backward sweep: the gradient arriving at the step, what each layer and gate passed
/// on, and what left the step towards t−1. Recomputed on demand from the checkpoints (`GradientRun.frames`).
public struct GradientFrame<Scalar: RNNScalar>: Sendable {
    /// TF's 0-based time index.
    public let time: Int
    /// `masked[b]`: `time >= sequence_length[b]`. Such a row's output was a constant zero (its gradient is
    /// dropped) and its state was copied through, so its state gradient passes back unchanged.
    public let masked: [Bool]
    /// False past the loop bound: the cell did not run, the state gradient passes back unchanged.
    public let ran: Bool
    /// Per-layer detail (empty when the cell did not run).
    public let layers: [LayerGradientFrame<Scalar>]
    /// `∂L/∂output_t` from the loss, masked rows zero.
    public let outputGradient: Tensor<Scalar>
    /// `∂L/∂state_t`, the gradient arriving from step t+1 (at the last step: the loss's state cotangent).
    public let stateGradient: Nest<Tensor<Scalar>>
    /// `∂L/∂x_t`.
    public let inputGradient: Tensor<Scalar>
    /// `∂L/∂state_{t−1}`, what this step passes back (masked rows: `stateGradient`'s, copied through).
    public let previousStateGradient: Nest<Tensor<Scalar>>
}
