import Foundation

/// An `.npz` archive opened for reading. Its keys are listed at once; an array is decoded only when asked
/// for, and only after its size (read from its `.npy` header alone) has been checked against the caller's
/// allowance and the bytes the archive holds.
public final class NpzArchive {
    /// The element type and shape an entry's `.npy` header declares.
    public struct ArrayInfo: Equatable {
        public let dtype: NumpyDType
        public let shape: [Int]
        /// The bytes of the elements.
        public let byteCount: Int
    }

    public let url: URL
    /// The array keys in archive order (entry names without ".npy").
    public let keys: [String]
    private let zip: ZipReader
    private let entries: [String: ZipReader.Entry]

    /// Opens the archive at `url`. Only regular files are opened; every entry must be an `.npy` file.
    public init(_ url: URL) throws {
        self.url = url
        let subject = url.path
        do {
            zip = try ZipReader(path: url.path)
        } catch let problem as ZipReader.Problem {
            let known = problem.description.hasPrefix("no such file") || problem.description.hasPrefix("is a ")
                || problem.description.hasPrefix("permission denied")
            throw NumpyError(subject, known ? problem.description
                : "not a readable zip archive (\(problem.description)); an .npz file is a zip of .npy files")
        }
        var keys: [String] = []
        var entries: [String: ZipReader.Entry] = [:]
        for entry in zip.entries where !entry.isDirectory {
            let name = SafeText.quote(entry.name, limit: 80)
            guard entry.name.hasSuffix(".npy") else {
                throw NumpyError(subject, "entry '\(name)' is not an .npy file (every entry of an .npz must end in .npy)")
            }
            let key = String(entry.name.dropLast(".npy".count))
            guard entries[key] == nil else { throw NumpyError(subject, "entry '\(name)' appears twice") }
            entries[key] = entry
            keys.append(key)
        }
        self.keys = keys
        self.entries = entries
    }

    /// What the `.npy` header of `key` declares; only the header's bytes are read (or inflated).
    public func info(_ key: String) throws -> ArrayInfo {
        var decoder = try decoder(for: key, maxBytes: .max, headerOnly: true)
        try extract(key, into: &decoder)
        guard let header = decoder.header else { _ = try decoder.finish(); throw NumpyError(url.path, "no header") }
        let count = try NumpyArray.elementCount(of: header.shape, subject: subject(key))
        return ArrayInfo(dtype: header.dtype, shape: header.shape, byteCount: count * header.dtype.byteWidth)
    }

    /// Decodes the array under `key`; refused before allocating when it needs more than `maxBytes`.
    public func array(_ key: String, maxBytes: Int = MemoryBudget.byteLimit) throws -> NumpyArray {
        var decoder = try decoder(for: key, maxBytes: maxBytes, headerOnly: false)
        try extract(key, into: &decoder)
        return try decoder.finish()
    }

    /// Decodes the arrays under `keys` after checking that together they fit in `maxBytes`.
    public func arrays(_ keys: [String], maxBytes: Int = MemoryBudget.byteLimit) throws -> [String: NumpyArray] {
        var total = 0
        for key in keys {
            total += try info(key).byteCount
            guard total <= maxBytes else {
                throw NumpyError(url.path, "its arrays need more than \(formatBytes(Double(total))) (at '\(SafeText.quote(key, limit: 60))'), "
                    + "more than the \(formatBytes(Double(maxBytes))) this process may use")
            }
        }
        var result: [String: NumpyArray] = [:]
        for key in keys { result[key] = try array(key, maxBytes: maxBytes) }
        return result
    }

    private func subject(_ key: String) -> String {
        "\(url.path), entry '\(SafeText.quote(key + ".npy", limit: 80))'"
    }

    private func decoder(for key: String, maxBytes: Int, headerOnly: Bool) throws -> NpyDecoder {
        guard let entry = entries[key] else {
            throw NumpyError(url.path, "no array '\(SafeText.quote(key, limit: 80))' (no entry '\(SafeText.quote(key, limit: 80)).npy')")
        }
        guard let length = Int(exactly: entry.uncompressedSize) else {
            throw NumpyError(subject(key), "entry size \(entry.uncompressedSize) is too large")
        }
        return NpyDecoder(subject: subject(key), totalLength: length, maxDataBytes: maxBytes, headerOnly: headerOnly)
    }

    private func extract(_ key: String, into decoder: inout NpyDecoder) throws {
        guard let entry = entries[key] else { return }
        do {
            try zip.extract(entry) { chunk in
                try decoder.consume(chunk)
                return !decoder.isSatisfied
            }
        } catch let problem as ZipReader.Problem {
            throw NumpyError(subject(key), problem.description)
        }
    }
}
