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
        let arrays = ExperimentArrays<Scalar>(file: file, baseDirectory: baseDirectory)
        try MemoryBudget.check(spec, file: file)

        let inputs = try loadInputs(spec, from: arrays)

        // Weights: every float array under the run's scope; defaults from the seed when no file is given.
        // Keras and PyTorch weights are converted from their framework's names and layouts to the engine's.
        let scope = spec.scope + "/"
        var weights: [String: Tensor<Scalar>] = [:]
        if let path = spec.weights {
            let archive = try arrays.archive("weights", path)
            if spec.convention == .tf {
                for (name, array) in archive where name.hasPrefix(scope) {
                    weights[name] = try arrays.tensor("weights", array, "weight \(name)")
                }
            } else {
                do {
                    weights = try WeightLayouts.engineArrays(model: spec.model, inputDepth: inputs.shape.last ?? 0) { name in
                        try archive[name].map { try arrays.tensor("weights", $0, "weight \(name)") }
                    }
                } catch let e as RNNError {
                    throw ExperimentError(file: file, field: "weights", "\(path): \(e.description) (\(spec.convention.frameworkName) names)")
                }
            }
        }
        let store = VariableStore(arrays: weights, missing: spec.weights == nil ? .initialize(seed: spec.seed) : .fail)

        let (initial, initialBw) = spec.convention == .torch
            ? try loadTorchInitialStates(spec, from: arrays, batch: inputs.shape[spec.timeMajor ? 1 : 0])
            : try loadInitialStates(spec, from: arrays)
        var loaded = LoadedExperiment(spec: spec, file: file, inputs: inputs, store: store,
                                      initialState: initial, initialStateBackward: initialBw)
        // Loss cotangents: every array under loss/ in the loss file.
        if case let .file(path)? = spec.loss {
            for (name, array) in try arrays.archive("loss", path) where name.hasPrefix("loss/") {
                loaded.lossArrays[name] = try arrays.tensor("loss", array, name)
            }
            guard !loaded.lossArrays.isEmpty else {
                throw ExperimentError(file: file, field: "loss", "\(path) has no loss/... arrays (expected loss/outputs and/or loss/state/...)")
            }
        }
        return loaded
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

    /// PyTorch's `initial_state/h_0` (and `c_0` for an LSTM), `[layers * directions, batch, size]`, split into the
    /// engine's per-direction states (nil without `initial_state`).
    private static func loadTorchInitialStates<Scalar: RNNScalar>(_ spec: ExperimentSpec, from source: ExperimentArrays<Scalar>,
                                                                  batch: Int) throws
        -> (forward: Nest<Tensor<Scalar>>?, backward: Nest<Tensor<Scalar>>?) {
        guard let path = spec.initialState else { return (nil, nil) }
        let arrays = try source.archive("initial_state", path)
        guard let h = arrays["initial_state/h_0"] else {
            let have = arrays.keys.filter { $0.hasPrefix("initial_state") }.sorted()
            throw ExperimentError(file: source.file, field: "initial_state",
                "\(path) lacks initial_state/h_0 (PyTorch's h_0, [layers * directions, batch, hidden]; found: \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
        }
        let h0 = try source.tensor("initial_state", h, "initial_state/h_0")
        let c0 = try arrays["initial_state/c_0"].map { try source.tensor("initial_state", $0, "initial_state/c_0") }
        do {
            let states = try TorchStateLayout.split(h0: h0, c0: c0, model: spec.model, batch: batch)
            return (states.first, states.count > 1 ? states[1] : nil)
        } catch let e as RNNError {
            throw ExperimentError(file: source.file, field: "initial_state", "\(path): \(e.description)")
        }
    }

    /// Reads, loads and runs an experiment file; returns the arrays `unroll run` writes.
    public static func runFile(_ url: URL, displayName: String? = nil) throws -> [(String, NumpyArray)] {
        let name = displayName ?? url.path
        let spec = try readSpec(url, displayName: name)
        let base = url.deletingLastPathComponent()
        func run<Scalar: RNNScalar>(_: Scalar.Type) throws -> [(String, NumpyArray)] {
            try arrays(load(spec, file: name, baseDirectory: base, as: Scalar.self))
        }
        return try run(spec.dtype.scalarType)
    }

    /// What `unroll run` writes for a loaded experiment: the results, and the gradients when it names a loss.
    static func arrays<Scalar: RNNScalar>(_ loaded: LoadedExperiment<Scalar>) throws -> [(String, NumpyArray)] {
        guard loaded.spec.loss != nil else { return try loaded.run().namedArrays() }
        let g = try loaded.gradients()
        return try g.result.namedArrays() + g.namedArrays()
    }
}
