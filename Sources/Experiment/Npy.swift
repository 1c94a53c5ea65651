import Foundation

/// The NumPy `.npy` format: one array as a header (magic, version, length, a Python dict
/// literal, padding) followed by the raw elements.
///
/// Reads versions 1.0, 2.0 and 3.0; writes 1.0, or 2.0 when the header exceeds 65535 bytes.
/// Supports little-endian `float32`, `float64`, `int32` and `int64`, in C order or in Fortran order (put into C
/// order on reading, as numpy, TF and PyTorch accept them).
public enum Npy {
    /// The six bytes every `.npy` file starts with: `\x93NUMPY`.
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    /// Headers are padded so the data starts at a multiple of this.
    static let alignment = 64
    /// The longest header text read (numpy's own reader refuses headers over 10,000 bytes by default; a
    /// header of 64 dimensions of 19 digits each needs under 2,000).
    static let maxHeaderLength = 1 << 16
    /// The most dimensions an array may have (numpy's `NPY_MAXDIMS`).
    static let maxRank = 64

    /// Decodes a whole `.npy` file. `name` prefixes error messages (e.g. a file or entry name); an array of
    /// more than `maxBytes` bytes is refused before anything is allocated.
    public static func decode(_ data: Data, name: String = "array", maxBytes: Int = MemoryBudget.byteLimit) throws -> NumpyArray {
        var decoder = NpyDecoder(subject: name, totalLength: data.count, maxDataBytes: maxBytes)
        try decoder.consume(data)
        return try decoder.finish()
    }

    /// Encodes `array` as a `.npy` file (header and elements).
    public static func encode(_ array: NumpyArray) -> Data {
        var data = header(for: array)
        data.append(array.storage.littleEndianBytes(elements: 0..<array.count))
        return data
    }

    /// The header of `array`'s `.npy` file alone (magic, version, length, dict and padding), for
    /// writers that stream the elements after it.
    public static func header(for array: NumpyArray) -> Data {
        header(shape: array.shape, dtype: array.dtype)
    }

    /// The header of an array of `shape` and `dtype`, version 1.0 unless it needs 2.0.
    static func header(shape: [Int], dtype: NumpyDType) -> Data {
        let dict = "{'descr': '\(dtype.descr)', 'fortran_order': False, 'shape': \(NumpyArray.describe(shape)), }"
        var prefixLength = magic.count + 2 + 2
        var textLength = paddedLength(dict.utf8.count, prefix: prefixLength)
        let isVersion2 = textLength > Int(UInt16.max)
        if isVersion2 {
            prefixLength = magic.count + 2 + 4
            textLength = paddedLength(dict.utf8.count, prefix: prefixLength)
        }
        var data = Data(magic)
        data.append(contentsOf: isVersion2 ? [2, 0] : [1, 0])
        if isVersion2 {
            withUnsafeBytes(of: UInt32(textLength).littleEndian) { data.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt16(textLength).littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: dict.utf8)
        data.append(contentsOf: [UInt8](repeating: 0x20, count: textLength - dict.utf8.count - 1))
        data.append(0x0A)
        return data
    }

    /// The header text length (dict, spaces, newline) that makes prefix + text a multiple of 64.
    private static func paddedLength(_ dictLength: Int, prefix: Int) -> Int {
        let unpadded = prefix + dictLength + 1
        let total = (unpadded + alignment - 1) / alignment * alignment
        return total - prefix
    }
}

/// What an `.npy` header says about the array after it.
struct NpyHeader: Equatable {
    var dtype: NumpyDType
    var shape: [Int]
    /// The elements are stored column-major (first index fastest).
    var fortranOrder = false

    /// Interprets the header dict text, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    init(text: String, subject: String) throws {
        let value: PythonLiteral
        do {
            value = try PythonLiteralParser.parse(text)
        } catch let error as PythonLiteralParser.Failure {
            throw NumpyError(subject, "header is not a Python dict literal (\(error.message)): \(NpyHeader.excerpt(text))")
        }
        guard case .dict(let entries) = value else {
            throw NumpyError(subject, "header is not a dict: \(NpyHeader.excerpt(text))")
        }
        // Like numpy: exactly these keys, no more and no fewer.
        let keys = Set(entries.map(\.key))
        let extra = keys.subtracting(NpyHeader.keys).sorted()
        guard extra.isEmpty else {
            let listed = extra.prefix(3).map { "'\(SafeText.quote($0, limit: 40))'" }.joined(separator: ", ")
            throw NumpyError(subject, "header has unexpected key\(extra.count == 1 ? "" : "s") \(listed)"
                + "\(extra.count > 3 ? ", …" : ""); an .npy header has exactly 'descr', 'fortran_order' and 'shape'")
        }
        func lookup(_ key: String) throws -> PythonLiteral {
            // A repeated key keeps its last value, as in Python.
            guard let found = entries.last(where: { $0.key == key }) else {
                throw NumpyError(subject, "header has no '\(key)' key: \(NpyHeader.excerpt(text))")
            }
            return found.value
        }

        let descr = try lookup("descr")
        guard case .string(let typeString) = descr else {
            throw NumpyError(subject, "unsupported dtype \(descr) (structured or not a type string); "
                + "supported: \(NpyHeader.supportedList)")
        }
        guard let dtype = NumpyDType(descr: typeString) else {
            let why = typeString.hasPrefix(">") ? " (big-endian)" : ""
            throw NumpyError(subject, "unsupported dtype '\(typeString)'\(why); supported: \(NpyHeader.supportedList)")
        }

        switch try lookup("fortran_order") {
        case .bool(let fortran): fortranOrder = fortran
        case let other:
            throw NumpyError(subject, "'fortran_order' must be True or False, got \(other)")
        }

        let shapeValue = try lookup("shape")
        guard case .tuple(let items) = shapeValue else {
            throw NumpyError(subject, "'shape' must be a tuple of integers, got \(shapeValue)")
        }
        guard items.count <= Npy.maxRank else {
            throw NumpyError(subject, "'shape' has \(items.count) dimensions; at most \(Npy.maxRank) are allowed")
        }
        var shape: [Int] = []
        for item in items {
            guard case .int(let dim) = item else {
                throw NumpyError(subject, "'shape' must be a tuple of integers, got \(shapeValue)")
            }
            guard let exact = Int(exactly: dim) else {
                throw NumpyError(subject, "dimension \(dim) in 'shape' is too large")
            }
            shape.append(exact)
        }
        self.dtype = dtype
        self.shape = shape
    }

    /// The keys of an `.npy` header dict.
    private static let keys: Set<String> = ["descr", "fortran_order", "shape"]

    private static var supportedList: String {
        NumpyDType.allCases.map { "'\($0.descr)'" }.joined(separator: ", ")
    }

    private static func excerpt(_ text: String) -> String {
        SafeText.quote(text.trimmingCharacters(in: .whitespacesAndNewlines), limit: 120)
    }
}

/// Decodes one `.npy` file fed in chunks, writing the elements straight into their final array.
///
/// Every size the header declares is a claim: the array is allocated only once its size is known to fit in
/// `maxDataBytes` and in the bytes the file holds (`totalLength`), and it grows only as real bytes arrive.
struct NpyDecoder {
    /// Names the file or entry in errors.
    let subject: String
    /// The length of the whole `.npy` file in bytes, known (and checked against the bytes present) before decoding.
    let totalLength: Int
    /// The largest array (in bytes) this decoder may allocate.
    let maxDataBytes: Int
    /// Stop after the header: only `header` is wanted, no array is allocated.
    let headerOnly: Bool

    private var pending = Data()
    private var storage: NumpyArray.Storage?
    /// The parsed header, once all its bytes have arrived.
    private(set) var header: NpyHeader?
    private var shape: [Int] = []
    private var expectedDataBytes = 0
    private var receivedDataBytes = 0
    /// The start of an element split between two chunks.
    private var partialElement: [UInt8] = []

    init(subject: String, totalLength: Int, maxDataBytes: Int, headerOnly: Bool = false) {
        self.subject = subject
        self.totalLength = totalLength
        self.maxDataBytes = maxDataBytes
        self.headerOnly = headerOnly
    }

    /// Whether the decoder needs no more bytes (a header-only decoder that has its header).
    var isSatisfied: Bool { headerOnly && header != nil }

    /// Takes the next bytes of the file.
    mutating func consume(_ chunk: Data) throws {
        if header == nil {
            // At most one chunk more than the longest header is held: parsing either finishes or fails by then.
            pending.append(chunk)
            try parseOrFail()
        } else if !headerOnly {
            try appendData(chunk)
        }
    }

    private mutating func parseOrFail() throws {
        guard let headerEnd = try parseHeaderIfComplete() else { return }
        let rest = pending.subdata(in: pending.startIndex + headerEnd..<pending.endIndex)
        pending = Data()
        if !headerOnly { try appendData(rest) }
    }

    /// The decoded array, once every byte has been consumed.
    func finish() throws -> NumpyArray {
        guard header != nil, var storage = storage else {
            throw NumpyError(subject, pending.count < 8
                ? "file is truncated: \(pending.count) bytes, too short for an .npy header"
                : "file is truncated inside its header (\(pending.count) bytes)")
        }
        guard receivedDataBytes == expectedDataBytes, partialElement.isEmpty else {
            throw truncatedData(got: receivedDataBytes)
        }
        storage.fixByteOrderFromLittleEndian()
        if header?.fortranOrder == true { storage = storage.cOrder(fromFortranOrder: shape) }
        return try NumpyArray(shape: shape, storage: storage)
    }

    /// Parses the header once all its bytes are in `pending`; returns where the data starts.
    private mutating func parseHeaderIfComplete() throws -> Int? {
        let bytes = [UInt8](pending.prefix(12))
        let magicLength = Npy.magic.count
        let magicSeen = min(bytes.count, magicLength)
        guard bytes[0..<magicSeen].elementsEqual(Npy.magic[0..<magicSeen]) else {
            throw NumpyError(subject, "not an .npy file: bad magic \(hex(bytes.prefix(magicLength))), "
                + "expected \(hex(Npy.magic[...])) (\\x93NUMPY)")
        }
        guard bytes.count >= magicLength + 2 else { return nil }
        let (major, minor) = (bytes[magicLength], bytes[magicLength + 1])
        guard (1...3).contains(major), minor == 0 else {
            throw NumpyError(subject, "unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
        }
        let lengthFieldSize = major == 1 ? 2 : 4
        let prefixLength = magicLength + 2 + lengthFieldSize
        guard bytes.count >= prefixLength else { return nil }
        var headerLength = 0
        for (index, byte) in bytes[(magicLength + 2)..<prefixLength].enumerated() {
            headerLength |= Int(byte) << (8 * index)
        }
        guard headerLength <= Npy.maxHeaderLength else {
            throw NumpyError(subject, "header claims \(headerLength) bytes; at most \(Npy.maxHeaderLength) are allowed")
        }
        let headerEnd = prefixLength + headerLength
        guard headerEnd <= totalLength else {
            throw NumpyError(subject, "file is truncated: header says it is \(headerLength) bytes long, "
                + "but only \(totalLength - prefixLength) bytes follow")
        }
        guard pending.count >= headerEnd else { return nil }

        let headerBytes = pending.subdata(in: pending.startIndex + prefixLength..<pending.startIndex + headerEnd)
        let decodedText = major == 3
            ? String(data: headerBytes, encoding: .utf8)
            : String(data: headerBytes, encoding: .isoLatin1)
        guard let text = decodedText else {
            throw NumpyError(subject, "header is not valid \(major == 3 ? "UTF-8" : "Latin-1") text")
        }
        let header = try NpyHeader(text: text, subject: subject)
        let count = try NumpyArray.elementCount(of: header.shape, subject: subject)
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: header.dtype.byteWidth)
        guard !overflow else {
            throw NumpyError(subject, "shape \(NumpyArray.describe(header.shape)) of \(header.dtype.rawValue) "
                + "has more bytes than Int can count")
        }
        shape = header.shape
        expectedDataBytes = byteCount
        let available = totalLength - headerEnd
        guard available >= byteCount else { throw truncatedData(got: available) }
        guard available == byteCount else {
            throw NumpyError(subject, "\(available - byteCount) unexpected bytes after the data of shape "
                + "\(NumpyArray.describe(shape)) \(header.dtype.rawValue) (\(byteCount) bytes)")
        }
        // A Fortran-order array is put into C order through a second array of its size.
        let needed = header.fortranOrder && shape.count > 1 ? 2 * byteCount : byteCount
        guard byteCount <= maxDataBytes / (needed == byteCount ? 1 : 2) else {
            throw NumpyError(subject, "shape \(NumpyArray.describe(shape)) \(header.dtype.rawValue)\(needed == byteCount ? "" : " in Fortran order") needs "
                + "\(formatBytes(Double(needed))), more than the \(formatBytes(Double(maxDataBytes))) this process may use")
        }
        self.header = header
        if !headerOnly { storage = NumpyArray.Storage(reserving: header.dtype, count: count) }
        return headerEnd
    }

    private mutating func appendData(_ chunk: Data) throws {
        guard !chunk.isEmpty, var stored = storage else { return }
        guard chunk.count <= expectedDataBytes - receivedDataBytes else {
            throw NumpyError(subject, "more data than the shape \(NumpyArray.describe(shape)) needs "
                + "(\(expectedDataBytes) bytes)")
        }
        receivedDataBytes += chunk.count
        storage = nil  // Appending to the array while `storage` also holds it would copy it.
        let width = stored.dtype.byteWidth
        var bytes = chunk[...]
        if !partialElement.isEmpty {
            let needed = width - partialElement.count
            partialElement.append(contentsOf: bytes.prefix(needed))
            bytes = bytes.dropFirst(needed)
            if partialElement.count == width {
                partialElement.withUnsafeBytes { stored.appendElements($0) }
                partialElement = []
            }
        }
        let whole = bytes.count / width * width
        bytes.prefix(whole).withUnsafeBytes { stored.appendElements($0) }
        partialElement.append(contentsOf: bytes.dropFirst(whole))
        storage = stored
    }

    private func truncatedData(got: Int) -> NumpyError {
        let dtype = header?.dtype.rawValue ?? ""
        return NumpyError(subject, "data is truncated: shape \(NumpyArray.describe(shape)) \(dtype) "
            + "needs \(expectedDataBytes) bytes, got \(got)")
    }

    private func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

/// A value of the Python literal subset `.npy` headers use.
indirect enum PythonLiteral: CustomStringConvertible {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(key: String, value: PythonLiteral)])

    /// The value as Python would print it.
    var description: String {
        switch self {
        case .string(let s): return "'\(s)'"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .none: return "None"
        case .tuple(let items):
            return items.count == 1 ? "(\(items[0]),)" : "(" + items.map(\.description).joined(separator: ", ") + ")"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .dict(let entries):
            return "{" + entries.map { "'\($0.key)': \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A recursive-descent parser for the Python literals in `.npy` headers: dicts with string keys,
/// strings, integers, `True`/`False`/`None`, tuples and lists, with trailing commas and any spacing.
struct PythonLiteralParser {
    struct Failure: Error { var message: String }

    /// How deeply containers may nest (an `.npy` header needs 2: the dict and its shape tuple). The parser
    /// recurses once per level, so this also bounds its stack.
    static let maxDepth = 16
    /// The most digits an integer may have (Int64 has 19).
    static let maxDigits = 24

    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var depth = 0

    static func parse(_ text: String) throws -> PythonLiteral {
        var parser = PythonLiteralParser(scalars: Array(text.unicodeScalars))
        let value = try parser.parseValue()
        parser.skipSpace()
        guard parser.position == parser.scalars.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    private init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    private var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private func failure(_ message: String) -> Failure {
        Failure(message: "\(message) at character \(position)")
    }

    private mutating func skipSpace() {
        while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" { position += 1 }
    }

    private mutating func parseValue() throws -> PythonLiteral {
        skipSpace()
        guard let c = current else { throw failure("unexpected end") }
        if c == "{" || c == "(" || c == "[" {
            guard depth < PythonLiteralParser.maxDepth else {
                throw failure("values nested more than \(PythonLiteralParser.maxDepth) levels deep")
            }
            depth += 1
        }
        defer { if c == "{" || c == "(" || c == "[" { depth -= 1 } }
        switch c {
        case "{": return try parseDict()
        case "(": return try parseSequence(closing: ")", makeTuple: true)
        case "[": return try parseSequence(closing: "]", makeTuple: false)
        case "'", "\"": return .string(try parseString())
        case "-", "+", "0"..."9": return .int(try parseInt())
        default:
            for (word, value) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)]
            where matches(word) {
                position += word.unicodeScalars.count
                return value
            }
            throw failure("unexpected character '\(SafeText.quote(String(c), limit: 12))'")
        }
    }

    private func matches(_ word: String) -> Bool {
        let wordScalars = Array(word.unicodeScalars)
        guard position + wordScalars.count <= scalars.count,
              Array(scalars[position..<position + wordScalars.count]) == wordScalars else { return false }
        let next = position + wordScalars.count
        return next == scalars.count || !(scalars[next].properties.isAlphabetic || scalars[next] == "_")
    }

    private mutating func parseDict() throws -> PythonLiteral {
        position += 1
        var entries: [(key: String, value: PythonLiteral)] = []
        while true {
            skipSpace()
            if current == "}" { position += 1; return .dict(entries) }
            guard current == "'" || current == "\"" else { throw failure("expected a string key or '}'") }
            let key = try parseString()
            skipSpace()
            guard current == ":" else { throw failure("expected ':' after key '\(SafeText.quote(key, limit: 40))'") }
            position += 1
            entries.append((key, try parseValue()))
            skipSpace()
            if current == "," { position += 1 } else if current != "}" { throw failure("expected ',' or '}'") }
        }
    }

    private mutating func parseSequence(closing: Unicode.Scalar, makeTuple: Bool) throws -> PythonLiteral {
        position += 1
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipSpace()
            if current == closing {
                position += 1
                // `(5)` is just 5 in Python; only `(5,)` is a one-element tuple.
                if makeTuple, items.count == 1, !sawComma { return items[0] }
                return makeTuple ? .tuple(items) : .list(items)
            }
            items.append(try parseValue())
            skipSpace()
            if current == "," {
                position += 1
                sawComma = true
            } else if current != closing {
                throw failure("expected ',' or '\(closing)'")
            }
        }
    }

    private mutating func parseString() throws -> String {
        guard let quote = current else { throw failure("expected a string") }
        position += 1
        var result = String.UnicodeScalarView()
        while let c = current {
            position += 1
            if c == quote { return String(result) }
            if c == "\\" {
                guard let escaped = current else { break }
                position += 1
                result.append(escaped)
            } else {
                result.append(c)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func parseInt() throws -> Int64 {
        let start = position
        if current == "-" || current == "+" { position += 1 }
        var digits = ""
        while let c = current, ("0"..."9").contains(c) {
            guard digits.unicodeScalars.count < PythonLiteralParser.maxDigits else {
                throw failure("integer with more than \(PythonLiteralParser.maxDigits) digits")
            }
            digits.unicodeScalars.append(c)
            position += 1
        }
        if current == "L" || current == "l" { position += 1 }  // Python 2 long suffix.
        guard !digits.isEmpty else { throw failure("expected digits") }
        let negative = scalars[start] == "-"
        guard let value = Int64(negative ? "-" + digits : digits) else {
            throw failure("integer \(negative ? "-" : "")\(digits) is too large")
        }
        return value
    }
}
