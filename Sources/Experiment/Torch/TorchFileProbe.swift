import CZipInflate
import Foundation

/// What the fuzz targets `FuzzPickle` and `FuzzSafetensors` do with one input, and what `TorchFuzzReplayTests`
/// replays: open a PyTorch weights file, read every tensor it lists, and parse a torch experiment naming it (the
/// module search and the inference of its shape). Returns the one-line refusal, or nil when all of it read.
public enum TorchFileProbe {
    /// The experiment the probe parses, naming `name` in the probe's folder.
    static func experiment(naming name: String) -> Data {
        Data(#"{"convention": "torch", "weights": "\#(name)", "inputs": "inputs.npz"}"#.utf8)
    }

    /// Reads the file `name` in `folder` as described; every array is refused past `maxBytes`.
    public static func probe(_ name: String, in folder: URL, maxBytes: Int = 1 << 20) -> String? {
        var problem: String?
        do {
            let archive = try ArrayArchives.open(folder.appendingPathComponent(name))
            for key in archive.keys {
                do {
                    _ = try archive.info(key)
                    _ = try archive.array(key, maxBytes: maxBytes)
                } catch let e as NumpyError {
                    problem = problem ?? e.description
                }
            }
        } catch let e as NumpyError {
            problem = e.description
        } catch {
            problem = "\(error)"
        }
        do {
            _ = try ExperimentSpec.parse(experiment(naming: name), file: "probe.json", baseDirectory: folder)
        } catch let e as ExperimentError {
            problem = problem ?? e.description
        } catch {
            problem = problem ?? "\(error)"
        }
        return problem
    }

    /// A `.pt` file from a fuzz input: its first two bytes (little-endian) are N, the rest is `data.pkl`, in the zip
    /// torch.save writes (`m/data.pkl`, `m/byteorder`) with storages `m/data/0` ... `m/data/15` of 4·N bytes each
    /// (N at most 4096), so
    /// that tensors a pickle names reach the storage checks and the reads. Stored entries, CRC-32 from zlib.
    public static func ptArchive(fuzzInput: Data) -> Data {
        let bytes = [UInt8](fuzzInput)
        // At most 4096 elements: each input is written to disk, so its storages stay small (64 × 16 KiB).
        let n = min(bytes.count >= 2 ? Int(bytes[0]) | Int(bytes[1]) << 8 : 0, 4096)
        let pickle = Data(bytes.dropFirst(2))
        let storage = Data((0..<(4 * n)).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        let entries: [(String, Data)] = [("m/data.pkl", pickle), ("m/byteorder", Data("little".utf8))]
            + (0..<16).map { ("m/data/\($0)", storage) }
        var file = Data(), directory = Data()
        func u16(_ v: Int, _ d: inout Data) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        func u32(_ v: Int, _ d: inout Data) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { d.append(contentsOf: $0) } }
        func crc32(_ d: Data) -> Int { d.withUnsafeBytes { Int(zi_crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, $0.count)) } }
        let storageCRC = crc32(storage)
        for (index, (name, content)) in entries.enumerated() {
            let offset = file.count
            let crc = index >= 2 ? storageCRC : crc32(content)
            let nameBytes = Data(name.utf8)
            u32(0x0403_4b50, &file); u16(20, &file); u16(0, &file); u16(0, &file); u16(0, &file); u16(0, &file)
            u32(crc, &file); u32(content.count, &file); u32(content.count, &file); u16(nameBytes.count, &file); u16(0, &file)
            file += nameBytes
            file += content
            u32(0x0201_4b50, &directory); u16(20, &directory); u16(20, &directory); u16(0, &directory); u16(0, &directory)
            u16(0, &directory); u16(0, &directory); u32(crc, &directory); u32(content.count, &directory); u32(content.count, &directory)
            u16(nameBytes.count, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory); u16(0, &directory)
            u32(0, &directory); u32(offset, &directory)
            directory += nameBytes
        }
        let directoryOffset = file.count
        file += directory
        u32(0x0605_4b50, &file); u16(0, &file); u16(0, &file); u16(entries.count, &file); u16(entries.count, &file)
        u32(directory.count, &file); u32(directoryOffset, &file); u16(0, &file)
        return file
    }
}
