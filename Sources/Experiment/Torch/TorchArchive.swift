import Foundation
import RNNEngine

/// A `torch.save(state_dict)` file (`.pt`, `.pth`): a zip holding `<folder>/data.pkl`, the pickled `OrderedDict` of
/// tensors (read by `Unpickler`: nothing in it is called), and one raw little-endian storage per `data/<key>`
/// entry. The keys are the state_dict's tensor names in file order; a tensor is read only when asked for, after its
/// offset, shape and strides have been checked against its storage and the storage against the entry's bytes.
/// Tensors must be contiguous (what `state_dict()` of an RNN holds); float32 and float64 are read.
public final class TorchArchive: ArrayArchive {
    public let url: URL
    public let keys: [String]
    private let zip: ZipReader
    private let tensors: [String: Unpickler.TensorRef]
    private let storages: [String: ZipReader.Entry]

    public init(_ url: URL) throws {
        self.url = url
        let subject = url.path
        func fail(_ text: String) -> NumpyError { NumpyError(subject, text) }
        do {
            zip = try ZipReader(path: url.path)
        } catch let p as ZipReader.Problem {
            let known = p.description.hasPrefix("no such file") || p.description.hasPrefix("is a ") || p.description.hasPrefix("permission denied")
            throw fail(known ? p.description
                : "not a readable zip archive (\(p.description)); a .pt file is what torch.save writes (a zip, PyTorch 1.6 or later)")
        }
        let pickles = zip.entries.filter { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw fail(pickles.isEmpty ? "no data.pkl entry: not a torch.save file"
                : "\(pickles.count) data.pkl entries; torch.save writes one")
        }
        let folder = String(pickle.name.dropLast("data.pkl".count))
        if let order = zip.entries.first(where: { $0.name == folder + "byteorder" }) {
            let text = try TorchArchive.read(zip, order, limit: 16, subject: subject)
            guard text == Data("little".utf8) else {
                throw fail("byteorder is '\(SafeText.quote(String(decoding: text, as: UTF8.self), limit: 20))'; only little-endian storages are read")
            }
        }
        let bytes = try TorchArchive.read(zip, pickle, limit: Unpickler.maxBytes, subject: subject)
        let loaded: (value: Unpickler.Value, containers: [Unpickler.Container])
        do {
            loaded = try Unpickler.load(bytes)
        } catch let p as Unpickler.Problem {
            throw fail("\(pickle.name): \(p.description)")
        }
        guard case let .dict(id) = loaded.value, case let .dict(entries) = loaded.containers[id] else {
            throw fail("\(pickle.name) holds \(loaded.value.kindName), not a state_dict (an OrderedDict of tensors)")
        }
        var keys: [String] = []
        var tensors: [String: Unpickler.TensorRef] = [:]
        for (k, v) in entries {
            // Other values (a module's `_extra_state`) are not weights; tensors are named by string keys.
            guard case let .string(name) = k, case let .tensor(t) = v else { continue }
            if tensors[name] == nil { keys.append(name) }
            tensors[name] = t
        }
        self.keys = keys
        self.tensors = tensors
        var storages: [String: ZipReader.Entry] = [:]
        let dataFolder = folder + "data/"
        for entry in zip.entries where entry.name.hasPrefix(dataFolder) {
            storages[String(entry.name.dropFirst(dataFolder.count))] = entry
        }
        self.storages = storages
    }

    /// The whole entry, refused past `limit` bytes.
    private static func read(_ zip: ZipReader, _ entry: ZipReader.Entry, limit: Int, subject: String) throws -> Data {
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw NumpyError(subject, "entry '\(SafeText.quote(entry.name, limit: 80))' is \(entry.uncompressedSize) bytes, more than the \(limit) read")
        }
        var data = Data()
        do {
            try zip.extract(entry) { data.append($0); return true }
        } catch let p as ZipReader.Problem {
            throw NumpyError(subject, "entry '\(SafeText.quote(entry.name, limit: 80))': \(p.description)")
        }
        return data
    }

    private func subject(_ key: String) -> String { "\(url.path), tensor '\(SafeText.quote(key, limit: 80))'" }

    /// The tensor `key`, checked: its dtype is read, it is contiguous, and it lies inside its storage, which is as
    /// long as the pickle says. Returns the storage entry, the byte range and the dtype.
    private func located(_ key: String) throws -> (entry: ZipReader.Entry, range: Range<Int>, dtype: NumpyDType, shape: [Int]) {
        guard let t = tensors[key] else {
            throw NumpyError(url.path, "no tensor '\(SafeText.quote(key, limit: 80))' (\(ClosestNames.found(keys, closestTo: key)))")
        }
        func fail(_ text: String) -> NumpyError { NumpyError(subject(key), text) }
        let dtypeName = Unpickler.storageTypes[t.storage.typeName] ?? "unknown"
        guard let dtype: NumpyDType = t.storage.typeName == "FloatStorage" ? .float32 : t.storage.typeName == "DoubleStorage" ? .float64 : nil else {
            throw fail("dtype \(dtypeName) (torch.\(t.storage.typeName)); only float32 and float64 tensors are read")
        }
        let width = dtype.byteWidth
        guard let count = TensorBytes.elementCount(t.shape) else {
            throw fail("shape \(formatShape(t.shape)) has a negative dimension or too many elements")
        }
        // Contiguous: each stride the product of the later dimensions (a dimension of size 1 may have any stride).
        var expected = 1
        for (d, s) in Swift.zip(t.shape, t.stride).reversed() {
            if d != 1 && s != expected && count > 0 {
                throw fail("strides \(formatShape(t.stride)) for shape \(formatShape(t.shape)) are not contiguous; "
                    + "save the state_dict of contiguous tensors (.contiguous())")
            }
            expected = expected.multipliedReportingOverflow(by: max(d, 1)).partialValue
        }
        guard t.offset >= 0, t.offset <= t.storage.count, count <= t.storage.count - t.offset else {
            throw fail("offset \(t.offset) + \(count) elements lies outside its storage of \(t.storage.count) elements")
        }
        guard let entry = storages[t.storage.key] else {
            throw fail("its storage 'data/\(SafeText.quote(t.storage.key, limit: 40))' is not in the archive")
        }
        let (bytes, overflow) = t.storage.count.multipliedReportingOverflow(by: width)
        guard !overflow, entry.uncompressedSize == UInt64(bytes) else {
            throw fail("its storage 'data/\(SafeText.quote(t.storage.key, limit: 40))' holds \(entry.uncompressedSize) bytes; "
                + "\(t.storage.count) \(dtypeName) elements need \(overflow ? "more than can be addressed" : String(bytes))")
        }
        return (entry, (t.offset * width)..<((t.offset + count) * width), dtype, t.shape)
    }

    public func info(_ key: String) throws -> NpzArchive.ArrayInfo {
        let l = try located(key)
        return NpzArchive.ArrayInfo(dtype: l.dtype, shape: l.shape, byteCount: l.range.count)
    }

    public func array(_ key: String, maxBytes: Int) throws -> NumpyArray {
        let l = try located(key)
        guard l.range.count <= maxBytes else {
            throw NumpyError(subject(key), "needs \(formatBytes(Double(l.range.count))), more than the \(formatBytes(Double(maxBytes))) this process may use")
        }
        var data = Data(capacity: l.range.count)
        var at = 0
        do {
            try zip.extract(l.entry) { chunk in
                let start = max(l.range.lowerBound, at), end = min(l.range.upperBound, at + chunk.count)
                if start < end { data.append(chunk[(chunk.startIndex + start - at)..<(chunk.startIndex + end - at)]) }
                at += chunk.count
                return at < l.range.upperBound
            }
        } catch let p as ZipReader.Problem {
            throw NumpyError(subject(key), p.description)
        }
        guard data.count == l.range.count else {
            throw NumpyError(subject(key), "its storage ends after \(at) bytes; the tensor needs bytes \(l.range.lowerBound)..<\(l.range.upperBound)")
        }
        return try TensorBytes.array(data, dtype: l.dtype, shape: l.shape)
    }

    public func arrays(_ keys: [String], maxBytes: Int) throws -> [String: NumpyArray] {
        try TensorBytes.arrays(of: self, keys, maxBytes: maxBytes)
    }
}

extension TensorBytes {
    /// `keys`' arrays after checking that their sizes (from `info`) together fit `maxBytes`.
    static func arrays(of archive: any ArrayArchive, _ keys: [String], maxBytes: Int) throws -> [String: NumpyArray] {
        var total = 0
        for key in keys {
            total += try archive.info(key).byteCount
            guard total <= maxBytes else {
                throw NumpyError(archive.url.path, "its tensors need more than \(formatBytes(Double(total))) (at '\(SafeText.quote(key, limit: 60))'), "
                    + "more than the \(formatBytes(Double(maxBytes))) this process may use")
            }
        }
        var result: [String: NumpyArray] = [:]
        for key in keys { result[key] = try archive.array(key, maxBytes: maxBytes) }
        return result
    }
}
