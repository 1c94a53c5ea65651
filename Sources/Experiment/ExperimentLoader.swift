import Foundation
import RNNEngine

/// Reads an experiment file and the arrays it names.
public enum ExperimentLoader {
    /// Parses the experiment file at `url`; `displayName` is how errors name it (default: the path).
    public static func readSpec(_ url: URL, displayName: String? = nil) throws -> ExperimentSpec {
        let name = displayName ?? url.path
        let data: Data
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ExperimentError(file: name, field: "", "is a directory; expected an experiment file (.json)")
        }
        do {
            data = try Data(contentsOf: url)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: url.path)
            throw ExperimentError(file: name, field: "", missing ? "no such file" : "cannot read the file (\(error.localizedDescription))")
        }
        return try ExperimentSpec.parse(data, file: name)
    }

    /// Loads the arrays `spec` names (relative to `baseDirectory`) as tensors of `Scalar`, or generates them.
    public static func load<Scalar: RNNScalar>(_ spec: ExperimentSpec, file: String, baseDirectory: URL,
                                               as _: Scalar.Type = Scalar.self) throws -> LoadedExperiment<Scalar> {
        var cache: [String: [String: NumpyArray]] = [:]
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
        func tensor(_ field: String, _ array: NumpyArray, _ name: String) throws -> Tensor<Scalar> {
            do {
                return try array.tensor(Scalar.self, name: name)
            } catch let e as RNNError {
                throw ExperimentError(file: file, field: field, e.description)
            }
        }

        try MemoryBudget.check(spec, file: file)

        // Inputs: from the archive, or generated from the seed.
        let inputs: Tensor<Scalar>
        if let path = spec.inputs {
            guard let a = try archive("inputs", path)["inputs"] else {
                throw ExperimentError(file: file, field: "inputs", "\(path) has no array named \"inputs\"")
            }
            guard a.dtype == .float32 || a.dtype == .float64 else {
                throw ExperimentError(file: file, field: "inputs", "inputs has dtype \(a.dtype.rawValue); RNN inputs must be float32 or float64")
            }
            inputs = try tensor("inputs", a, "inputs")
            guard inputs.rank == 3 else {
                throw ExperimentError(file: file, field: "inputs",
                    "inputs has shape \(formatShape(inputs.shape)); expected rank 3, \(spec.timeMajor ? "[time, batch, depth]" : "[batch, time, depth]")")
            }
            if let lengths = spec.sequenceLength {
                let batch = inputs.shape[spec.timeMajor ? 1 : 0]
                guard lengths.count == batch else {
                    throw ExperimentError(file: file, field: "sequence_length",
                        "has \(lengths.count) values, expected batch_size = \(batch) (from inputs \(formatShape(inputs.shape)))")
                }
            }
        } else {
            let b = spec.batchSize ?? 1, t = spec.maxTime ?? 1, d = spec.inputDepth ?? 1
            var rng = SplitMix64(seed: spec.seed &+ 0x5eed)
            let scale = spec.inputScale
            let doubles = (0..<(b * t * d)).map { _ in (rng.nextUniform() * 2 - 1) * scale }
            inputs = try Tensor(shape: spec.timeMajor ? [t, b, d] : [b, t, d], scalars: scalars(from: doubles))
        }

        // Weights: every float array under the run's scope; defaults from the seed when no file is given.
        let scope = spec.bidirectional ? "bidirectional_rnn/" : "rnn/"
        var weights: [String: Tensor<Scalar>] = [:]
        if let path = spec.weights {
            for (name, array) in try archive("weights", path) where name.hasPrefix(scope) {
                weights[name] = try tensor("weights", array, "weight \(name)")
            }
        }
        let store = VariableStore(arrays: weights, missing: spec.weights == nil ? .initialize(seed: spec.seed) : .fail)

        // Initial state: arrays named by their place in the state structure.
        var initial: Nest<Tensor<Scalar>>?
        var initialBw: Nest<Tensor<Scalar>>?
        if let path = spec.initialState {
            let arrays = try archive("initial_state", path)
            func state(_ sizes: Nest<Int>, prefix: String) throws -> Nest<Tensor<Scalar>> {
                var missing: [String] = []
                let result = try sizes.flattenedWithPaths.map { (p, _) -> Tensor<Scalar> in
                    let key = p.isEmpty ? prefix : prefix + "/" + p
                    guard let a = arrays[key] else { missing.append(key); return Tensor(zeros: [0]) }
                    return try tensor("initial_state", a, key)
                }
                guard missing.isEmpty else {
                    let have = arrays.keys.filter { $0.hasPrefix("initial_state") }.sorted()
                    throw ExperimentError(file: file, field: "initial_state",
                        "\(path) lacks \(missing.joined(separator: ", ")) (the cell's state is \(sizes.structureDescription); found: \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
                }
                var iterator = result.makeIterator()
                return sizes.map { _ in iterator.next() ?? Tensor(zeros: [0]) }
            }
            if spec.bidirectional {
                initial = try state(spec.cell.stateSize, prefix: "initial_state/0")
                initialBw = try state((spec.cellBackward ?? spec.cell).stateSize, prefix: "initial_state/1")
            } else {
                initial = try state(spec.cell.stateSize, prefix: "initial_state")
            }
        }
        return LoadedExperiment(spec: spec, file: file, inputs: inputs, store: store,
                                initialState: initial, initialStateBackward: initialBw)
    }

    /// Reads, loads and runs an experiment file; returns the arrays `unroll run` writes.
    public static func runFile(_ url: URL, displayName: String? = nil) throws -> [(String, NumpyArray)] {
        let name = displayName ?? url.path
        let spec = try readSpec(url, displayName: name)
        let base = url.deletingLastPathComponent()
        switch spec.dtype {
        case .float32: return try load(spec, file: name, baseDirectory: base, as: Float.self).run().namedArrays()
        case .float64: return try load(spec, file: name, baseDirectory: base, as: Double.self).run().namedArrays()
        }
    }
}
