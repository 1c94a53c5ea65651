/// A dense, row-major (C order) array of `Float` or `Double` with a shape.
public struct Tensor<Scalar: RNNScalar>: Equatable, Sendable {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
    public var scalars: [Scalar]

    /// A tensor from a shape and its elements. Throws when the counts disagree or a dimension is negative.
    public init(shape: [Int], scalars: [Scalar]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw RNNError.invalidShape("negative dimension in \(formatShape(shape))")
        }
        let count = shape.reduce(1, *)
        guard count == scalars.count else {
            throw RNNError.invalidShape("shape \(formatShape(shape)) holds \(count) elements, got \(scalars.count)")
        }
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor the caller guarantees is consistent (used inside the engine).
    @usableFromInline
    init(unchecked shape: [Int], scalars: [Scalar]) {
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.scalars = Array(repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor filled with one value.
    public init(repeating value: Scalar, shape: [Int]) {
        self.shape = shape
        self.scalars = Array(repeating: value, count: shape.reduce(1, *))
    }

    /// A rank-2 tensor from rows (all rows must have the same length).
    public init(rows: [[Scalar]]) throws {
        let width = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == width }) else {
            throw RNNError.invalidShape("rows of unequal length")
        }
        self.init(unchecked: [rows.count, width], scalars: rows.flatMap { $0 })
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { scalars.count }

    /// Element at a full index.
    public subscript(_ index: Int...) -> Scalar {
        get { scalars[offset(index)] }
        set { scalars[offset(index)] = newValue }
    }

    @inlinable
    func offset(_ index: [Int]) -> Int {
        var o = 0
        for (i, d) in Swift.zip(index, shape) { o = o * d + i }
        return o
    }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        try Tensor(shape: newShape, scalars: scalars)
    }

    /// Swaps the first two dimensions (batch-major ⇄ time-major).
    public func transposedFirstTwo() -> Tensor {
        guard rank >= 2 else { return self }
        let a = shape[0], b = shape[1]
        let inner = b == 0 || a == 0 ? 0 : count / (a * b)
        var out = [Scalar](repeating: 0, count: count)
        scalars.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<a {
                    for j in 0..<b {
                        let s = (i * b + j) * inner, d = (j * a + i) * inner
                        for e in 0..<inner { dst[d + e] = src[s + e] }
                    }
                }
            }
        }
        var newShape = shape
        newShape.swapAt(0, 1)
        return Tensor(unchecked: newShape, scalars: out)
    }

    /// Converts every element to another scalar type.
    public func cast<Other: RNNScalar>(to: Other.Type = Other.self) -> Tensor<Other> {
        Tensor<Other>(unchecked: shape, scalars: scalars.map { Other($0) })
    }

    /// Row `i` of a rank-2 tensor.
    public func row(_ i: Int) -> ArraySlice<Scalar> {
        let width = shape.count == 2 ? shape[1] : count / max(shape[0], 1)
        return scalars[(i * width)..<((i + 1) * width)]
    }

    /// The largest absolute difference to another tensor of the same shape (infinity when shapes differ).
    public func maxAbsDifference(_ other: Tensor) -> Scalar {
        guard shape == other.shape else { return .infinity }
        var worst: Scalar = 0
        for (a, b) in Swift.zip(scalars, other.scalars) { worst = Swift.max(worst, Swift.abs(a - b)) }
        return worst
    }
}

/// A shape written the way TensorFlow prints it: `[3, 6, 2]`.
public func formatShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

/// A list of integers for display, `[9, 5, 2, 0]`, with the middle left out past `limit` values
/// (`[1, 2, 3, …, 99, 100] (100 values)`), so a batch-sized list stays one readable line.
public func formatValues(_ values: [Int], limit: Int = 16) -> String {
    guard values.count > limit else { return formatShape(values) }
    let head = values.prefix(limit / 2).map(String.init), tail = values.suffix(limit / 4).map(String.init)
    return "[" + (head + ["…"] + tail).joined(separator: ", ") + "] (\(values.count) values)"
}
