import Foundation
import ZIPFoundation
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
    /// "a/b" as "a/b.npy").
    public static func read(_ url: URL) throws -> [String: NumpyArray] {
        let archive = try openForReading(url)
        var arrays: [String: NumpyArray] = [:]
        for (key, entry) in try npyEntries(of: archive, url: url) {
            arrays[key] = try readEntry(entry, of: archive, url: url)
        }
        return arrays
    }

    /// Reads the array stored under `key`.
    public static func read(_ url: URL, key: String) throws -> NumpyArray {
        let archive = try openForReading(url)
        guard let (_, entry) = try npyEntries(of: archive, url: url).first(where: { $0.key == key }) else {
            throw NumpyError(url.path, "no array '\(key)' (no entry '\(key).npy')")
        }
        return try readEntry(entry, of: archive, url: url)
    }

    /// Lists the keys in archive order.
    public static func keys(_ url: URL) throws -> [String] {
        try npyEntries(of: openForReading(url), url: url).map(\.key)
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

    // MARK: - Reading

    private static func openForReading(_ url: URL) throws -> Archive {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw NumpyError(url.path, "no such file")
        }
        guard !isDirectory.boolValue else { throw NumpyError(url.path, "is a directory, not an .npz file") }
        do {
            return try Archive(url: url, accessMode: .read)
        } catch {
            throw NumpyError(url.path, "not a readable zip archive (\(describe(error))); an .npz file is a zip of .npy files")
        }
    }

    /// The archive's file entries with their keys, in archive order; every one must be a `.npy`.
    private static func npyEntries(of archive: Archive, url: URL) throws -> [(key: String, entry: Entry)] {
        var entries: [(key: String, entry: Entry)] = []
        var seen = Set<String>()
        for entry in archive where entry.type != .directory {
            let path = entry.path
            guard entry.type == .file, path.hasSuffix(".npy") else {
                throw NumpyError(url.path, "entry '\(path)' is not an .npy file (every entry of an .npz must end in .npy)")
            }
            let key = String(path.dropLast(".npy".count))
            guard seen.insert(key).inserted else { throw NumpyError(url.path, "entry '\(path)' appears twice") }
            entries.append((key, entry))
        }
        return entries
    }

    private static func readEntry(_ entry: Entry, of archive: Archive, url: URL) throws -> NumpyArray {
        let subject = "\(url.path), entry '\(entry.path)'"
        guard let length = Int(exactly: entry.uncompressedSize) else {
            throw NumpyError(subject, "entry size \(entry.uncompressedSize) is too large")
        }
        var decoder = NpyDecoder(subject: subject, totalLength: length)
        var received = 0
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry, bufferSize: chunkSize) { chunk in
                received += chunk.count
                guard received <= length else {
                    throw NumpyError(subject, "entry holds more than its declared \(length) bytes (corrupt archive)")
                }
                try decoder.consume(chunk)
            }
        } catch let error as NumpyError {
            throw error
        } catch {
            throw NumpyError(subject, "cannot extract the entry (\(describe(error))); the archive is corrupt")
        }
        guard received == length else {
            throw NumpyError(subject, "entry is truncated: declared \(length) bytes, extracted \(received) (corrupt archive)")
        }
        // `extract(_:consumer:)` computes the CRC-32 but leaves comparing it to the caller.
        guard checksum == entry.checksum else {
            throw NumpyError(subject, "checksum mismatch: the archive says \(hex(entry.checksum)), "
                + "the extracted bytes give \(hex(checksum)) (corrupt archive)")
        }
        return try decoder.finish()
    }

    private static func hex(_ checksum: CRC32) -> String { String(format: "%08x", checksum) }

    private static func describe(_ error: Error) -> String {
        if let archiveError = error as? Archive.ArchiveError {
            switch archiveError {
            case .invalidCRC32: return "checksum mismatch"
            case .missingEndOfCentralDirectoryRecord: return "no end-of-central-directory record"
            case .unreadableArchive: return "unreadable or damaged"
            default: return "\(archiveError)"
            }
        }
        return "\(error)"
    }
}
