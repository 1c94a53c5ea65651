import Foundation
import RNNEngine

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header (each tensor's `dtype`, `shape` and
/// `data_offsets` from the end of the header; an optional `__metadata__` of strings), then the tensors' bytes.
/// Every claim is checked before anything is allocated: the header length against the file and `maxHeaderBytes`,
/// each tensor's offsets against the data's bytes and its shape times its dtype's width against its offsets.
/// F32 and F64 are read; the other dtypes of the format are listed and refused by name when asked for.
public final class SafetensorsArchive: ArrayArchive {
    /// The format's own limit on the header (safetensors refuses larger headers too).
    public static let maxHeaderBytes = 100_000_000
    /// The dtypes of the format, with their widths in bytes.
    static let widths: [String: Int] = ["BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
                                        "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8]

    struct Tensor {
        let dtype: String
        let shape: [Int]
        /// Bytes from the start of the file.
        let range: Range<Int>
    }

    public let url: URL
    public let keys: [String]
    private let file: RegularFile
    private let tensors: [String: Tensor]

    public init(_ url: URL) throws {
        self.url = url
        let subject = url.path
        func fail(_ text: String) -> NumpyError { NumpyError(subject, text) }
        do {
            file = try RegularFile(path: url.path)
        } catch let p as RegularFile.Problem {
            throw fail(p.description)
        }
        let size = file.size
        guard size >= 8 else { throw fail("the file is \(size) bytes; a .safetensors file starts with an 8-byte header length") }
        let lengthBytes = try SafetensorsArchive.read(file, 0, 8, subject: subject)
        let length = lengthBytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(size - 8) else {
            throw fail("the header length \(length) exceeds the file size (\(size) bytes; \(size - 8) after the length)")
        }
        guard length <= UInt64(SafetensorsArchive.maxHeaderBytes) else {
            throw fail("the header length \(length) is more than the format's limit of \(SafetensorsArchive.maxHeaderBytes) bytes")
        }
        let headerBytes = try SafetensorsArchive.read(file, 8, Int(length), subject: subject)
        let json: JSONValue
        do {
            json = try JSONValue.parse(headerBytes)
        } catch let e as JSONParseError {
            throw fail("the header is \(e.message)")
        }
        guard case let .object(fields, order) = json else { throw fail("the header is \(json.kindName), not a JSON object") }
        let dataStart = 8 + Int(length), dataBytes = size - dataStart
        var keys: [String] = []
        var tensors: [String: Tensor] = [:]
        for key in order where key != "__metadata__" {
            let name = SafeText.quote(key, limit: 80)
            func bad(_ text: String) -> NumpyError { fail("tensor '\(name)': \(text)") }
            guard case let .object(t, _)? = fields[key] else { throw bad("is \(fields[key]?.kindName ?? "absent"), not an object") }
            guard case let .string(dtype)? = t["dtype"] else { throw bad("has no dtype string") }
            guard let width = SafetensorsArchive.widths[dtype] else {
                throw bad("dtype '\(SafeText.quote(dtype, limit: 20))' is not a safetensors dtype (\(SafetensorsArchive.widths.keys.sorted().joined(separator: ", ")))")
            }
            guard case let .array(dims)? = t["shape"], dims.count <= 32 else { throw bad("has no shape (a list of at most 32 sizes)") }
            let shape = try dims.map { (d: JSONValue) -> Int in
                guard case let .int(n) = d, n >= 0 else { throw bad("shape holds \(d.kindName == "an integer" ? "a negative size" : d.kindName)") }
                return n
            }
            guard case let .array(offsets)? = t["data_offsets"], offsets.count == 2,
                  case let .int(begin) = offsets[0], case let .int(end) = offsets[1] else {
                throw bad("has no data_offsets [begin, end] of integers")
            }
            guard begin >= 0, begin <= end, end <= dataBytes else {
                throw bad("data_offsets [\(begin), \(end)] lie outside the \(dataBytes) data bytes after the header")
            }
            guard let count = TensorBytes.elementCount(shape) else { throw bad("shape \(formatShape(shape)) has too many elements") }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, bytes == end - begin else {
                throw bad("shape \(formatShape(shape)) of \(dtype) needs \(overflow ? "more than can be addressed" : "\(bytes) bytes"), its data_offsets hold \(end - begin)")
            }
            keys.append(key)
            tensors[key] = Tensor(dtype: dtype, shape: shape, range: (dataStart + begin)..<(dataStart + end))
        }
        self.keys = keys
        self.tensors = tensors
    }

    private static func read(_ file: RegularFile, _ offset: Int, _ count: Int, subject: String) throws -> Data {
        let data: Data
        do { data = try file.read(at: offset, count: count) } catch let p as RegularFile.Problem { throw NumpyError(subject, p.description) }
        guard data.count == count else { throw NumpyError(subject, "the file ends at \(data.count + offset) bytes, inside \(offset)..<\(offset + count) (truncated)") }
        return data
    }

    private func located(_ key: String) throws -> (tensor: Tensor, dtype: NumpyDType) {
        guard let t = tensors[key] else {
            throw NumpyError(url.path, "no tensor '\(SafeText.quote(key, limit: 80))' (\(ClosestNames.found(keys, closestTo: key)))")
        }
        guard let dtype: NumpyDType = t.dtype == "F32" ? .float32 : t.dtype == "F64" ? .float64 : nil else {
            throw NumpyError("\(url.path), tensor '\(SafeText.quote(key, limit: 80))'", "dtype \(t.dtype); only F32 and F64 tensors are read")
        }
        return (t, dtype)
    }

    public func info(_ key: String) throws -> NpzArchive.ArrayInfo {
        let (t, dtype) = try located(key)
        return NpzArchive.ArrayInfo(dtype: dtype, shape: t.shape, byteCount: t.range.count)
    }

    public func array(_ key: String, maxBytes: Int) throws -> NumpyArray {
        let (t, dtype) = try located(key)
        let subject = "\(url.path), tensor '\(SafeText.quote(key, limit: 80))'"
        guard t.range.count <= maxBytes else {
            throw NumpyError(subject, "needs \(formatBytes(Double(t.range.count))), more than the \(formatBytes(Double(maxBytes))) this process may use")
        }
        return try TensorBytes.array(try SafetensorsArchive.read(file, t.range.lowerBound, t.range.count, subject: subject), dtype: dtype, shape: t.shape)
    }

    public func arrays(_ keys: [String], maxBytes: Int) throws -> [String: NumpyArray] {
        try TensorBytes.arrays(of: self, keys, maxBytes: maxBytes)
    }

    /// A `.safetensors` file of float32 or float64 arrays, as `safetensors.torch.save_file` writes it: keys sorted,
    /// the header padded with spaces to a multiple of 8, the data in key order.
    public static func encode(_ arrays: [(name: String, array: NumpyArray)]) throws -> Data {
        var header: [String: Any] = [:]
        var data = Data()
        for (name, array) in arrays.sorted(by: { $0.name < $1.name }) {
            let dtype: String
            switch array.storage {
            case .float32: dtype = "F32"
            case .float64: dtype = "F64"
            default: throw NumpyError(name, "dtype \(array.dtype.rawValue); a state_dict of weights is float32 or float64")
            }
            let begin = data.count
            data.append(array.storage.littleEndianBytes(elements: 0..<array.count))
            header[name] = ["dtype": dtype, "shape": array.shape, "data_offsets": [begin, data.count]] as [String: Any]
        }
        var text = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        while text.count % 8 != 0 { text.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(text.count).littleEndian) { out.append(contentsOf: $0) }
        return out + text + data
    }
}
