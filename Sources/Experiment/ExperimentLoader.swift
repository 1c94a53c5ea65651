import Foundation
import RNNEngine

/// Reads an experiment file and the arrays it names.
public enum ExperimentLoader {
    /// The largest experiment file read (its arrays live in .npz files; a long `sequence_length` list fits easily).
    public static let maxSpecFileBytes = 16 << 20

    /// Parses the experiment file at `url`; `displayName` is how errors name it (default: the path).
    public static func readSpec(_ url: URL, displayName: String? = nil) throws -> ExperimentSpec {
        let name = displayName ?? url.path
        return try ExperimentSpec.parse(json: readJSON(url, displayName: name), file: name, baseDirectory: url.deletingLastPathComponent())
    }

    /// The experiment file at `url` as parsed JSON (not yet checked as an experiment).
    static func readJSON(_ url: URL, displayName name: String) throws -> JSONValue {
        let data: Data
        // Only a regular file: a FIFO or device would block or never end.
        do {
            data = try RegularFile(path: url.path).readAll(limit: maxSpecFileBytes)
        } catch let problem as RegularFile.Problem {
            let text = problem.description.hasPrefix("is a directory")
                ? "is a directory; expected an experiment file (.json)" : problem.description
            throw ExperimentError(file: name, field: "", text)
        }
        do {
            return try JSONValue.parse(data)
        } catch let e as JSONParseError {
            throw ExperimentError(file: name, field: "", e.message)
        }
    }

    /// Loads the arrays `spec` names (relative to `baseDirectory`) as tensors of `Scalar`, or generates them.
    /// Only the entries the experiment uses are decoded, and only once the sizes their headers declare, with the
    /// experiment's own estimate, fit the memory budget. With `shapesOnly` (for `unroll shapes`) the inputs are
    /// neither read nor generated: only their shape is known (`inputShape`), and the experiment cannot run.
    /// With `converting` (for `unroll convert`) the budget also counts the copies the conversion makes.
    public static func load<Scalar: RNNScalar>(_ spec: ExperimentSpec, file: String, baseDirectory: URL,
                                               as _: Scalar.Type = Scalar.self,
                                               shapesOnly: Bool = false, converting: Bool = false) throws -> LoadedExperiment<Scalar> {
        if let graph = spec.onnxGraph, spec.onnxStack == nil {
            let why = if case let .failure(p) = graph.stack() { p.description } else { "" }
            throw ExperimentError(file: file, field: ExperimentSpec.modelField,
                "\(spec.modelFile ?? "") is an exported graph (\(graph.summary)) that is not a plain PyTorch stack (\(why)): unroll run computes it; stepping through it, its shapes, comparing and converting it are not supported")
        }
        let arrays = ExperimentArrays<Scalar>(file: file, baseDirectory: baseDirectory)
        try provideHeldArrays(spec, to: arrays)
        try checkBudget(spec, arrays: arrays, work: shapesOnly ? .shapes : converting ? .convert : .run)

        let (inputs, inputShape) = try loadInputs(spec, from: arrays, shapesOnly: shapesOnly)

        // Weights: every float array under the run's scope; defaults from the seed when no file is given.
        // Keras and PyTorch weights are converted from their framework's names and layouts to the engine's.
        let scope = spec.scope + "/"
        var weights: [String: Tensor<Scalar>] = [:]
        // `shapes` reads the weights' headers alone, wherever the layouts list the model's arrays.
        let headerShapes = try shapesOnly ? weightHeaderShapes(spec, from: arrays, inputDepth: inputShape.last ?? 0) : nil
        if let path = spec.weights, headerShapes == nil {
            if spec.convention == .tf {
                for (name, array) in try arrays.archive("weights", path, where: { $0.hasPrefix(scope) }) {
                    weights[name] = try arrays.tensor("weights", array, "weight \(name)")
                }
            } else {
                do {
                    weights = try WeightLayouts.engineArrays(model: spec.model, inputDepth: inputShape.last ?? 0) { name in
                        try arrays.array("weights", path, name).map { try arrays.tensor("weights", $0, "weight \(name)") }
                    }
                } catch let e as RNNError {
                    // A missing array: the names the file holds, closest first (a state_dict's `encoder.weight_ih_l0`).
                    var found = ""
                    if case let .missingWeight(name, _) = e { found = "; " + ClosestNames.found(try arrays.keys("weights", path), closestTo: name) }
                    throw ExperimentError(file: file, field: "weights", "\(path): \(e.description) (\(spec.convention.frameworkName) names)\(found)")
                }
            }
        }
        let store = VariableStore(arrays: weights, missing: spec.weights == nil ? .initialize(seed: spec.seed) : .fail)

        let batch = inputShape[spec.timeMajor ? 1 : 0]
        let (initial, initialBw) = switch spec.convention {
        case .torch: try loadTorchInitialStates(spec, from: arrays, batch: batch)
        case .onnx: try loadONNXInitialStates(spec, from: arrays, batch: batch)
        case .tf, .keras: try loadInitialStates(spec, from: arrays)
        }
        var loaded = LoadedExperiment(spec: spec, file: file, inputs: inputs, store: store,
                                      initialState: initial, initialStateBackward: initialBw, inputShape: inputShape,
                                      givenWeightShapes: headerShapes)
        loaded.stepMask = try loadMask(spec, from: arrays, inputs: inputs, inputShape: inputShape, shapesOnly: shapesOnly)
        if loaded.maskDroppedByInitialState { loaded.stepMask = nil }
        // Loss cotangents: every array under loss/ in the loss file.
        if case let .file(path)? = spec.loss {
            for (name, array) in try arrays.archive("loss", path, where: { $0.hasPrefix("loss/") }) {
                loaded.lossArrays[name] = try arrays.tensor("loss", array, name)
            }
            guard !loaded.lossArrays.isEmpty else {
                throw ExperimentError(file: file, field: "loss", "\(path) has no loss/... arrays (expected loss/outputs and/or loss/state/...)")
            }
        }
        return loaded
    }

    /// Serves the arrays the experiment holds rather than names in files: the command line's (`memoryArchives`)
    /// first, as a model file's graph inputs may be read from them, then a model file's own. The one place every
    /// model-file reader's arrays are served from (loading, and `ModelFiles` asking a model its input size).
    static func provideHeldArrays<Scalar: RNNScalar>(_ spec: ExperimentSpec, to arrays: ExperimentArrays<Scalar>) throws {
        for (name, archive) in spec.memoryArchives { arrays.provide(name, archive) }
        try spec.provideModelArrays(to: arrays)
        try spec.provideKerasArrays(to: arrays)
    }

    /// Refuses the experiment when its estimate (with the real input shape) plus the arrays it reads from files
    /// exceed the memory budget, from the `.npy` headers alone (nothing is decoded yet). The arrays counted are
    /// the ones the experiment uses: `inputs`, the weights under its scope (those a Keras or PyTorch layout
    /// names), `initial_state...` and `loss/...`; no other entry's header is read.
    private static func checkBudget<Scalar: RNNScalar>(_ spec: ExperimentSpec, arrays: ExperimentArrays<Scalar>,
                                                       work: MemoryBudget.Work) throws {
        var inputShape: [Int]?
        var fileBytes = 0.0
        if let path = spec.inputs, try arrays.keys("inputs", path).contains("inputs") {
            let info = try arrays.info("inputs", path, "inputs")
            if info.shape.count == 3 { inputShape = info.shape } else { fileBytes += Double(info.byteCount) }
        }
        let scope = spec.scope + "/"
        // A Keras or PyTorch file's arrays are the ones its layout reads; its other entries are never read (a
        // model the layouts refuse is refused when its weights are read, before any is decoded).
        let inputDepth = inputShape?.last ?? spec.inputDepth ?? 1
        let frameworkNames = Set(((try? WeightLayouts.frameworkShapes(model: spec.model, inputDepth: inputDepth)) ?? []).map(\.name))
        var used: [(field: String, path: String?, isUsed: (String) -> Bool)] = [
            ("weights", spec.weights, { spec.convention == .tf ? $0.hasPrefix(scope) : frameworkNames.contains($0) }),
            ("initial_state", spec.initialState, { $0.hasPrefix("initial_state") }),
            ("mask", spec.mask, { $0 == "mask" }),
        ]
        if case let .file(path)? = spec.loss { used.append(("loss", path, { $0.hasPrefix("loss/") })) }
        for (field, path, isUsed) in used {
            guard let path else { continue }
            for key in try arrays.keys(field, path) where isUsed(key) {
                fileBytes += Double(try arrays.info(field, path, key).byteCount)
            }
        }
        try MemoryBudget.check(spec, file: arrays.file, inputShape: inputShape, extraBytes: fileBytes, work: work)
    }

    /// For `unroll shapes`: the given weights' shapes by TF name from their `.npy` headers alone, checked as loading
    /// them checks them (a Keras or PyTorch array missing, of another shape or dtype fails with the same message);
    /// nil when the experiment names no weights or the layouts cannot list its arrays (a stack nested in a stack),
    /// which are then loaded.
    private static func weightHeaderShapes<Scalar: RNNScalar>(_ spec: ExperimentSpec, from arrays: ExperimentArrays<Scalar>,
                                                              inputDepth: Int) throws -> [String: [Int]]? {
        guard let path = spec.weights,
              (try? WeightLayouts.frameworkShapes(model: spec.model, inputDepth: inputDepth)) != nil else { return nil }
        func checkDType(_ info: NpzArchive.ArrayInfo, _ name: String) throws {
            guard info.dtype.rawValue == Scalar.dtype.rawValue else {
                throw ExperimentError(file: arrays.file, field: "weights",
                    RNNError.dtypeMismatch("weight \(name) has dtype \(info.dtype.rawValue), expected \(Scalar.dtype.rawValue)").description)
            }
        }
        var shapes: [String: [Int]] = [:]
        if spec.convention == .tf {
            let scope = spec.scope + "/"
            for name in try arrays.keys("weights", path) where name.hasPrefix(scope) {
                let info = try arrays.info("weights", path, name)
                try checkDType(info, name)
                shapes[name] = info.shape
            }
            return shapes
        }
        let keys = Set(try arrays.keys("weights", path))
        let model = spec.model
        var absentOptional: [String] = []
        do {
            for layer in model.layers(inputDepth: inputDepth) {
                for (name, expected) in try WeightLayouts.layout(model.convention).arrays(layer, in: model) {
                    if !keys.contains(name) && model.convention == .torch && TorchLayout.mayBeAbsent(name, from: keys) { continue }
                    guard keys.contains(name) else {
                        // ONNX's optional inputs (`B`) are zeros when absent, as loading reads them.
                        if model.convention == .onnx && ONNXLayout.optionalArrays.contains(name) {
                            absentOptional.append(name)
                            continue
                        }
                        throw RNNError.missingWeight(name: name, expected: expected)
                    }
                    let info = try arrays.info("weights", path, name)
                    try checkDType(info, name)
                    guard info.shape == expected else { throw RNNError.weightShape(name: name, expected: expected, found: info.shape) }
                }
                for (name, shape) in try TensorFlowLayout.arrays(layer, in: model) { shapes[name] = shape }
            }
        } catch let e as RNNError {
            var found = ""
            if case let .missingWeight(name, _) = e { found = "; " + ClosestNames.found(try arrays.keys("weights", path), closestTo: name) }
            throw ExperimentError(file: arrays.file, field: "weights", "\(path): \(e.description) (\(spec.convention.frameworkName) names)\(found)")
        }
        // Absent optional arrays, under their framework names with an empty shape: ShapeReport says they are zeros.
        for name in absentOptional { shapes[name] = [] }
        return shapes
    }

    /// The experiment's inputs and their shape: the array `inputs` of the archive it names (checked against
    /// `sequence_length`), or generated from the seed. With `shapesOnly`, only the header is read (nothing is
    /// generated) and the tensor is an empty placeholder.
    private static func loadInputs<Scalar: RNNScalar>(_ spec: ExperimentSpec, from source: ExperimentArrays<Scalar>,
                                                      shapesOnly: Bool) throws -> (Tensor<Scalar>, [Int]) {
        if let path = spec.inputs {
            guard try source.keys("inputs", path).contains("inputs") else {
                throw ExperimentError(file: source.file, field: "inputs", "\(path) has no array named \"inputs\"")
            }
            let info = try source.info("inputs", path, "inputs")
            guard info.dtype == .float32 || info.dtype == .float64 else {
                throw ExperimentError(file: source.file, field: "inputs", "inputs has dtype \(info.dtype.rawValue); RNN inputs must be float32 or float64")
            }
            guard info.shape.count == 3 else {
                throw ExperimentError(file: source.file, field: "inputs",
                    "inputs has shape \(formatShape(info.shape)); expected rank 3, \(spec.timeMajor ? "[time, batch, depth]" : "[batch, time, depth]")")
            }
            if let lengths = spec.sequenceLength {
                let batch = info.shape[spec.timeMajor ? 1 : 0]
                guard lengths.count == batch else {
                    throw ExperimentError(file: source.file, field: "sequence_length",
                        "has \(lengths.count) values, expected batch_size = \(batch) (from inputs \(formatShape(info.shape)))")
                }
            }
            if shapesOnly {
                guard info.dtype.rawValue == Scalar.dtype.rawValue else {
                    throw ExperimentError(file: source.file, field: "inputs",
                        RNNError.dtypeMismatch("inputs has dtype \(info.dtype.rawValue), expected \(Scalar.dtype.rawValue)").description)
                }
                return (Tensor(zeros: [0]), info.shape)
            }
            guard let a = try source.array("inputs", path, "inputs") else {
                throw ExperimentError(file: source.file, field: "inputs", "\(path) has no array named \"inputs\"")
            }
            let inputs = try source.tensor("inputs", a, "inputs")
            return (inputs, inputs.shape)
        } else {
            let b = spec.batchSize ?? 1, t = spec.maxTime ?? 1, d = spec.inputDepth ?? 1
            let shape = spec.timeMajor ? [t, b, d] : [b, t, d]
            if shapesOnly { return (Tensor(zeros: [0]), shape) }
            return (try generatedInputs(spec, shape: shape), shape)
        }
    }

    /// The inputs the seed gives an experiment without an `inputs` file, of `shape` (in the spec's layout): uniform
    /// in ±`input_scale`, in the order of the scalars.
    static func generatedInputs<Scalar: RNNScalar>(_ spec: ExperimentSpec, shape: [Int]) throws -> Tensor<Scalar> {
        try Tensor(shape: shape, scalars: seededInputs(count: shape.reduce(1, *), seed: spec.seed, scale: spec.inputScale))
    }

    /// `count` seeded inputs, uniform in ±`scale`: what an experiment without `inputs` runs on (and a model file
    /// given no `--inputs`, `ModelFiles`).
    static func seededInputs<Scalar: RNNScalar>(count: Int, seed: UInt64, scale: Double) -> [Scalar] {
        var rng = SplitMix64(seed: seed &+ 0x5eed)
        // Straight into the run's scalar type: no intermediate array of every element as Double.
        if Scalar.self == Float.self {
            return unsafeBitCast((0..<count).map { _ in Float((rng.nextUniform() * 2 - 1) * scale) }, to: [Scalar].self)
        }
        return (0..<count).map { _ in Scalar((rng.nextUniform() * 2 - 1) * scale) }
    }

    /// The step mask: the array `mask` of the archive `"mask"` names (bool `[batch, max_time]`, batch-major whatever
    /// the layout; every byte 0 or 1), or Keras' `Masking(mask_value)` on the inputs; nil without either (and for
    /// `mask_value` when only the shapes are loaded).
    private static func loadMask<Scalar: RNNScalar>(_ spec: ExperimentSpec, from source: ExperimentArrays<Scalar>,
                                                    inputs: Tensor<Scalar>, inputShape: [Int], shapesOnly: Bool) throws -> StepMask? {
        func fail(_ message: String) -> ExperimentError { ExperimentError(file: source.file, field: "mask", message) }
        let (batch, time) = (inputShape[spec.timeMajor ? 1 : 0], inputShape[spec.timeMajor ? 0 : 1])
        if let v = spec.maskValue {
            if shapesOnly { return nil }
            do {
                return try StepMask.masking(inputs, value: Scalar(v), timeMajor: spec.timeMajor)
            } catch let e as RNNError {
                throw ExperimentError(file: source.file, field: "mask_value", e.description)
            }
        }
        guard let path = spec.mask else { return nil }
        guard try source.keys("mask", path).contains("mask") else { throw fail("\(path) has no array named \"mask\"") }
        let info = try source.info("mask", path, "mask")
        guard info.dtype == .bool else {
            throw fail("\(path): mask has dtype \(info.dtype.rawValue); expected bool ('|b1'), true where a step is valid")
        }
        guard info.shape == [batch, time] else {
            throw fail("\(path): mask has shape \(formatShape(info.shape)); expected [batch, max_time] = \(formatShape([batch, time])) (batch-major even when time-major, from inputs \(formatShape(inputShape)))")
        }
        guard let array = try source.array("mask", path, "mask"), case let .bool(bytes) = array.storage else {
            throw fail("\(path) has no array named \"mask\"")
        }
        if let i = bytes.firstIndex(where: { $0 > 1 }) {
            throw fail("\(path): mask[\(i / max(time, 1)), \(i % max(time, 1))] holds the byte \(bytes[i]); a NumPy bool is 0 or 1")
        }
        do {
            return try StepMask(valid: bytes.map { $0 == 1 }, batchSize: batch, maxTime: time)
        } catch let e as RNNError {
            throw fail(e.description)
        }
    }

    /// The initial state of each pass (nil without `initial_state`): arrays named by their place in the state
    /// structure (`initial_state/c`, bidirectional `initial_state/1/0/h`).
    private static func loadInitialStates<Scalar: RNNScalar>(_ spec: ExperimentSpec, from source: ExperimentArrays<Scalar>) throws
        -> (forward: Nest<Tensor<Scalar>>?, backward: Nest<Tensor<Scalar>>?) {
        var initial: Nest<Tensor<Scalar>>?
        var initialBw: Nest<Tensor<Scalar>>?
        if let path = spec.initialState {
            let arrays = try source.archive("initial_state", path, where: { $0.hasPrefix("initial_state") })
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
        let arrays = try source.archive("initial_state", path, where: { $0.hasPrefix("initial_state") })
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

    /// ONNX's `initial_state/initial_h` and `initial_state/initial_c` (`[num_directions, batch, H]`, batch-major
    /// `[batch, num_directions, H]`), either absent for zeros, split into the engine's per-direction states (a lone
    /// reverse pass is the first); nil without `initial_state`.
    private static func loadONNXInitialStates<Scalar: RNNScalar>(_ spec: ExperimentSpec, from source: ExperimentArrays<Scalar>,
                                                                 batch: Int) throws
        -> (forward: Nest<Tensor<Scalar>>?, backward: Nest<Tensor<Scalar>>?) {
        guard let path = spec.initialState else { return (nil, nil) }
        let arrays = try source.archive("initial_state", path, where: { $0.hasPrefix("initial_state") })
        let names = ["initial_state/initial_h", "initial_state/initial_c"]
        guard names.contains(where: { arrays[$0] != nil }) else {
            let have = arrays.keys.filter { $0.hasPrefix("initial_state") }.sorted()
            throw ExperimentError(file: source.file, field: "initial_state",
                "\(path) has neither initial_state/initial_h nor initial_state/initial_c (ONNX's initial_h and initial_c; found: \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
        }
        let h = try arrays[names[0]].map { try source.tensor("initial_state", $0, names[0]) }
        let c = try arrays[names[1]].map { try source.tensor("initial_state", $0, names[1]) }
        do {
            let states = try ONNXStateLayout.split(h: h, c: c, model: spec.model, batch: batch, timeMajor: spec.timeMajor)
            return (states.first, states.count > 1 ? states[1] : nil)
        } catch let e as RNNError {
            throw ExperimentError(file: source.file, field: "initial_state", "\(path): \(e.description)")
        }
    }

    /// Reads, loads and runs an experiment file; returns the arrays `unroll run` writes.
    /// `note` receives the model file's one-line note (a Keras head skipped) once the run has succeeded.
    public static func runFile(_ url: URL, displayName: String? = nil, note: (String) -> Void = { _ in }) throws -> [(String, NumpyArray)] {
        let name = displayName ?? url.path
        let spec = try readSpec(url, displayName: name)
        return try run(ModelFiles.Opened(spec: spec, file: name, baseDirectory: url.deletingLastPathComponent()), note: note)
    }

    /// Loads and runs an opened experiment or model file (`ModelFiles.open`); returns the arrays `unroll run` writes.
    /// `note` receives the model file's one-line note (a Keras head skipped) once the run has succeeded.
    public static func run(_ opened: ModelFiles.Opened, note: (String) -> Void = { _ in }) throws -> [(String, NumpyArray)] {
        let spec = opened.spec
        if let graph = spec.onnxGraph { return try spec.runGraph(graph, file: opened.file, baseDirectory: opened.baseDirectory) }
        func run<Scalar: RNNScalar>(_: Scalar.Type) throws -> [(String, NumpyArray)] {
            try arrays(load(spec, file: opened.file, baseDirectory: opened.baseDirectory, as: Scalar.self))
        }
        let results = try run(spec.dtype.scalarType)
        if let n = spec.modelNote { note(n) }
        return results
    }

    /// What `unroll run` writes for a loaded experiment: the results, and the gradients when it names a loss.
    static func arrays<Scalar: RNNScalar>(_ loaded: LoadedExperiment<Scalar>) throws -> [(String, NumpyArray)] {
        guard loaded.spec.loss != nil else {
            let results = try loaded.spec.mergedKerasResults(loaded.run().namedArrays())
            // A model file's results are the node's output slots its graph has.
            guard let outputs = loaded.spec.modelOutputs else { return results }
            return results.filter { outputs.contains($0.0) }
        }
        let g = try loaded.gradients()
        return try g.result.namedArrays() + g.namedArrays()
    }
}
