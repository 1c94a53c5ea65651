import CZipInflate
import Foundation

/// A zip archive read with every size it declares checked against the bytes present before anything is
/// allocated, and every entry inflated in bounded pieces that stop the moment it passes its declared size.
///
/// ZIPFoundation (used for writing) is not used for reading untrusted archives: on Linux its inflate loop never
/// ends when a deflate stream is cut short, it reads past an entry's compressed size, and it does not expose
/// where an entry's data starts, so the sizes an archive claims cannot be checked against the file.
final class ZipReader {
    /// One file or directory in the central directory.
    struct Entry {
        let name: String
        let method: UInt16
        let flags: UInt16
        let crc32: UInt32
        let compressedSize: UInt64
        let uncompressedSize: UInt64
        let localHeaderOffset: UInt64
        var isDirectory: Bool { name.hasSuffix("/") }
    }

    /// Why an archive or entry cannot be read; `entry` is nil for the archive as a whole.
    struct Problem: Error {
        let entry: String?
        let description: String
    }

    /// The largest central directory read (an .npz has a few dozen entries).
    static let maxDirectoryBytes = 16 << 20
    /// The most entries read (np.savez writes one per array; an experiment's archives hold dozens).
    static let maxEntries = 10_000
    /// Deflate cannot expand data by more than about 1032:1; an entry claiming more is lying.
    static let maxInflateRatio: UInt64 = 1032
    /// Bytes read or inflated per step.
    static let chunkSize = 1 << 18

    let file: RegularFile
    let entries: [Entry]
    /// Where entry data may lie: before the central directory.
    private let dataEnd: UInt64

    /// Opens the archive at `path` and reads its central directory.
    init(path: String) throws {
        do {
            file = try RegularFile(path: path)
        } catch let problem as RegularFile.Problem {
            throw Problem(entry: nil, description: problem.description)
        }
        let (directoryOffset, directorySize) = try ZipReader.locateDirectory(in: file)
        dataEnd = directoryOffset
        let bytes = try ZipReader.read(file, at: directoryOffset, count: Int(directorySize))
        entries = try ZipReader.parseDirectory(bytes)
    }

    /// Streams `entry`'s uncompressed bytes to `consumer` in pieces, until the end or until it returns false.
    /// Throws when the entry's sizes contradict each other or the file, when it inflates past its declared
    /// size, when its data is cut short or corrupt, or when its CRC-32 does not match (checked after a full read).
    func extract(_ entry: Entry, consumer: (Data) throws -> Bool) throws {
        func fail(_ text: String) -> Problem { Problem(entry: entry.name, description: text) }
        guard entry.flags & 1 == 0 else { throw fail("the entry is encrypted") }
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw fail("a stored entry claims \(entry.uncompressedSize) bytes but holds \(entry.compressedSize) (corrupt archive)")
            }
        case 8:
            let (bound, overflow) = entry.compressedSize.multipliedReportingOverflow(by: ZipReader.maxInflateRatio)
            guard overflow || entry.uncompressedSize <= bound + 1024 else {
                throw fail("claims \(entry.compressedSize) deflated bytes inflate to \(entry.uncompressedSize); "
                    + "deflate cannot expand more than \(ZipReader.maxInflateRatio):1 (corrupt or hostile archive)")
            }
        default:
            throw fail("compression method \(entry.method) is not supported (np.savez stores or deflates entries)")
        }
        // The local header: its name and extra field lengths say where the data starts.
        guard entry.localHeaderOffset <= dataEnd, dataEnd - entry.localHeaderOffset >= 30 else {
            throw fail("its local header at offset \(entry.localHeaderOffset) lies outside the file's data (corrupt archive)")
        }
        let local = try ZipReader.read(file, at: entry.localHeaderOffset, count: 30)
        var header = ByteReader(local)
        guard header.u32() == 0x0403_4b50 else { throw fail("bad local header signature (corrupt archive)") }
        header.skip(22)
        let dataStart = entry.localHeaderOffset + 30 + UInt64(header.u16()) + UInt64(header.u16())
        guard dataStart <= dataEnd, entry.compressedSize <= dataEnd - dataStart else {
            throw fail("claims \(entry.compressedSize) bytes of data, but only \(dataEnd - min(dataStart, dataEnd)) "
                + "lie before the central directory (corrupt or truncated archive)")
        }
        guard let expected = Int(exactly: entry.uncompressedSize), let stored = Int(exactly: entry.compressedSize) else {
            throw fail("entry size \(entry.uncompressedSize) is too large")
        }

        var crc: UInt32 = 0
        var produced = 0
        func deliver(_ piece: Data) throws -> Bool {
            produced += piece.count
            guard produced <= expected else {
                throw fail("inflates past its declared \(expected) bytes (corrupt or hostile archive)")
            }
            piece.withUnsafeBytes { crc = zi_crc32(crc, $0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
            return try consumer(piece)
        }

        var offset = Int(dataStart)
        var remaining = stored
        if entry.method == 0 {
            while remaining > 0 {
                let piece = try ZipReader.read(file, at: UInt64(offset), count: min(remaining, ZipReader.chunkSize))
                offset += piece.count
                remaining -= piece.count
                guard try deliver(piece) else { return }
            }
        } else {
            guard let stream = zi_open() else { throw fail("cannot start inflating (out of memory)") }
            defer { zi_close(stream) }
            var input = Data()
            var inputUsed = 0
            var output = [UInt8](repeating: 0, count: ZipReader.chunkSize)
            var ended = false
            while !ended {
                if inputUsed == input.count {
                    guard remaining > 0 else { throw fail("its deflate data is cut short (corrupt or truncated archive)") }
                    input = try ZipReader.read(file, at: UInt64(offset), count: min(remaining, ZipReader.chunkSize))
                    offset += input.count
                    remaining -= input.count
                    inputUsed = 0
                }
                var used = 0, written = 0
                let status = input.withUnsafeBytes { inBytes in
                    output.withUnsafeMutableBufferPointer { outBytes in
                        zi_inflate(stream, inBytes.bindMemory(to: UInt8.self).baseAddress.map { $0 + inputUsed },
                                   inBytes.count - inputUsed, &used, outBytes.baseAddress, outBytes.count, &written)
                    }
                }
                if status < 0 {
                    throw fail("its deflate data is corrupt (\(String(cString: zi_message(stream))))")
                }
                inputUsed += used
                ended = status == 1
                if written > 0 {
                    guard try deliver(Data(output[0..<written])) else { return }
                } else if used == 0 && !ended && inputUsed < input.count {
                    // No progress with input and output room left: zlib cannot go on.
                    throw fail("its deflate data is corrupt (inflation stalled)")
                }
            }
        }
        guard produced == expected else {
            throw fail("the entry is truncated: declared \(expected) bytes, extracted \(produced) (corrupt archive)")
        }
        guard crc == entry.crc32 else {
            throw fail("checksum mismatch: the archive says \(String(format: "%08x", entry.crc32)), "
                + "the extracted bytes give \(String(format: "%08x", crc)) (corrupt archive)")
        }
    }

    // MARK: - The central directory

    /// Finds the end-of-central-directory record (and its zip64 form) and returns where the directory lies.
    private static func locateDirectory(in file: RegularFile) throws -> (offset: UInt64, size: UInt64) {
        func fail(_ text: String) -> Problem { Problem(entry: nil, description: text) }
        let size = file.size
        guard size >= 22 else { throw fail("too short for a zip archive (\(size) bytes)") }
        let tailLength = min(size, 22 + 0xFFFF)
        let tail = [UInt8](try read(file, at: UInt64(size - tailLength), count: tailLength))
        var found: Int?
        var index = tail.count - 22
        while index >= 0 {
            if tail[index] == 0x50, tail[index + 1] == 0x4b, tail[index + 2] == 5, tail[index + 3] == 6 {
                found = index
                break
            }
            index -= 1
        }
        guard let recordIndex = found else { throw fail("no end-of-central-directory record") }
        let recordOffset = UInt64(size - tailLength + recordIndex)
        var record = ByteReader(Data(tail[recordIndex..<(recordIndex + 22)]))
        record.skip(10)  // Signature, disk numbers and the entry count on this disk; then the total count.
        var entryCount = UInt64(record.u16())
        var directorySize = UInt64(record.u32())
        var directoryOffset = UInt64(record.u32())
        var directoryEnd = recordOffset

        // A zip64 locator sits just before the record when the archive needs 64-bit sizes.
        if recordOffset >= 20 {
            var locator = ByteReader(try read(file, at: recordOffset - 20, count: 20))
            if locator.u32() == 0x0706_4b50 {
                locator.skip(4)
                let zip64Offset = locator.u64()
                guard zip64Offset <= recordOffset, recordOffset - zip64Offset >= 56 else {
                    throw fail("its zip64 directory record lies outside the file (corrupt archive)")
                }
                var zip64 = ByteReader(try read(file, at: zip64Offset, count: 56))
                guard zip64.u32() == 0x0606_4b50 else { throw fail("bad zip64 directory record signature (corrupt archive)") }
                zip64.skip(28)
                entryCount = zip64.u64()
                directorySize = zip64.u64()
                directoryOffset = zip64.u64()
                directoryEnd = zip64Offset
            }
        }
        guard directoryOffset <= directoryEnd, directorySize <= directoryEnd - directoryOffset else {
            throw fail("its central directory claims \(directorySize) bytes at offset \(directoryOffset), "
                + "past the end of the file (corrupt or truncated archive)")
        }
        guard entryCount <= UInt64(maxEntries) else {
            throw fail("it declares \(entryCount) entries; more than \(maxEntries) are not read (an .npz holds one per array)")
        }
        guard directorySize <= UInt64(maxDirectoryBytes) else {
            throw fail("its central directory is \(directorySize) bytes, more than the \(maxDirectoryBytes) read")
        }
        return (directoryOffset, directorySize)
    }

    private static func parseDirectory(_ bytes: Data) throws -> [Entry] {
        var reader = ByteReader(bytes)
        var entries: [Entry] = []
        while reader.remaining > 0 {
            guard entries.count < maxEntries else {
                throw Problem(entry: nil, description: "more than \(maxEntries) entries are not read (an .npz holds one per array)")
            }
            guard reader.remaining >= 46, reader.u32() == 0x0201_4b50 else {
                throw Problem(entry: nil, description: "bad central directory record \(entries.count + 1) (corrupt archive)")
            }
            reader.skip(4)
            let flags = reader.u16(), method = reader.u16()
            reader.skip(4)
            let crc = reader.u32()
            var compressed = UInt64(reader.u32()), uncompressed = UInt64(reader.u32())
            let nameLength = Int(reader.u16()), extraLength = Int(reader.u16()), commentLength = Int(reader.u16())
            reader.skip(8)
            var localOffset = UInt64(reader.u32())
            guard reader.remaining >= nameLength + extraLength + commentLength else {
                throw Problem(entry: nil, description: "central directory record \(entries.count + 1) is cut short (corrupt archive)")
            }
            let nameBytes = reader.bytes(nameLength)
            // Bit 11: the name is UTF-8; otherwise code page 437, read here as Latin-1 (same for ASCII names).
            let name = flags & 0x800 != 0
                ? String(decoding: nameBytes, as: UTF8.self)
                : String(nameBytes.map { Character(Unicode.Scalar($0)) })
            var extra = ByteReader(reader.bytes(extraLength))
            reader.skip(commentLength)
            // The zip64 extra field holds, in order, whichever 32-bit fields are all ones.
            while extra.remaining >= 4 {
                let id = extra.u16(), length = Int(extra.u16())
                guard extra.remaining >= length else { break }
                var field = ByteReader(extra.bytes(length))
                if id == 1 {
                    if uncompressed == 0xFFFF_FFFF, field.remaining >= 8 { uncompressed = field.u64() }
                    if compressed == 0xFFFF_FFFF, field.remaining >= 8 { compressed = field.u64() }
                    if localOffset == 0xFFFF_FFFF, field.remaining >= 8 { localOffset = field.u64() }
                }
            }
            entries.append(Entry(name: name, method: method, flags: flags, crc32: crc, compressedSize: compressed,
                                 uncompressedSize: uncompressed, localHeaderOffset: localOffset))
        }
        return entries
    }

    /// Exactly `count` bytes at `offset`, or a "truncated" problem.
    private static func read(_ file: RegularFile, at offset: UInt64, count: Int) throws -> Data {
        guard let start = Int(exactly: offset) else {
            throw Problem(entry: nil, description: "offset \(offset) is past the end of the file (corrupt archive)")
        }
        let data: Data
        do {
            data = try file.read(at: start, count: count)
        } catch let problem as RegularFile.Problem {
            throw Problem(entry: nil, description: problem.description)
        }
        guard data.count == count else {
            throw Problem(entry: nil, description: "the file ends at \(file.size) bytes, inside data the archive "
                + "places at \(offset)..<\(offset + UInt64(count)) (truncated archive)")
        }
        return data
    }
}

/// Little-endian fields read from bytes; reading past the end yields zeros (callers check `remaining` first).
private struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ data: Data) { bytes = [UInt8](data) }

    var remaining: Int { bytes.count - position }

    mutating func skip(_ count: Int) { position = min(bytes.count, position + count) }

    mutating func bytes(_ count: Int) -> Data {
        let end = min(bytes.count, position + count)
        defer { position = end }
        return Data(bytes[position..<end])
    }

    mutating func u16() -> UInt16 { UInt16(truncatingIfNeeded: little(2)) }
    mutating func u32() -> UInt32 { UInt32(truncatingIfNeeded: little(4)) }
    mutating func u64() -> UInt64 { little(8) }

    private mutating func little(_ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count where position + index < bytes.count {
            value |= UInt64(bytes[position + index]) << (8 * index)
        }
        position = min(bytes.count, position + count)
        return value
    }
}
