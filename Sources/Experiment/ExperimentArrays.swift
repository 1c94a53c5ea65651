import Foundation
import RNNEngine

/// The array files (`.npz` archives, see `ArrayArchives`) an experiment file names (relative to its directory), each opened once, and their arrays
/// as tensors of `Scalar`. An archive is opened lazily: its directory is listed, and an entry is decoded only
/// when the experiment asks for it (once), after its size has been checked. Errors name the experiment file and
/// the field that named the archive.
final class ExperimentArrays<Scalar: RNNScalar> {
    let file: String
    let baseDirectory: URL
    private var opened: [String: any ArrayArchive] = [:]
    private var decoded: [String: [String: NumpyArray]] = [:]
    /// Archives held in memory under a name the experiment uses as a path (an `.onnx` model's initializers).
    private var provided: [String: [String: NumpyArray]] = [:]

    init(file: String, baseDirectory: URL) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    /// The archive at `relative`, named by `field`: opened (a regular file, its directory read), nothing decoded.
    func open(_ field: String, _ relative: String) throws -> any ArrayArchive {
        if let a = opened[relative] { return a }
        let url = URL(fileURLWithPath: relative, relativeTo: baseDirectory).standardizedFileURL
        do {
            let a = try ArrayArchives.open(url)
            opened[relative] = a
            return a
        } catch let e as NumpyError {
            let missing = e.problem.hasPrefix("no such file") ? " (looked in \(baseDirectory.path))" : ""
            throw ExperimentError(file: file, field: field, "\(relative): \(e.problem)\(missing)")
        }
    }

    /// Reads the archive at `relative` through `archive` (a Keras file served under the keras convention's names).
    func install(_ relative: String, _ archive: any ArrayArchive) {
        opened[relative] = archive
    }

    /// Serves `arrays` as the archive at `relative` (nothing is read from a file of that name).
    func provide(_ relative: String, _ arrays: [String: NumpyArray]) {
        provided[relative] = arrays
    }

    /// Serves `archive` (a view of a file, such as one module of a state_dict) as the archive at `relative`.
    func provide(_ relative: String, archive: any ArrayArchive) {
        opened[relative] = archive
    }

    /// The keys of the archive at `relative`, in archive order.
    func keys(_ field: String, _ relative: String) throws -> [String] {
        if let p = provided[relative] { return p.keys.sorted() }
        return try open(field, relative).keys
    }

    /// What the header of `key` declares (only the header is read).
    func info(_ field: String, _ relative: String, _ key: String) throws -> NpzArchive.ArrayInfo {
        if let p = provided[relative] {
            guard let a = p[key] else { throw ExperimentError(file: file, field: field, "\(relative) has no array named \"\(key)\"") }
            return NpzArchive.ArrayInfo(dtype: a.dtype, shape: a.shape, byteCount: a.storage.count * a.dtype.byteWidth)
        }
        let a = try open(field, relative)
        return try ExperimentError.located(file: file, field: field, context: relative) { try a.info(key) }
    }

    /// The array under `key`, decoded once, or nil when the archive has none.
    func array(_ field: String, _ relative: String, _ key: String) throws -> NumpyArray? {
        if let p = provided[relative] { return p[key] }
        if let a = decoded[relative]?[key] { return a }
        let a = try open(field, relative)
        guard a.keys.contains(key) else { return nil }
        let array = try ExperimentError.located(file: file, field: field, context: relative) { try a.array(key, maxBytes: MemoryBudget.byteLimit) }
        decoded[relative, default: [:]][key] = array
        return array
    }

    /// The arrays of the archive at `relative` whose keys pass `isUsed`; together they must fit the memory
    /// budget (checked from their headers before any is decoded). The other entries are never decoded.
    func archive(_ field: String, _ relative: String, where isUsed: (String) -> Bool) throws -> [String: NumpyArray] {
        if let p = provided[relative] { return p.filter { isUsed($0.key) } }
        let a = try open(field, relative)
        let keys = a.keys.filter(isUsed)
        let missing = keys.filter { decoded[relative]?[$0] == nil }
        let arrays = try ExperimentError.located(file: file, field: field, context: relative) { try a.arrays(missing, maxBytes: MemoryBudget.byteLimit) }
        decoded[relative, default: [:]].merge(arrays) { old, _ in old }
        return decoded[relative, default: [:]].filter { keys.contains($0.key) }
    }

    /// `array` (called `name` in messages) as a tensor of `Scalar`.
    func tensor(_ field: String, _ array: NumpyArray, _ name: String) throws -> Tensor<Scalar> {
        try ExperimentError.located(file: file, field: field) { try array.tensor(Scalar.self, name: name) }
    }
}
