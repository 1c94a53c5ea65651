/// A cell whose step can be differentiated: the requirement the backward pass (`GradientRun`) places on a cell.
///
/// The sweep calls `tapedCall` to recompute a step forward (from the state before it), keeping what the
/// backward needs, then later `backward` with the cotangents of the step's output and new state, which returns
/// the cotangents of the step's input and previous state and adds the weights' gradients to `context.gradients`.
/// Every built-in cell and wrapper conforms.
public protocol DifferentiableCell<Scalar>: RNNCell {
    associatedtype Scalar: RNNScalar
    /// Declares every variable the cell uses (after `build`), so each gets a gradient, zero if unused.
    func registerGradients(in gradients: GradientStore<Scalar>)
    /// One forward step (as `call`), keeping what `backward` needs.
    func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>)
    /// The vector-Jacobian product of the step taped in `tape`: given `∂L/∂output` and `∂L/∂newState`,
    /// returns `∂L/∂input` and `∂L/∂state`, and accumulates the weights' gradients.
    func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                  context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>)
}

/// What a cell's backward step gets besides the cotangents: where weight gradients go, the step's time
/// (for dropout masks) and a recorder for per-gate gradients (nil when nobody is watching).
public struct BackwardContext<Scalar: RNNScalar> {
    public let gradients: GradientStore<Scalar>
    public let time: Int
    public let recorder: GradientRecorder<Scalar>?

    public init(gradients: GradientStore<Scalar>, time: Int, recorder: GradientRecorder<Scalar>? = nil) {
        self.gradients = gradients
        self.time = time
        self.recorder = recorder
        gradients.stepRecorder = recorder
    }
}

extension RNNCell {
    /// This cell as a differentiable one, or an error naming it.
    func differentiable() throws -> any DifferentiableCell<Scalar> {
        guard let d = self as? any DifferentiableCell<Scalar> else {
            throw RNNError.invalidArgument("gradients: the cell \(name) (\(type(of: self))) does not implement DifferentiableCell")
        }
        return d
    }
}

extension Nest {
    /// The tensors of a state nest as one flat list of scalar arrays (for tapes).
    func scalarArrays<S>() -> [[S]] where Element == Tensor<S> { flattened.map(\.scalars) }
}
