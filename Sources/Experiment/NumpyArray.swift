import Foundation

/// The element types this package reads and writes in `.npy` files, all little-endian.
public enum NumpyDType: String, CaseIterable, Sendable {
    case float32, float64, int32, int64
    /// NumPy's `bool` (`'|b1'`), one byte per element, 0 or 1 (an experiment's `mask`).
    case bool

    /// The NumPy type string stored in an `.npy` header: `'<f4'`, `'<f8'`, `'<i4'`, `'<i8'` or `'|b1'`.
    public var descr: String {
        switch self {
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .bool: return "|b1"
        }
    }

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .bool: return 1
        }
    }

    /// The dtype whose `descr` is exactly `descr`, if supported.
    public init?(descr: String) {
        guard let match = NumpyDType.allCases.first(where: { $0.descr == descr }) else { return nil }
        self = match
    }
}

/// A Swift element type stored as one `NumpyDType`: `Float`, `Double`, `Int32` or `Int64`.
public protocol NumpyElement {
    /// The dtype arrays of this element are stored as.
    static var numpyDType: NumpyDType { get }
    /// Wraps values as storage (without copying them).
    static func numpyStorage(_ values: [Self]) -> NumpyArray.Storage
}

extension Float: NumpyElement {
    public static var numpyDType: NumpyDType { .float32 }
    public static func numpyStorage(_ values: [Float]) -> NumpyArray.Storage { .float32(values) }
}

extension Double: NumpyElement {
    public static var numpyDType: NumpyDType { .float64 }
    public static func numpyStorage(_ values: [Double]) -> NumpyArray.Storage { .float64(values) }
}

extension Int32: NumpyElement {
    public static var numpyDType: NumpyDType { .int32 }
    public static func numpyStorage(_ values: [Int32]) -> NumpyArray.Storage { .int32(values) }
}

extension Int64: NumpyElement {
    public static var numpyDType: NumpyDType { .int64 }
    public static func numpyStorage(_ values: [Int64]) -> NumpyArray.Storage { .int64(values) }
}

/// A dense, C-ordered (row-major) NumPy array: a shape and its elements.
///
/// Equality compares shapes and elements (`NaN` is unequal to itself, as for `[Float]`).
public struct NumpyArray: Equatable {
    /// The elements, in row-major order, typed by dtype.
    public enum Storage: Equatable {
        case float32([Float]), float64([Double]), int32([Int32]), int64([Int64])
        /// NumPy `bool` elements as their bytes as stored (0 is false; NumPy writes 1 for true).
        case bool([UInt8])

        /// The number of elements.
        public var count: Int {
            switch self {
            case .float32(let v): return v.count
            case .float64(let v): return v.count
            case .int32(let v): return v.count
            case .int64(let v): return v.count
            case .bool(let v): return v.count
            }
        }

        /// These elements, stored in Fortran (column-major) order for `shape`, in C (row-major) order.
        func cOrder(fromFortranOrder shape: [Int]) -> Storage {
            switch self {
            case .float32(let v): return .float32(Self.cOrder(v, fortranShape: shape))
            case .float64(let v): return .float64(Self.cOrder(v, fortranShape: shape))
            case .int32(let v): return .int32(Self.cOrder(v, fortranShape: shape))
            case .int64(let v): return .int64(Self.cOrder(v, fortranShape: shape))
            case .bool(let v): return .bool(Self.cOrder(v, fortranShape: shape))
            }
        }

        /// Walks the C-order indices (last axis fastest) and reads each element at its Fortran offset, where axis
        /// `k`'s stride is the product of the extents before it.
        private static func cOrder<T>(_ values: [T], fortranShape shape: [Int]) -> [T] {
            guard shape.count > 1, !values.isEmpty else { return values }
            var strides = [Int](repeating: 1, count: shape.count)
            for k in 1..<shape.count { strides[k] = strides[k - 1] * shape[k - 1] }
            var out: [T] = []
            out.reserveCapacity(values.count)
            var index = [Int](repeating: 0, count: shape.count)
            var offset = 0
            values.withUnsafeBufferPointer { v in
                for _ in 0..<v.count {
                    out.append(v[offset])
                    var k = shape.count - 1
                    while k >= 0 {
                        index[k] += 1
                        offset += strides[k]
                        if index[k] < shape[k] { break }
                        offset -= strides[k] * shape[k]
                        index[k] = 0
                        k -= 1
                    }
                }
            }
            return out
        }

        /// The dtype of the elements.
        public var dtype: NumpyDType {
            switch self {
            case .float32: return .float32
            case .float64: return .float64
            case .int32: return .int32
            case .int64: return .int64
            case .bool: return .bool
            }
        }
    }

    /// The extent of each dimension, outermost first; `[]` for a scalar.
    public private(set) var shape: [Int]
    /// The elements; `storage.count` is the product of `shape`.
    public private(set) var storage: Storage

    /// The element type.
    public var dtype: NumpyDType { storage.dtype }
    /// The number of elements (1 for a scalar).
    public var count: Int { storage.count }

    /// An array from a shape and its elements. Throws when a dimension is negative or the
    /// element count is not the product of the shape.
    public init(shape: [Int], storage: Storage) throws {
        let expected = try NumpyArray.elementCount(of: shape, subject: "array")
        guard expected == storage.count else {
            throw NumpyError("array", "shape \(NumpyArray.describe(shape)) needs \(expected) elements, got \(storage.count)")
        }
        self.shape = shape
        self.storage = storage
    }

    /// A `float32` array.
    public init(float32 values: [Float], shape: [Int]) throws { try self.init(shape: shape, storage: .float32(values)) }
    /// A `float64` array.
    public init(float64 values: [Double], shape: [Int]) throws { try self.init(shape: shape, storage: .float64(values)) }
    /// An `int32` array.
    public init(int32 values: [Int32], shape: [Int]) throws { try self.init(shape: shape, storage: .int32(values)) }
    /// An `int64` array.
    public init(int64 values: [Int64], shape: [Int]) throws { try self.init(shape: shape, storage: .int64(values)) }

    /// An array of any supported element type, e.g. a `Tensor<Float>`'s `scalars` (shared, not copied).
    public init<Element: NumpyElement>(_ values: [Element], shape: [Int]) throws {
        try self.init(shape: shape, storage: Element.numpyStorage(values))
    }

    /// The elements as `Double` (exact for all but `int64` values beyond 2^53).
    public func asDoubles() -> [Double] {
        switch storage {
        case .float32(let v): return v.map(Double.init)
        case .float64(let v): return v
        case .int32(let v): return v.map(Double.init)
        case .int64(let v): return v.map(Double.init)
        case .bool(let v): return v.map { $0 == 0 ? 0 : 1 }
        }
    }

    /// The elements as `Float` (rounded to nearest).
    public func asFloats() -> [Float] {
        switch storage {
        case .float32(let v): return v
        case .float64(let v): return v.map(Float.init)
        case .int32(let v): return v.map(Float.init)
        case .int64(let v): return v.map(Float.init)
        case .bool(let v): return v.map { $0 == 0 ? 0 : 1 }
        }
    }

    /// The elements as `Int`. Floating-point values are truncated toward zero and clamped to
    /// `Int`'s range; `NaN` becomes 0. Never traps.
    public func asInts() -> [Int] {
        switch storage {
        case .float32(let v): return v.map { NumpyArray.clampedInt(Double($0)) }
        case .float64(let v): return v.map(NumpyArray.clampedInt)
        case .int32(let v): return v.map(Int.init)
        case .int64(let v): return v.map { Int(truncatingIfNeeded: $0) }
        case .bool(let v): return v.map { $0 == 0 ? 0 : 1 }
        }
    }

    private static func clampedInt(_ x: Double) -> Int {
        if x.isNaN { return 0 }
        if x >= 9.223372036854775807e18 { return .max }
        if x <= -9.223372036854775808e18 { return .min }
        return Int(x)
    }

    /// The product of `shape`, checked: throws on a negative dimension or an overflowing product.
    static func elementCount(of shape: [Int], subject: String) throws -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else {
                throw NumpyError(subject, "negative dimension \(dim) in shape \(describe(shape))")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw NumpyError(subject, "shape \(describe(shape)) has more elements than Int can count")
            }
            count = product
        }
        return count
    }

    /// A shape written as NumPy prints it: `()`, `(5,)`, `(2, 3, 4)`.
    static func describe(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

extension NumpyArray.Storage {
    /// Empty storage of `dtype` with room for `count` elements (reserved, not yet touched).
    init(reserving dtype: NumpyDType, count: Int) {
        switch dtype {
        case .float32: var v = [Float](); v.reserveCapacity(count); self = .float32(v)
        case .float64: var v = [Double](); v.reserveCapacity(count); self = .float64(v)
        case .int32: var v = [Int32](); v.reserveCapacity(count); self = .int32(v)
        case .int64: var v = [Int64](); v.reserveCapacity(count); self = .int64(v)
        case .bool: var v = [UInt8](); v.reserveCapacity(count); self = .bool(v)
        }
    }

    /// Appends whole elements given as raw little-endian bytes (`bytes.count` a multiple of the dtype's width).
    mutating func appendElements(_ bytes: UnsafeRawBufferPointer) {
        // Each case takes the array out of `self` first so the append does not copy it.
        switch self {
        case .float32(var v):
            self = .float32([]); NumpyArray.Storage.append(bytes, to: &v); self = .float32(v)
        case .float64(var v):
            self = .float64([]); NumpyArray.Storage.append(bytes, to: &v); self = .float64(v)
        case .int32(var v):
            self = .int32([]); NumpyArray.Storage.append(bytes, to: &v); self = .int32(v)
        case .int64(var v):
            self = .int64([]); NumpyArray.Storage.append(bytes, to: &v); self = .int64(v)
        case .bool(var v):
            self = .bool([]); NumpyArray.Storage.append(bytes, to: &v); self = .bool(v)
        }
    }

    private static func append<T: Numeric>(_ bytes: UnsafeRawBufferPointer, to array: inout [T]) {
        let stride = MemoryLayout<T>.stride
        let count = bytes.count / stride
        guard count > 0, let source = bytes.baseAddress else { return }
        let start = array.count
        array.append(contentsOf: repeatElement(T.zero, count: count))
        array.withUnsafeMutableBytes { destination in
            guard let base = destination.baseAddress else { return }
            (base + start * stride).copyMemory(from: source, byteCount: count * stride)
        }
    }

    /// Converts elements from little-endian to host order, in place (a no-op on little-endian hosts).
    mutating func fixByteOrderFromLittleEndian() {
        #if _endian(big)
        switch self {
        case .float32(let v): self = .float32(v.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) })
        case .float64(let v): self = .float64(v.map { Double(bitPattern: UInt64(littleEndian: $0.bitPattern)) })
        case .int32(let v): self = .int32(v.map { Int32(littleEndian: $0) })
        case .int64(let v): self = .int64(v.map { Int64(littleEndian: $0) })
        case .bool: break
        }
        #endif
    }

    /// The little-endian bytes of elements `range`.
    func littleEndianBytes(elements range: Range<Int>) -> Data {
        switch self {
        case .float32(let v): return NumpyArray.Storage.littleEndianBytes(of: v[range]) { $0.bitPattern }
        case .float64(let v): return NumpyArray.Storage.littleEndianBytes(of: v[range]) { $0.bitPattern }
        case .int32(let v): return NumpyArray.Storage.littleEndianBytes(of: v[range]) { $0 }
        case .int64(let v): return NumpyArray.Storage.littleEndianBytes(of: v[range]) { $0 }
        case .bool(let v): return NumpyArray.Storage.littleEndianBytes(of: v[range]) { $0 }
        }
    }

    /// The little-endian bytes of `elements`, whose bit patterns `bits` gives.
    static func littleEndianBytes<C: Collection, Bits: FixedWidthInteger>(
        of elements: C, bits: (C.Element) -> Bits
    ) -> Data {
        #if _endian(little)
        if let data = elements.withContiguousStorageIfAvailable({ Data(buffer: $0) }) { return data }
        #endif
        var data = Data(capacity: elements.count * MemoryLayout<Bits>.size)
        for element in elements {
            withUnsafeBytes(of: bits(element).littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }
}
