import CHDF5
import Foundation
import RNNEngine

/// An HDF5 file opened read-only through the HDF5 C library (Debian's libhdf5), for Keras' `.keras` (its
/// `model.weights.h5`, opened from memory), legacy `.h5` and `.weights.h5` files.
///
/// libhdf5 parses the file in C. What is checked before handing it over: the path is a regular file (`RegularFile`:
/// no FIFO or device), it starts with HDF5's signature, and its size fits the memory budget when it is read into
/// memory. What is checked before anything is allocated: every dataset's rank, dimensions and element count against
/// the caller's allowance, its element type (IEEE float, 4 or 8 bytes), and the bytes its storage holds (a
/// contiguous dataset must lie inside the file; a dataset with no storage is refused). Group listings, attribute
/// counts and string lengths are bounded. HDF5's own error printing is turned off: every failure is one
/// `HDF5File.Problem` naming the path inside the file. The library is not thread-safe (Debian builds it without
/// the thread-safety option), so every call goes through one lock.
final class HDF5File {
    /// Why a file, group, attribute or dataset cannot be read: `path` is the HDF5 path (`""` for the file itself).
    struct Problem: Error, CustomStringConvertible {
        let path: String
        let problem: String
        var description: String { path.isEmpty ? problem : "\(SafeText.quote(path, limit: 120)): \(problem)" }
    }

    /// HDF5's signature, at offset 0 (a user block, which would move it to 512, 1024, ..., is not accepted: Keras
    /// and h5py write none).
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The most links listed in one group (a Keras file has one group per layer).
    static let maxGroupLinks = 100_000
    /// The longest name or string attribute read.
    static let maxStringBytes = 16 << 20
    /// The most strings in one attribute (a legacy `.h5`'s `weight_names`, `layer_names`).
    static let maxStringCount = 100_000
    /// The highest dataset rank read (Keras' weights have rank 1 or 2).
    static let maxRank = 8

    /// The one lock every libhdf5 call takes.
    static let lock = NSRecursiveLock()

    private let file: hid_t
    /// The file's size in bytes (for the storage checks).
    let size: Int

    /// Opens the regular file at `path`.
    convenience init(path: String) throws {
        let regular: RegularFile
        do {
            regular = try RegularFile(path: path)
        } catch let p as RegularFile.Problem {
            throw Problem(path: "", problem: p.description)
        }
        try HDF5File.checkSignature(try HDF5File.readHead(regular), size: regular.size)
        do {
            try HDF5File.checkGlobalHeaps(try regular.readAll(limit: MemoryBudget.byteLimit))
        } catch let p as RegularFile.Problem {
            throw Problem(path: "", problem: p.description)
        }
        let id = try HDF5File.locked { () -> hid_t in
            try HDF5File.initialize()
            return H5Fopen(path, unroll_h5f_acc_rdonly(), unroll_h5p_default())
        }
        guard id >= 0 else { throw Problem(path: "", problem: "not a readable HDF5 file (libhdf5 cannot open it: corrupt or truncated)") }
        self.init(id: id, size: regular.size)
    }

    /// Opens an HDF5 file held in memory (a `.keras` archive's `model.weights.h5`): libhdf5's core driver copies the
    /// image into its own memory, nothing is written to disk.
    convenience init(image: Data) throws {
        try HDF5File.checkSignature(image.prefix(HDF5File.signature.count), size: image.count)
        try HDF5File.checkGlobalHeaps(image)
        let id = try HDF5File.locked { () -> hid_t in
            try HDF5File.initialize()
            let fapl = H5Pcreate(unroll_h5p_file_access())
            guard fapl >= 0 else { return -1 }
            defer { H5Pclose(fapl) }
            guard H5Pset_fapl_core(fapl, 1 << 16, false) >= 0 else { return -1 }
            let status = image.withUnsafeBytes { H5Pset_file_image(fapl, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) }
            guard status >= 0 else { return -1 }
            return H5Fopen("model.weights.h5", unroll_h5f_acc_rdonly(), fapl)
        }
        guard id >= 0 else { throw Problem(path: "", problem: "not a readable HDF5 file (libhdf5 cannot open it: corrupt or truncated)") }
        self.init(id: id, size: image.count)
    }

    private init(id: hid_t, size: Int) {
        file = id
        self.size = size
    }

    deinit { HDF5File.locked { _ = H5Fclose(file) } }

    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private static func initialize() throws {
        guard unroll_h5_init() >= 0 else { throw Problem(path: "", problem: "the HDF5 library cannot start") }
    }

    private static func readHead(_ file: RegularFile) throws -> Data {
        do { return try file.read(at: 0, count: signature.count) } catch let p as RegularFile.Problem {
            throw Problem(path: "", problem: p.description)
        }
    }

    private static func checkSignature(_ head: Data, size: Int) throws {
        guard [UInt8](head) == signature else {
            throw Problem(path: "", problem: size < signature.count
                ? "too short for an HDF5 file (\(size) bytes)" : "not an HDF5 file (no HDF5 signature at its start)")
        }
    }

    /// Refuses a global heap collection (`GCOL`, where variable-length strings such as a legacy `.h5`'s
    /// `model_config` live) whose objects libhdf5 1.10 would walk forever: its loop advances by each object's
    /// declared size, so a free-space object of size 0 never moves on (found by fuzzing: FuzzKeras), and a size past
    /// the collection's end wraps its pointer. Each collection is walked as libhdf5 walks it, on the bytes, before
    /// the file is handed over; a valid file's objects tile their collection exactly.
    static func checkGlobalHeaps(_ data: Data) throws {
        let bytes = [UInt8](data)
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        func u64(_ i: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) } }
        var start = 0
        while start + 16 <= bytes.count {
            guard let at = (start...(bytes.count - 16)).first(where: { bytes[$0] == 0x47 && bytes[$0 + 1] == 0x43 && bytes[$0 + 2] == 0x4F && bytes[$0 + 3] == 0x4C }) else { return }
            start = at + 4
            guard bytes[at + 4] == 1 else { continue }
            let size = u64(at + 8)
            // A collection past the end of the file fails libhdf5's read: it cannot loop.
            guard size >= 16, size <= UInt64(bytes.count - at) else { continue }
            let end = at + Int(size)
            var p = at + 16
            while p < end {
                if p + 16 > end { break }
                let index = u16(p), objectSize = u64(p + 8)
                let need = index > 0 ? (objectSize > UInt64(Int.max - 32) ? UInt64.max : 16 + (objectSize + 7) / 8 * 8) : objectSize
                guard need > 0, need <= UInt64(end - p) else {
                    throw Problem(path: "", problem: "a global heap collection at offset \(at) holds object \(index) of \(objectSize) bytes, which does not fit its \(size)-byte collection (corrupt or hostile file)")
                }
                p += Int(need)
            }
        }
    }

    // MARK: - Structure

    enum Kind { case group, dataset, other, missing }

    /// What `path` is: every link along it is checked to exist first (libhdf5 fails on a missing intermediate).
    func kind(_ path: String) -> Kind {
        HDF5File.locked {
            var prefix = ""
            for part in path.split(separator: "/") {
                prefix += (prefix.isEmpty ? "" : "/") + part
                guard H5Lexists(file, prefix, unroll_h5p_default()) > 0 else { return .missing }
            }
            let object = H5Oopen(file, path.isEmpty ? "/" : path, unroll_h5p_default())
            guard object >= 0 else { return .missing }
            defer { H5Oclose(object) }
            switch H5Iget_type(object) {
            case H5I_GROUP: return .group
            case H5I_DATASET: return .dataset
            default: return .other
            }
        }
    }

    /// The names of the links in the group at `path`, in name order.
    func children(_ path: String) throws -> [String] {
        guard kind(path) == .group else { throw Problem(path: path, problem: "no such group") }
        return try HDF5File.locked {
            let group = H5Gopen2(file, path.isEmpty ? "/" : path, unroll_h5p_default())
            guard group >= 0 else { throw Problem(path: path, problem: "cannot open the group") }
            defer { H5Gclose(group) }
            var info = H5G_info_t()
            guard H5Gget_info(group, &info) >= 0 else { throw Problem(path: path, problem: "cannot list the group") }
            guard info.nlinks <= UInt64(HDF5File.maxGroupLinks) else {
                throw Problem(path: path, problem: "the group holds \(info.nlinks) links; more than \(HDF5File.maxGroupLinks) are not read")
            }
            var names: [String] = []
            for i in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, unroll_h5p_default())
                guard length >= 0, length < HDF5File.maxStringBytes else { throw Problem(path: path, problem: "cannot read the name of link \(i)") }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buffer, buffer.count, unroll_h5p_default()) >= 0 else {
                    throw Problem(path: path, problem: "cannot read the name of link \(i)")
                }
                names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    /// Every dataset under the group at `path` (full paths, depth first, in name order), at most `limit` of them.
    func datasets(under path: String, limit: Int = 100_000) throws -> [String] {
        var found: [String] = []
        func walk(_ group: String, depth: Int) throws {
            guard depth < 32 else { throw Problem(path: group, problem: "groups nested more than 32 deep are not read") }
            for name in try children(group) {
                let child = group.isEmpty ? name : group + "/" + name
                switch kind(child) {
                case .group: try walk(child, depth: depth + 1)
                case .dataset:
                    found.append(child)
                    guard found.count <= limit else { throw Problem(path: path, problem: "more than \(limit) datasets are not read") }
                default: continue
                }
            }
        }
        try walk(path, depth: 0)
        return found
    }

    // MARK: - Attributes

    /// The strings of attribute `name` of the object at `path` (one for a scalar string, several for an array of
    /// strings, variable-length or fixed-length); nil when there is no such attribute; an empty list for an
    /// attribute with no elements of another type (the empty float64 `weight_names` of a legacy `.h5`).
    func strings(_ name: String, of path: String) throws -> [String]? {
        guard kind(path) == .group || kind(path) == .dataset else { throw Problem(path: path, problem: "no such group or dataset") }
        let where_ = path.isEmpty ? "attribute \(name)" : "attribute \(name) of \(path)"
        func fail(_ text: String) -> Problem { Problem(path: where_, problem: text) }
        return try HDF5File.locked { () throws -> [String]? in
            let object = path.isEmpty ? "/" : path
            guard H5Aexists_by_name(file, object, name, unroll_h5p_default()) > 0 else { return nil }
            let attribute = H5Aopen_by_name(file, object, name, unroll_h5p_default(), unroll_h5p_default())
            guard attribute >= 0 else { throw fail("cannot open it") }
            defer { H5Aclose(attribute) }
            let type = H5Aget_type(attribute), space = H5Aget_space(attribute)
            defer { H5Tclose(type); H5Sclose(space) }
            guard type >= 0, space >= 0 else { throw fail("cannot read its type") }
            let count = H5Sget_simple_extent_npoints(space)
            guard count >= 0, count <= Int64(HDF5File.maxStringCount) else { throw fail("it claims \(count) elements; at most \(HDF5File.maxStringCount) are read") }
            guard H5Tget_class(type) == H5T_STRING else {
                if count == 0 { return [] }
                throw fail("expected strings, got an attribute of another type")
            }
            if count == 0 { return [] }
            let n = Int(count)
            if H5Tis_variable_str(type) > 0 {
                let memory = H5Tcopy(unroll_h5t_c_s1())
                defer { H5Tclose(memory) }
                H5Tset_size(memory, unroll_h5t_variable())
                H5Tset_cset(memory, H5Tget_cset(type))
                var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
                guard H5Aread(attribute, memory, &pointers) >= 0 else { throw fail("cannot read its strings") }
                defer { for p in pointers { H5free_memory(p) } }
                return try pointers.map { p in
                    guard let p else { return "" }
                    let length = strnlen(p, HDF5File.maxStringBytes + 1)
                    guard length <= HDF5File.maxStringBytes else { throw fail("a string is longer than \(HDF5File.maxStringBytes) bytes") }
                    return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
                }
            }
            let width = H5Tget_size(type)
            guard width > 0, width <= HDF5File.maxStringBytes, n <= HDF5File.maxStringBytes / width else {
                throw fail("its strings (\(n) of \(width) bytes) exceed the \(HDF5File.maxStringBytes) bytes read")
            }
            let memory = H5Tcopy(type)
            defer { H5Tclose(memory) }
            var bytes = [UInt8](repeating: 0, count: n * width)
            guard H5Aread(attribute, memory, &bytes) >= 0 else { throw fail("cannot read its strings") }
            return (0..<n).map { i in
                let raw = bytes[(i * width)..<((i + 1) * width)]
                return String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
    }

    /// The one string of attribute `name` (a scalar or one-element string attribute); nil when absent.
    func string(_ name: String, of path: String) throws -> String? {
        guard let all = try strings(name, of: path) else { return nil }
        guard all.count == 1 else {
            throw Problem(path: path.isEmpty ? "attribute \(name)" : "attribute \(name) of \(path)", problem: "expected one string, got \(all.count)")
        }
        return all[0]
    }

    // MARK: - Datasets

    /// What a dataset declares, read from its header alone.
    struct DatasetInfo {
        let dtype: NumpyDType
        let shape: [Int]
        var byteCount: Int { shape.reduce(dtype.byteWidth, *) }
    }

    /// The dtype and shape of the dataset at `path` (float32 or float64), checked: rank at most `maxRank`, an element
    /// count that does not overflow, and storage that holds the bytes it declares (a contiguous dataset inside the
    /// file; chunked storage allocated). Nothing is read but the header.
    func info(_ path: String) throws -> DatasetInfo {
        guard kind(path) == .dataset else { throw Problem(path: path, problem: "no such dataset") }
        return try HDF5File.locked { try withDataset(path) { try describe($0, path) } }
    }

    /// The float dataset at `path`, refused past `maxBytes` (checked from its header before anything is allocated).
    func array(_ path: String, maxBytes: Int) throws -> NumpyArray {
        guard kind(path) == .dataset else { throw Problem(path: path, problem: "no such dataset") }
        return try HDF5File.locked {
            try withDataset(path) { dataset in
                let info = try describe(dataset, path)
                guard info.byteCount <= maxBytes else {
                    throw Problem(path: path, problem: "its shape \(formatShape(info.shape)) needs \(formatBytes(Double(info.byteCount))), more than the \(formatBytes(Double(maxBytes))) allowed")
                }
                let count = info.shape.reduce(1, *)
                func fail() -> Problem { Problem(path: path, problem: "libhdf5 cannot read its data (corrupt file)") }
                switch info.dtype {
                case .float64:
                    var values = [Double](repeating: 0, count: count)
                    let status = values.withUnsafeMutableBytes { H5Dread(dataset, unroll_h5t_native_double(), unroll_h5s_all(), unroll_h5s_all(), unroll_h5p_default(), $0.baseAddress) }
                    guard status >= 0 else { throw fail() }
                    return try NumpyArray(values, shape: info.shape)
                default:
                    var values = [Float](repeating: 0, count: count)
                    let status = values.withUnsafeMutableBytes { H5Dread(dataset, unroll_h5t_native_float(), unroll_h5s_all(), unroll_h5s_all(), unroll_h5p_default(), $0.baseAddress) }
                    guard status >= 0 else { throw fail() }
                    return try NumpyArray(values, shape: info.shape)
                }
            }
        }
    }

    private func withDataset<T>(_ path: String, _ body: (hid_t) throws -> T) throws -> T {
        let dataset = H5Dopen2(file, path, unroll_h5p_default())
        guard dataset >= 0 else { throw Problem(path: path, problem: "cannot open the dataset (corrupt file)") }
        defer { H5Dclose(dataset) }
        return try body(dataset)
    }

    private func describe(_ dataset: hid_t, _ path: String) throws -> DatasetInfo {
        func fail(_ text: String) -> Problem { Problem(path: path, problem: text) }
        let type = H5Dget_type(dataset), space = H5Dget_space(dataset)
        defer { H5Tclose(type); H5Sclose(space) }
        guard type >= 0, space >= 0 else { throw fail("cannot read the dataset's type and shape (corrupt file)") }
        let width = H5Tget_size(type)
        guard H5Tget_class(type) == H5T_FLOAT, width == 4 || width == 8 else {
            let what = H5Tget_class(type) == H5T_FLOAT ? "a \(width * 8)-bit float" : H5Tget_class(type) == H5T_INTEGER ? "integers" : "not floats"
            throw fail("expected float32 or float64 weights, got \(what)")
        }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= Int32(HDF5File.maxRank) else { throw fail("rank \(rank); at most \(HDF5File.maxRank) dimensions are read") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) == rank else { throw fail("cannot read the dataset's shape (corrupt file)") }
        var shape: [Int] = []
        var bytes = Int(width)
        for d in dims {
            guard let v = Int(exactly: d) else { throw fail("dimension \(d) is too large") }
            let (product, overflow) = bytes.multipliedReportingOverflow(by: v)
            guard !overflow else { throw fail("its shape \(dims) overflows a byte count") }
            bytes = product
            shape.append(v)
        }
        let info = DatasetInfo(dtype: width == 8 ? .float64 : .float32, shape: shape)
        guard bytes > 0 else { return info }
        // The storage must hold the declared bytes: a contiguous dataset lies inside the file, all of it.
        let stored = H5Dget_storage_size(dataset)
        let plist = H5Dget_create_plist(dataset)
        defer { H5Pclose(plist) }
        let layout = plist >= 0 ? H5Pget_layout(plist) : H5D_LAYOUT_ERROR
        let filters = plist >= 0 ? H5Pget_nfilters(plist) : 0
        guard stored > 0 else { throw fail("declares \(formatShape(shape)) but holds no data (its storage was never written)") }
        switch layout {
        case H5D_CONTIGUOUS:
            let offset = H5Dget_offset(dataset)
            guard offset != unroll_haddr_undef() else { throw fail("declares \(formatShape(shape)) but holds no data") }
            let start = UInt64(offset)
            guard stored >= UInt64(bytes), start <= UInt64(size), UInt64(bytes) <= UInt64(size) - start else {
                throw fail("declares \(formatShape(shape)) (\(bytes) bytes at offset \(offset)), past the end of the \(size)-byte file (truncated or corrupt)")
            }
        case H5D_COMPACT:
            guard stored >= UInt64(bytes) else { throw fail("declares \(bytes) bytes but its storage holds \(stored) (corrupt file)") }
        case H5D_CHUNKED:
            guard filters > 0 || stored >= UInt64(bytes) else {
                throw fail("declares \(bytes) bytes but its chunks hold \(stored) (truncated or corrupt)")
            }
        default:
            throw fail("unsupported storage layout (virtual or unknown)")
        }
        return info
    }
}

extension HDF5File.DatasetInfo {
    var arrayInfo: NpzArchive.ArrayInfo { NpzArchive.ArrayInfo(dtype: dtype, shape: shape, byteCount: byteCount) }
}
