@testable import Experiment
import Foundation
import ZIPFoundation

/// Hostile `.npy`, `.npz` and experiment files, built byte by byte so each can claim whatever a test wants.
enum HostileFiles {
    /// One zip entry: the bytes stored in the archive and the sizes its directory claims.
    struct ZipEntry {
        var name: String
        var payload: Data
        var method: UInt16 = 0
        var crc: UInt32
        var claimedCompressed: UInt64
        var claimedUncompressed: UInt64
        /// Write the sizes and offset in the zip64 extra field.
        var zip64 = false
    }

    /// A stored entry holding `content`, claiming `claimedSize` (default: its real size).
    static func stored(_ name: String, _ content: Data, claimedSize: UInt64? = nil) -> ZipEntry {
        let size = claimedSize ?? UInt64(content.count)
        return ZipEntry(name: name, payload: content, crc: content.crc32(checksum: 0), claimedCompressed: size,
                        claimedUncompressed: size, zip64: size > 0xFFFF_FFFE)
    }

    /// A deflated entry whose stream inflates to `count` bytes produced by `bytes` (streamed, never all in memory),
    /// claiming `claimedSize` uncompressed (default: `count`).
    static func deflated(_ name: String, count: Int, claimedSize: UInt64? = nil,
                         bytes: @escaping (Range<Int>) -> Data) throws -> ZipEntry {
        var payload = Data()
        let crc = try Data.compress(size: Int64(count), bufferSize: 1 << 20, provider: { position, size in
            bytes(Int(position)..<Int(position) + size)
        }, consumer: { payload.append($0) })
        let size = claimedSize ?? UInt64(count)
        return ZipEntry(name: name, payload: payload, method: 8, crc: crc, claimedCompressed: UInt64(payload.count),
                        claimedUncompressed: size, zip64: size > 0xFFFF_FFFE)
    }

    /// A zip archive of `entries` (with zip64 records when any entry needs them).
    static func zip(_ entries: [ZipEntry]) -> Data {
        var file = Bytes(), directory = Bytes()
        let needsZip64 = entries.contains { $0.zip64 }
        for entry in entries {
            let offset = UInt64(file.data.count)
            let name = Data(entry.name.utf8)
            var extra = Bytes()
            if entry.zip64 {
                extra.u16(1); extra.u16(24)
                extra.u64(entry.claimedUncompressed); extra.u64(entry.claimedCompressed); extra.u64(offset)
            }
            let small = { (value: UInt64) in entry.zip64 ? UInt32.max : UInt32(truncatingIfNeeded: value) }
            file.u32(0x0403_4b50); file.u16(45); file.u16(0x800); file.u16(entry.method); file.u16(0); file.u16(0x21)
            file.u32(entry.crc); file.u32(small(entry.claimedCompressed)); file.u32(small(entry.claimedUncompressed))
            file.u16(UInt16(name.count)); file.u16(UInt16(extra.data.count))
            file.data += name; file.data += extra.data; file.data += entry.payload

            directory.u32(0x0201_4b50); directory.u16(0x031e); directory.u16(45); directory.u16(0x800)
            directory.u16(entry.method); directory.u16(0); directory.u16(0x21)
            directory.u32(entry.crc); directory.u32(small(entry.claimedCompressed))
            directory.u32(small(entry.claimedUncompressed))
            directory.u16(UInt16(name.count)); directory.u16(UInt16(extra.data.count)); directory.u16(0)
            directory.u16(0); directory.u16(0); directory.u32(0o100644 << 16)
            directory.u32(entry.zip64 ? UInt32.max : UInt32(offset))
            directory.data += name; directory.data += extra.data
        }
        let directoryOffset = UInt64(file.data.count)
        file.data += directory.data
        let count = UInt64(entries.count)
        if needsZip64 {
            let recordOffset = UInt64(file.data.count)
            file.u32(0x0606_4b50); file.u64(44); file.u16(45); file.u16(45); file.u32(0); file.u32(0)
            file.u64(count); file.u64(count); file.u64(UInt64(directory.data.count)); file.u64(directoryOffset)
            file.u32(0x0706_4b50); file.u32(0); file.u64(recordOffset); file.u32(1)
        }
        file.u32(0x0605_4b50); file.u16(0); file.u16(0); file.u16(UInt16(truncatingIfNeeded: count)); file.u16(UInt16(truncatingIfNeeded: count))
        file.u32(UInt32(directory.data.count)); file.u32(needsZip64 ? UInt32.max : UInt32(directoryOffset)); file.u16(0)
        return file.data
    }

    /// Little-endian fields appended to bytes.
    private struct Bytes {
        var data = Data()
        mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    }

    /// An `.npy` header declaring `shape` of `dtype`.
    static func npyHeader(_ shape: [Int], _ dtype: NumpyDType = .float32) -> Data {
        Npy.header(shape: shape, dtype: dtype)
    }

    /// An `.npy` file whose header dict is `dict` verbatim (version 1 or 2 as its length needs).
    static func npy(dict: String, payload: Data = Data()) -> Data {
        var text = Data(dict.utf8)
        let version2 = text.count + 11 > 0xFFFF
        let prefix = version2 ? 12 : 10
        while (prefix + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        var bytes = Bytes()
        bytes.data = Data(Npy.magic) + Data(version2 ? [2, 0] : [1, 0])
        if version2 { bytes.u32(UInt32(text.count)) } else { bytes.u16(UInt16(text.count)) }
        return bytes.data + text + payload
    }

    /// Zero bytes, for the elements of bombs.
    static func zeros(_ range: Range<Int>) -> Data { Data(count: range.count) }

    // MARK: - The findings, each as a file

    /// 1. A header whose `shape` is nested `depth` lists deep.
    static func deepShapeHeader(depth: Int) -> Data {
        npy(dict: "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "[", count: depth)
            + String(repeating: "]", count: depth) + ", }")
    }

    /// 1. A header with an extra key holding `depth` nested tuples.
    static func deepExtraKeyHeader(depth: Int) -> Data {
        npy(dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': " + String(repeating: "(", count: depth)
            + String(repeating: ")", count: depth) + "}", payload: Data(count: 4))
    }

    /// 2. A small archive whose directory claims 4,294,967,024 bytes for `inputs.npy`, whose header claims as much.
    static func lyingSizeArchive() -> Data {
        let elements = (4_294_967_024 - 128) / 4
        var content = npyHeader([1, elements, 1])
        content += Data(count: 3000)
        return zip([stored("inputs.npy", content, claimedSize: 4_294_967_024)])
    }

    /// 2. A zip64 bomb: a deflated `inputs.npy` of 8 MB of zeros whose header and directory claim 5 GB.
    static func zip64Bomb() throws -> Data {
        let header = npyHeader([1, 1_250_000_000, 1])
        let entry = try deflated("inputs.npy", count: header.count + (8 << 20),
                                 claimedSize: UInt64(header.count) + 5_000_000_000) { range in
            range.lowerBound >= header.count ? zeros(range)
                : header.subdata(in: range.lowerBound..<min(range.upperBound, header.count))
                    + zeros(max(header.count, range.lowerBound)..<range.upperBound)
        }
        return zip([entry])
    }

    /// 3. Entries whose headers honestly declare `gigabytes` GB each, with as much deflate data as a ratio of
    /// 1:1000 needs (so only the memory budget can refuse them); the stream really inflates to far less.
    static func inflateBomb(keys: [String], gigabytes: Int) throws -> Data {
        try declaredOnly(keys: keys, shape: [1, gigabytes * 250_000_000, 1])
    }

    /// Entries whose headers declare `shape` (float32) with just enough deflate data for a ratio of 1:1000;
    /// past the header, the stream holds noise and ends long before the declared size.
    static func declaredOnly(keys: [String], shape: [Int]) throws -> Data {
        let elements = shape.reduce(1, *)
        let header = npyHeader(shape)
        let real = header.count + elements * 4 / 900
        var seed: UInt64 = 0x9e37_79b9
        var words = [UInt64](repeating: 0, count: real / 8 + 1)
        for i in words.indices {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words[i] = seed
        }
        var noise = words.withUnsafeBytes { Data($0.prefix(real)) }
        noise.replaceSubrange(0..<header.count, with: header)
        let entries = try keys.map { key in
            try deflated(key + ".npy", count: real, claimedSize: UInt64(header.count + elements * 4)) { range in
                noise.subdata(in: range)
            }
        }
        return zip(entries)
    }

    /// 3. An entry whose directory promises `declared` elements but whose stream inflates to 8 MB of zeros.
    static func overInflatingArchive(key: String = "inputs", declared: Int = 1000) throws -> Data {
        let header = npyHeader([declared])
        let entry = try deflated(key + ".npy", count: header.count + (8 << 20),
                                 claimedSize: UInt64(header.count + declared * 4)) { range in
            range.lowerBound >= header.count ? zeros(range)
                : header.subdata(in: range.lowerBound..<min(range.upperBound, header.count))
                    + zeros(max(header.count, range.lowerBound)..<range.upperBound)
        }
        return zip([entry])
    }

    /// A valid `inputs` array of [batch, time, depth] (values 0.1, 0.2, …).
    static func inputsNpy(batch: Int = 2, time: Int = 3, depth: Int = 2) throws -> Data {
        let values = (0..<(batch * time * depth)).map { Float($0 + 1) / 10 }
        return Npy.encode(try NumpyArray(float32: values, shape: [batch, time, depth]))
    }

}
