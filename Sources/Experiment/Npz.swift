import Foundation
import ZIPFoundation  // Writing only; reading untrusted archives goes through `ZipReader` (see there why).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One array to write into an `.npz`: its shape and dtype up front, its elements produced in
/// chunks while the archive is written, so a large array is never held twice in memory.
public struct NpzEntrySource {
    /// The extent of each dimension.
    public let shape: [Int]
    /// The element type.
    public let dtype: NumpyDType
    /// The number of elements (the product of `shape`).
    public let count: Int
    /// The little-endian bytes of a range of elements.
    let elementBytes: (Range<Int>) throws -> Data

    /// A source whose elements `elementBytes` produces on demand. It is called with consecutive
    /// ranges of element indices within `0..<count` and must return exactly those elements'
    /// little-endian bytes (`range.count * dtype.byteWidth` of them).
    public init(shape: [Int], dtype: NumpyDType, elementBytes: @escaping (Range<Int>) throws -> Data) throws {
        self.count = try NumpyArray.elementCount(of: shape, subject: "array")
        self.shape = shape
        self.dtype = dtype
        self.elementBytes = elementBytes
    }

    /// An array already in memory; its elements are converted to bytes a chunk at a time.
    public init(_ array: NumpyArray) {
        shape = array.shape
        dtype = array.dtype
        count = array.count
        let storage = array.storage
        elementBytes = { storage.littleEndianBytes(elements: $0) }
    }
}

/// NumPy `.npz` archives: zip files holding one `.npy` entry per array, as `np.savez` and
/// `np.savez_compressed` write them.
public enum Npz {
    /// Reads every array; keys are the entry names without the ".npy" suffix (np.savez stores key
    /// "a/b" as "a/b.npy"). Refused before anything is allocated when the arrays together exceed `maxBytes`.
    public static func read(_ url: URL, maxBytes: Int = MemoryBudget.byteLimit) throws -> [String: NumpyArray] {
        let archive = try NpzArchive(url)
        return try archive.arrays(archive.keys, maxBytes: maxBytes)
    }

    /// Reads the array stored under `key` (no other entry is decoded).
    public static func read(_ url: URL, key: String, maxBytes: Int = MemoryBudget.byteLimit) throws -> NumpyArray {
        try NpzArchive(url).array(key, maxBytes: maxBytes)
    }

    /// Lists the keys in archive order.
    public static func keys(_ url: URL) throws -> [String] {
        try NpzArchive(url).keys
    }

    /// Writes arrays (in the given order) as an uncompressed (stored) archive like np.savez, or
    /// deflated like np.savez_compressed when `compressed` is true. Each array's bytes are
    /// streamed in chunks (no second full copy of a big array in memory). Writes to a temporary
    /// file in the same directory then renames, so a failed write never leaves a half file at `url`.
    public static func write(_ arrays: [(String, NumpyArray)], to url: URL, compressed: Bool = false) throws {
        try write(arrays.map { ($0.0, NpzEntrySource($0.1)) }, to: url, compressed: compressed)
    }

    /// Writes arrays whose elements are produced while writing (see `NpzEntrySource`), otherwise
    /// exactly like the `NumpyArray` overload.
    public static func write(_ sources: [(String, NpzEntrySource)], to url: URL, compressed: Bool = false) throws {
        var seen = Set<String>()
        for (key, _) in sources {
            guard !key.isEmpty else { throw NumpyError(url.path, "an array key is empty") }
            guard seen.insert(key).inserted else { throw NumpyError(url.path, "array key '\(key)' appears twice") }
        }
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        let registered = TemporaryFiles.register(temporary.path)
        defer { TemporaryFiles.unregister(registered) }
        do {
            try writeArchive(sources, to: temporary, finalURL: url, compressed: compressed)
            guard rename(temporary.path, url.path) == 0 else {
                throw NumpyError(url.path, "cannot move the written archive into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    // MARK: - Writing

    /// Chunk size for streaming entries into the archive.
    private static let chunkSize = 1 << 18

    private static func writeArchive(_ sources: [(String, NpzEntrySource)], to temporary: URL, finalURL: URL,
                                     compressed: Bool) throws {
        let archive: Archive
        do {
            archive = try Archive(url: temporary, accessMode: .create)
        } catch {
            throw NumpyError(finalURL.path, "cannot create the archive in \(temporary.deletingLastPathComponent().path): \(error)")
        }
        for (key, source) in sources {
            let entryName = key + ".npy"
            let subject = "\(finalURL.path), entry '\(entryName)'"
            let header = Npy.header(shape: source.shape, dtype: source.dtype)
            let (dataBytes, overflow) = source.count.multipliedReportingOverflow(by: source.dtype.byteWidth)
            guard !overflow, let size = Int64(exactly: header.count + dataBytes) else {
                throw NumpyError(subject, "array of shape \(NumpyArray.describe(source.shape)) is too large")
            }
            let provider = EntryByteProvider(header: header, source: source, subject: subject)
            do {
                try archive.addEntry(with: entryName, type: .file, uncompressedSize: size,
                                     compressionMethod: compressed ? .deflate : .none,
                                     bufferSize: chunkSize) { position, length in
                    try provider.bytes(at: Int(position), length: length)
                }
            } catch let error as NumpyError {
                throw error
            } catch {
                throw NumpyError(subject, "cannot write the entry: \(error)")
            }
        }
    }

    /// The bytes of one `.npy` entry (header, then elements) by position, as the zip writer asks for them.
    private struct EntryByteProvider {
        let header: Data
        let source: NpzEntrySource
        let subject: String

        func bytes(at position: Int, length: Int) throws -> Data {
            let end = position + length
            var result = Data(capacity: length)
            var cursor = position
            if cursor < header.count {
                let headerEnd = min(end, header.count)
                result.append(header.subdata(in: cursor..<headerEnd))
                cursor = headerEnd
            }
            guard cursor < end else { return result }
            let width = source.dtype.byteWidth
            let (dataStart, dataEnd) = (cursor - header.count, end - header.count)
            let elements = (dataStart / width)..<((dataEnd + width - 1) / width)
            let chunk = try source.elementBytes(elements)
            guard chunk.count == elements.count * width else {
                throw NumpyError(subject, "the source gave \(chunk.count) bytes for elements "
                    + "\(elements.lowerBound)..<\(elements.upperBound), expected \(elements.count * width)")
            }
            let skip = dataStart - elements.lowerBound * width
            let start = chunk.startIndex + skip
            result.append(chunk.subdata(in: start..<start + (dataEnd - dataStart)))
            return result
        }
    }
}
