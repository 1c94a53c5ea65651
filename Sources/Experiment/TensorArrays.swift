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
        case let (.float32(v), .float32): values = scalars(from: v)
        case let (.float64(v), .float64): values = scalars(from: v)
        default:
            throw RNNError.dtypeMismatch("\(name) has dtype \(dtype.rawValue), expected \(Scalar.dtype.rawValue)")
        }
        return try Tensor(shape: shape, scalars: values)
    }
}

/// `values` as `[Scalar]`: shared without a copy when the types are the same, converted otherwise. (A plain
/// generic `map` here would run unspecialized, one witness-table call per element: slow for large inputs.)
func scalars<Scalar: RNNScalar, Source: BinaryFloatingPoint>(from values: [Source]) -> [Scalar] {
    if Scalar.self == Source.self { return unsafeBitCast(values, to: [Scalar].self) }
    if Source.self == Double.self && Scalar.self == Float.self {
        return unsafeBitCast(unsafeBitCast(values, to: [Double].self).map { Float($0) }, to: [Scalar].self)
    }
    if Source.self == Float.self && Scalar.self == Double.self {
        return unsafeBitCast(unsafeBitCast(values, to: [Float].self).map { Double($0) }, to: [Scalar].self)
    }
    return values.map { Scalar($0) }
}
