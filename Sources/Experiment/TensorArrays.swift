import RNNEngine

extension NumpyArray {
    /// The tensor's elements as a NumPy array of the matching dtype.
    public init<Scalar: RNNScalar>(_ tensor: Tensor<Scalar>) throws {
        // The element types are identical here, so the array is shared, not copied (outputs can be large).
        if Scalar.self == Float.self {
            try self.init(float32: unsafeBitCast(tensor.scalars, to: [Float].self), shape: tensor.shape)
        } else if Scalar.self == Double.self {
            try self.init(float64: unsafeBitCast(tensor.scalars, to: [Double].self), shape: tensor.shape)
        } else {
            switch Scalar.dtype {
            case .float32: try self.init(float32: tensor.scalars.map { Float($0) }, shape: tensor.shape)
            case .float64: try self.init(float64: tensor.scalars.map { Double($0) }, shape: tensor.shape)
            }
        }
    }

    /// The array as a tensor of `Scalar`; its dtype must be exactly `Scalar`'s (no silent conversion),
    /// otherwise the error says what `name` holds and what was expected.
    public func tensor<Scalar: RNNScalar>(_: Scalar.Type = Scalar.self, name: String) throws -> Tensor<Scalar> {
        let values: [Scalar]
        switch (storage, Scalar.dtype) {
        case let (.float32(v), .float32): values = v.map { Scalar($0) }
        case let (.float64(v), .float64): values = v.map { Scalar($0) }
        default:
            throw RNNError.dtypeMismatch("\(name) has dtype \(dtype.rawValue), expected \(Scalar.dtype.rawValue)")
        }
        return try Tensor(shape: shape, scalars: values)
    }
}
