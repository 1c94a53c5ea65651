/// TensorFlow's default variable initializers, made deterministic from a seed and the variable name.
public enum Initializer: Sendable, Equatable {
    /// Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)) — TF's default for kernels.
    case glorotUniform
    /// All zeros — TF's default for biases.
    case zeros
    /// Every element the same value (GRU gate bias: 1.0).
    case constant(Double)

    /// A tensor of `shape` filled by this initializer; the same seed and name always give the same values.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func make<Scalar: RNNScalar>(shape: [Int], seed: UInt64, name: String) -> Tensor<Scalar> {
        switch self {
        case .zeros: return Tensor(zeros: shape)
        case let .constant(v): return Tensor(repeating: Scalar(v), shape: shape)
        case .glorotUniform:
            let (fanIn, fanOut) = Initializer.fans(shape)
            let limit = (6.0 / Double(max(1, fanIn + fanOut))).squareRoot()
            var rng = SplitMix64(seed: seed ^ fnv1a(name))
            let count = shape.reduce(1, *)
            let values = (0..<count).map { _ in Scalar(rng.nextUniform() * 2 * limit - limit) }
            return Tensor(unchecked: shape, scalars: values)
        }
    }

    /// TensorFlow's `_compute_fans`: rank 1 → (n, n); rank 2 → (rows, cols).
    static func fans(_ shape: [Int]) -> (Int, Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        case 2: return (shape[0], shape[1])
        default:
            let receptive = shape.dropLast(2).reduce(1, *)
            return (shape[shape.count - 2] * receptive, shape[shape.count - 1] * receptive)
        }
    }
}

/// FNV-1a hash of a string, to give each variable its own random stream.
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// A small, fast, reproducible generator (SplitMix64) for initializers, inputs and dropout masks.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// A double uniform in [0, 1).
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1p-53 }
}
