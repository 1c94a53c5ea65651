/// The activation functions TensorFlow's cells accept, by the names experiment files use.
public enum Activation: String, CaseIterable, Sendable {
    case tanh, relu, sigmoid, softsign, elu

    /// Applies the activation to `n` elements in place (the same C kernels the cells use).
    public func apply<Scalar: RNNScalar>(_ p: UnsafeMutablePointer<Scalar>, count n: Int) {
        Fused.act(n, p, fusedCode)
    }

    /// The activation of one value.
    public func callAsFunction<Scalar: RNNScalar>(_ x: Scalar) -> Scalar {
        var v = x
        apply(&v, count: 1)
        return v
    }
}
