import Foundation
import RNNEngine

/// Reads an experiment file and the arrays it names.
public enum ExperimentLoader {
    /// The largest experiment file read (its arrays live in .npz files; a long `sequence_length` list fits easily).
    public static let maxSpecFileBytes = 64 << 20

    /// Parses the experiment file at `url`; `displayName` is how errors name it (default: the path).
    public static func readSpec(_ url: URL, displayName: String? = nil) throws -> ExperimentSpec {
        let name = displayName ?? url.path
        let data: Data
        do {
            data = try RegularFile(path: url.path).readAll(limit: maxSpecFileBytes)
        } catch let problem as RegularFile.Problem {
            throw ExperimentError(file: name, field: "", problem.description)
        }
        return try ExperimentSpec.parse(data, file: name)
    }

    /// Loads the arrays `spec` names (relative to `baseDirectory`) as tensors of `Scalar`, or generates them.
    /// With `shapesOnly` (for `unroll shapes`) the inputs are neither read nor generated: only their shape is
    /// known (`inputShape`), and the experiment cannot run.
    public static func load<Scalar: RNNScalar>(_ spec: ExperimentSpec, file: String, baseDirectory: URL,
                                               as _: Scalar.Type = Scalar.self,
                                               shapesOnly: Bool = false) throws -> LoadedExperiment<Scalar> {
        // Archives are opened (directories listed) first; an entry is decoded only when the experiment uses it,
        // and only after the sizes every used entry declares have passed the memory budget together.
        var opened: [String: NpzArchive] = [:]
        func open(_ field: String, _ relative: String) throws -> NpzArchive {
            if let a = opened[relative] { return a }
            let url = URL(fileURLWithPath: relative, relativeTo: baseDirectory).standardizedFileURL
            do {
                let a = try NpzArchive(url)
                opened[relative] = a
                return a
            } catch let e as NumpyError {
                let missing = e.problem.hasPrefix("no such file") ? " (looked in \(baseDirectory.path))" : ""
                throw ExperimentError(file: file, field: field, "\(SafeText.quote(relative)): \(e.problem)\(missing)")
            }
        }
        func located<T>(_ field: String, _ relative: String, _ body: () throws -> T) throws -> T {
            do {
                return try body()
            } catch let e as NumpyError {
                throw ExperimentError(file: file, field: field, "\(SafeText.quote(relative)): \(e.description)")
            }
        }
        // The arrays a field uses from its archive (one archive may serve several fields).
        func archive(_ field: String, _ relative: String) throws -> [String: NumpyArray] {
            let a = try open(field, relative)
            return try located(field, relative) { try a.arrays(a.keys.filter { uses(field, $0) }) }
        }
        let scope = spec.bidirectional ? "bidirectional_rnn/" : "rnn/"
        func uses(_ field: String, _ key: String) -> Bool {
            switch field {
            case "inputs": return key == "inputs"
            case "weights": return key.hasPrefix(scope)
            default: return key.hasPrefix("initial_state")
            }
        }

        // The budget, from what the used entries declare (their headers alone are read).
        var inputShape: [Int]?
        var fileBytes = 0.0
        for (field, path) in [("inputs", spec.inputs), ("weights", spec.weights), ("initial_state", spec.initialState)] {
            guard let path else { continue }
            let a = try open(field, path)
            for key in a.keys where uses(field, key) {
                let info = try located(field, path) { try a.info(key) }
                if field == "inputs" && info.shape.count == 3 { inputShape = info.shape } else { fileBytes += Double(info.byteCount) }
            }
        }
        func tensor(_ field: String, _ array: NumpyArray, _ name: String) throws -> Tensor<Scalar> {
            do {
                return try array.tensor(Scalar.self, name: name)
            } catch let e as RNNError {
                throw ExperimentError(file: file, field: field, e.description)
            }
        }

        try MemoryBudget.check(spec, file: file, inputShape: inputShape, extraBytes: fileBytes)

        // Inputs: from the archive, or generated from the seed.
        // With `shapesOnly`, the inputs' header alone is read and nothing is generated: the placeholder has no
        // elements, `LoadedExperiment.inputShape` holds the shape.
        let inputs: Tensor<Scalar>
        let shapeOfInputs: [Int]
        if let path = spec.inputs {
            let a = try open("inputs", path)
            guard a.keys.contains("inputs") else {
                throw ExperimentError(file: file, field: "inputs", "\(path) has no array named \"inputs\"")
            }
            let info = try located("inputs", path) { try a.info("inputs") }
            guard info.dtype == .float32 || info.dtype == .float64 else {
                throw ExperimentError(file: file, field: "inputs", "inputs has dtype \(info.dtype.rawValue); RNN inputs must be float32 or float64")
            }
            guard info.shape.count == 3 else {
                throw ExperimentError(file: file, field: "inputs",
                    "inputs has shape \(formatShape(info.shape)); expected rank 3, \(spec.timeMajor ? "[time, batch, depth]" : "[batch, time, depth]")")
            }
            if let lengths = spec.sequenceLength {
                let batch = info.shape[spec.timeMajor ? 1 : 0]
                guard lengths.count == batch else {
                    throw ExperimentError(file: file, field: "sequence_length",
                        "has \(lengths.count) values, expected batch_size = \(batch) (from inputs \(formatShape(info.shape)))")
                }
            }
            if shapesOnly {
                guard info.dtype.rawValue == Scalar.dtype.rawValue else {
                    throw ExperimentError(file: file, field: "inputs",
                        RNNError.dtypeMismatch("inputs has dtype \(info.dtype.rawValue), expected \(Scalar.dtype.rawValue)").description)
                }
                inputs = Tensor(zeros: [0])
            } else {
                guard let array = try archive("inputs", path)["inputs"] else {
                    throw ExperimentError(file: file, field: "inputs", "\(path) has no array named \"inputs\"")
                }
                inputs = try tensor("inputs", array, "inputs")
            }
            shapeOfInputs = info.shape
        } else if shapesOnly {
            let b = spec.batchSize ?? 1, t = spec.maxTime ?? 1, d = spec.inputDepth ?? 1
            inputs = Tensor(zeros: [0])
            shapeOfInputs = spec.timeMajor ? [t, b, d] : [b, t, d]
        } else {
            let b = spec.batchSize ?? 1, t = spec.maxTime ?? 1, d = spec.inputDepth ?? 1
            var rng = SplitMix64(seed: spec.seed &+ 0x5eed)
            let scale = spec.inputScale
            // Straight into the run's scalar type: no intermediate array of every element as Double.
            let generated: [Scalar]
            if Scalar.self == Float.self {
                generated = unsafeBitCast((0..<(b * t * d)).map { _ in Float((rng.nextUniform() * 2 - 1) * scale) }, to: [Scalar].self)
            } else {
                generated = (0..<(b * t * d)).map { _ in Scalar((rng.nextUniform() * 2 - 1) * scale) }
            }
            inputs = try Tensor(shape: spec.timeMajor ? [t, b, d] : [b, t, d], scalars: generated)
            shapeOfInputs = inputs.shape
        }

        // Weights: every float array under the run's scope; defaults from the seed when no file is given.
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
                                initialState: initial, initialStateBackward: initialBw, inputShape: shapeOfInputs)
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
