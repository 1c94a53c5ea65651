import RealModule

/// The activation functions TensorFlow's cells accept, by the names experiment files use.
public enum Activation: String, CaseIterable, Sendable {
    case tanh, relu, sigmoid, softsign, elu

    /// Applies the activation to `n` elements in place.
    @inlinable
    public func apply<Scalar: RNNScalar>(_ p: UnsafeMutablePointer<Scalar>, count n: Int) {
        switch self {
        case .tanh: Scalar.vectorTanh(n, p, p)
        case .sigmoid: Scalar.vectorSigmoid(n, p, p)
        case .relu:
            for i in 0..<n where !(p[i] > 0) { if !p[i].isNaN { p[i] = 0 } }
        case .softsign:
            for i in 0..<n { p[i] = p[i] / (1 + Swift.abs(p[i])) }
        case .elu:
            for i in 0..<n where p[i] < 0 { p[i] = Scalar.expMinusOne(p[i]) }
        }
    }

    /// The activation of one value.
    public func callAsFunction<Scalar: RNNScalar>(_ x: Scalar) -> Scalar {
        var v = x
        apply(&v, count: 1)
        return v
    }
}
