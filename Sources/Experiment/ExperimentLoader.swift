import Foundation
import RNNEngine

/// Reads an experiment file and the arrays it names.
public enum ExperimentLoader {
    /// Parses the experiment file at `url`; `displayName` is how errors name it (default: the path).
    public static func readSpec(_ url: URL, displayName: String? = nil) throws -> ExperimentSpec {
        let name = displayName ?? url.path
        let data: Data
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
        let arrays = ExperimentArrays<Scalar>(file: file, baseDirectory: baseDirectory)
        try MemoryBudget.check(spec, file: file)

        let inputs = try loadInputs(spec, from: arrays)

        // Weights: every float array under the run's scope; defaults from the seed when no file is given.
        let scope = spec.scope + "/"
        var weights: [String: Tensor<Scalar>] = [:]
        if let path = spec.weights {
            for (name, array) in try arrays.archive("weights", path) where name.hasPrefix(scope) {
                weights[name] = try arrays.tensor("weights", array, "weight \(name)")
            }
        }
        let store = VariableStore(arrays: weights, missing: spec.weights == nil ? .initialize(seed: spec.seed) : .fail)

        let (initial, initialBw) = try loadInitialStates(spec, from: arrays)
        return LoadedExperiment(spec: spec, file: file, inputs: inputs, store: store,
                                initialState: initial, initialStateBackward: initialBw)
    }

    /// The experiment's inputs: the array `inputs` of the archive it names (checked against `sequence_length`),
    /// or generated from the seed.
    private static func loadInputs<Scalar: RNNScalar>(_ spec: ExperimentSpec, from source: ExperimentArrays<Scalar>) throws -> Tensor<Scalar> {
        if let path = spec.inputs {
            guard let a = try source.archive("inputs", path)["inputs"] else {
                throw ExperimentError(file: source.file, field: "inputs", "\(path) has no array named \"inputs\"")
            }
            guard a.dtype == .float32 || a.dtype == .float64 else {
                throw ExperimentError(file: source.file, field: "inputs", "inputs has dtype \(a.dtype.rawValue); RNN inputs must be float32 or float64")
            }
            let inputs = try source.tensor("inputs", a, "inputs")
            guard inputs.rank == 3 else {
                throw ExperimentError(file: source.file, field: "inputs",
                    "inputs has shape \(formatShape(inputs.shape)); expected rank 3, \(spec.timeMajor ? "[time, batch, depth]" : "[batch, time, depth]")")
            }
            if let lengths = spec.sequenceLength {
                let batch = inputs.shape[spec.timeMajor ? 1 : 0]
                guard lengths.count == batch else {
                    throw ExperimentError(file: source.file, field: "sequence_length",
                        "has \(lengths.count) values, expected batch_size = \(batch) (from inputs \(formatShape(inputs.shape)))")
                }
            }
            return inputs
        } else {
            let b = spec.batchSize ?? 1, t = spec.maxTime ?? 1, d = spec.inputDepth ?? 1
            var rng = SplitMix64(seed: spec.seed &+ 0x5eed)
            let scale = spec.inputScale
            let doubles = (0..<(b * t * d)).map { _ in (rng.nextUniform() * 2 - 1) * scale }
            return try Tensor(shape: spec.timeMajor ? [t, b, d] : [b, t, d], scalars: scalars(from: doubles))
        }
    }

    /// The initial state of each pass (nil without `initial_state`): arrays named by their place in the state
    /// structure (`initial_state/c`, bidirectional `initial_state/1/0/h`).
    private static func loadInitialStates<Scalar: RNNScalar>(_ spec: ExperimentSpec, from source: ExperimentArrays<Scalar>) throws
        -> (forward: Nest<Tensor<Scalar>>?, backward: Nest<Tensor<Scalar>>?) {
        var initial: Nest<Tensor<Scalar>>?
        var initialBw: Nest<Tensor<Scalar>>?
        if let path = spec.initialState {
            let arrays = try source.archive("initial_state", path)
            func state(_ sizes: Nest<Int>, prefix: String) throws -> Nest<Tensor<Scalar>> {
                var missing: [String] = []
                let result = try sizes.flattenedWithPaths(under: prefix).map { (key, _) -> Tensor<Scalar> in
                    guard let a = arrays[key] else { missing.append(key); return Tensor(zeros: [0]) }
                    return try source.tensor("initial_state", a, key)
                }
                guard missing.isEmpty else {
                    let have = arrays.keys.filter { $0.hasPrefix("initial_state") }.sorted()
                    throw ExperimentError(file: source.file, field: "initial_state",
                        "\(path) lacks \(missing.joined(separator: ", ")) (the cell's state is \(sizes.structureDescription); found: \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
                }
                var iterator = result.makeIterator()
                return sizes.map { _ in iterator.next() ?? Tensor(zeros: [0]) }
            }
            for direction in spec.directions {
                let s = try state(spec.cell(for: direction).stateSize, prefix: spec.arrayName("initial_state", for: direction))
                if direction == .forward { initial = s } else { initialBw = s }
            }
        }
        return (initial, initialBw)
    }

    /// Reads, loads and runs an experiment file; returns the arrays `unroll run` writes.
    public static func runFile(_ url: URL, displayName: String? = nil) throws -> [(String, NumpyArray)] {
        let name = displayName ?? url.path
        let spec = try readSpec(url, displayName: name)
        let base = url.deletingLastPathComponent()
        func run<Scalar: RNNScalar>(_: Scalar.Type) throws -> [(String, NumpyArray)] {
            try load(spec, file: name, baseDirectory: base, as: Scalar.self).run().namedArrays()
        }
        return try run(spec.dtype.scalarType)
    }
}
