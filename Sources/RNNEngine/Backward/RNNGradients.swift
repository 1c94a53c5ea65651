/// A forward pass and the gradients of a loss through it.
public struct RNNGradients<Scalar: RNNScalar>: Sendable {
    /// The forward results (outputs and final state).
    public var result: RNNResult<Scalar>
    /// `∂L/∂inputs`, in the inputs' layout.
    public var inputs: Tensor<Scalar>
    /// `∂L/∂initial_state`, in the state's structure (the zero state's gradient when none was given).
    public var initialState: Nest<Tensor<Scalar>>
    /// `∂L/∂W` for every variable the cell uses, by TF variable name.
    public var weights: [String: Tensor<Scalar>]
    /// The variable names in the order the cell declared them.
    public var weightNames: [String]
}
