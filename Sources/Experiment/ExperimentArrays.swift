import Foundation
import RNNEngine

/// The `.npz` archives an experiment file names (relative to its directory), each read once, and their arrays
/// as tensors of `Scalar`. Errors name the experiment file and the field that named the archive.
final class ExperimentArrays<Scalar: RNNScalar> {
    let file: String
    let baseDirectory: URL
    private var cache: [String: [String: NumpyArray]] = [:]

    init(file: String, baseDirectory: URL) {
        self.file = file
        self.baseDirectory = baseDirectory
    }

    /// The arrays of the archive at `relative`, named by `field`.
    func archive(_ field: String, _ relative: String) throws -> [String: NumpyArray] {
        if let a = cache[relative] { return a }
        let url = URL(fileURLWithPath: relative, relativeTo: baseDirectory).standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ExperimentError(file: file, field: field, "\(relative): no such file (looked in \(baseDirectory.path))")
        }
        do {
            let a = try Npz.read(url)
            cache[relative] = a
            return a
        } catch let e as NumpyError {
            throw ExperimentError(file: file, field: field, "\(relative): \(e.description)")
        }
    }

    /// `array` (called `name` in messages) as a tensor of `Scalar`.
    func tensor(_ field: String, _ array: NumpyArray, _ name: String) throws -> Tensor<Scalar> {
        do {
            return try array.tensor(Scalar.self, name: name)
        } catch let e as RNNError {
            throw ExperimentError(file: file, field: field, e.description)
        }
    }
}
