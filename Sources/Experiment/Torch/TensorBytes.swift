import Foundation

/// What a PyTorch `.pt` and a `.safetensors` file share: tensors of a named element type, their bytes little-endian
/// and contiguous, of which float32 and float64 are read as arrays (the others are refused by name when asked for).
enum TensorBytes {
    /// The element type of a float tensor the engine reads, or nil for another.
    static func numpyDType(floatWidth width: Int) -> NumpyDType? {
        width == 4 ? .float32 : width == 8 ? .float64 : nil
    }

    /// The number of elements of `shape` (every dimension at least 0), or a message when a dimension is negative
    /// or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0 else { return nil }
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { return nil }
            count = p
        }
        return count
    }

    /// Little-endian float32 or float64 elements from `bytes` (whose count is a multiple of the width) as an array of `shape`.
    static func array(_ bytes: Data, dtype: NumpyDType, shape: [Int]) throws -> NumpyArray {
        switch dtype {
        case .float32:
            var values = [Float](repeating: 0, count: bytes.count / 4)
            values.withUnsafeMutableBytes { out in bytes.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<out.count])) } }
            return try NumpyArray(shape: shape, storage: .float32(values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }))
        case .float64:
            var values = [Double](repeating: 0, count: bytes.count / 8)
            values.withUnsafeMutableBytes { out in bytes.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<out.count])) } }
            return try NumpyArray(shape: shape, storage: .float64(values.map { Double(bitPattern: UInt64(littleEndian: $0.bitPattern)) }))
        default:
            throw NumpyError("array", "dtype \(dtype.rawValue) is not read from a tensor file")
        }
    }
}
