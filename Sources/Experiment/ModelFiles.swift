import Foundation
import RNNEngine

/// The one place that says what a file named on the command line is, an experiment (JSON) or a model file, and the
/// experiment a model file stands for: `.onnx`, `.keras`, `.h5` are `{"model": NAME}`; `.pt`, `.pth`,
/// `.safetensors` are `{"convention": "torch", "weights": NAME}`; a `.weights.h5` holds no architecture and is
/// refused. It also joins the command line's inputs to it (`CommandLineInputs`: `--inputs`, `--lengths`, `--mask`,
/// seeded inputs shaped by `--batch`, `--time`, `--seed`). The experiment is built in memory as the JSON object it
/// stands for and goes through the parser every experiment file goes through, so a format another reader adds
/// (`parseModel`, `ArrayArchives.open`) is opened here with no change; arrays the command line gives as `.npy` and
/// seeded inputs are served from memory (`ExperimentSpec.memoryArchives`), never written to disk.
public enum ModelFiles {
    /// What a file's name says it holds.
    public enum Kind: Equatable, Sendable {
        /// An experiment file (JSON; any name that is not a model file's).
        case experiment
        /// A model file holding its architecture and weights: the experiment `{"model": NAME}`.
        case model
        /// A PyTorch state_dict: the experiment `{"convention": "torch", "weights": NAME}` (the architecture is
        /// read from the names and shapes of its arrays).
        case torchWeights
    }

    /// Model files by how their name ends, a longer ending before one it ends with (`.weights.h5` before `.h5`);
    /// nil: refused, with the reason.
    static let endings: [(ending: String, kind: Kind?)] = [
        (".weights.h5", nil), (".onnx", .model), (".keras", .model), (".h5", .model),
        (".pt", .torchWeights), (".pth", .torchWeights), (".safetensors", .torchWeights),
    ]

    /// The model-file endings, for help texts.
    public static var modelEndings: [String] { endings.compactMap { $0.kind == nil ? nil : $0.ending } }

    /// What the file at `path` is, by its name (case-insensitive). Throws, naming the file, for a Keras
    /// `.weights.h5`: it holds weights alone, so it is named by an experiment that gives the cell.
    public static func kind(of path: String) throws -> Kind {
        let name = path.lowercased()
        guard let match = endings.first(where: { name.hasSuffix($0.ending) }) else { return .experiment }
        guard let kind = match.kind else {
            throw ExperimentError(file: path, field: "",
                "a .weights.h5 file holds weights but no architecture; write an experiment with \"cell\", \"convention\": \"keras\" and \"weights\": \"\(URL(fileURLWithPath: path).lastPathComponent)\"")
        }
        return kind
    }

    /// The experiment a model file stands for (its path as given; the experiment is read relative to the
    /// current directory).
    static func experimentObject(_ path: String, kind: Kind) -> [String: JSONValue] {
        switch kind {
        case .experiment: return [:]
        case .model: return [ExperimentSpec.modelField: .string(path)]
        case .torchWeights: return ["convention": .string(Convention.torch.rawValue), "weights": .string(path)]
        }
    }

    /// An experiment ready to load: its spec, how errors name it and the folder its paths are relative to.
    public struct Opened {
        public var spec: ExperimentSpec
        public let file: String
        public let baseDirectory: URL
    }

    /// Inputs, and how masking applies to them, handed from one loaded experiment to another (`unroll compare A B`
    /// runs B on A's inputs): the inputs in their layout, and the masking to use where the receiver has none.
    public struct HandedInputs {
        /// How the inputs are named in messages.
        public let name: String
        public let inputs: NumpyArray
        public let timeMajor: Bool
        public let sequenceLength: [Int]?
        /// A bool `[batch, max_time]` mask (true where a step is valid), when the sender masks steps.
        public let mask: NumpyArray?

        public init(name: String, inputs: NumpyArray, timeMajor: Bool, sequenceLength: [Int]?, mask: NumpyArray?) {
            self.name = name
            self.inputs = inputs
            self.timeMajor = timeMajor
            self.sequenceLength = sequenceLength
            self.mask = mask
        }
    }

    /// Opens the file at `path` (an experiment or a model file) with the command line's `options`: a model file
    /// becomes the experiment it stands for, its inputs read from `--inputs` or seeded; an experiment file keeps
    /// its own fields except those the options replace. `handed` (for `compare`) replaces the inputs, and gives
    /// its masking where neither the options nor the experiment give any. Errors are `ExperimentError`s naming
    /// the file and the field or option.
    public static func open(_ path: String, options: CommandLineInputs = CommandLineInputs(), handed: HandedInputs? = nil) throws -> Opened {
        let kind = try kind(of: path)
        if kind == .experiment && options.isEmpty && handed == nil {
            let url = URL(fileURLWithPath: path)
            return Opened(spec: try ExperimentLoader.readSpec(url, displayName: path), file: path, baseDirectory: url.deletingLastPathComponent())
        }
        try options.check(file: path, isModel: kind != .experiment, handed: handed != nil)
        let base: URL
        var object: [String: JSONValue]
        // A model file's experiment lives in the current directory, so every path is read as the user typed it; an
        // experiment file's paths are relative to its folder, so the options' paths are made absolute.
        let given: (String) -> String
        if kind == .experiment {
            let url = URL(fileURLWithPath: path)
            base = url.deletingLastPathComponent()
            guard case let .object(o, _) = try ExperimentLoader.readJSON(url, displayName: path) else {
                return Opened(spec: try ExperimentLoader.readSpec(url, displayName: path), file: path, baseDirectory: base)
            }
            object = o
            given = { URL(fileURLWithPath: $0).standardizedFileURL.path }
        } else {
            base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
            object = experimentObject(path, kind: kind)
            object["name"] = .string(URL(fileURLWithPath: path).lastPathComponent)
            given = { $0 }
        }
        var memory: [String: [String: NumpyArray]] = [:]
        // Which experiment field each option set, so the parser's complaint about it names the option.
        var setBy: [String: String] = [:]
        func setMasking(_ field: String, _ value: JSONValue, option: String) {
            for f in ["sequence_length", "mask", "mask_value"] { object[f] = nil }
            object[field] = value
            setBy[field] = option
        }
        if let handed {
            object["inputs"] = .string(handed.name)
            setBy["inputs"] = "inputs of \(handed.name)"
        } else if let inputs = options.inputs {
            let name = given(inputs)
            setBy["inputs"] = "--inputs"
            if inputs.lowercased().hasSuffix(".npy") {
                memory[name] = ["inputs": try readNpy(inputs, file: path, option: "--inputs")]
            } else {
                // An archive: `inputs`, and the initial state and mask beside it when it holds them.
                let keys = try archiveKeys(inputs, file: path, option: "--inputs")
                if keys.contains(where: { $0.hasPrefix("initial_state/") }) {
                    object["initial_state"] = .string(name)
                    setBy["initial_state"] = "--inputs"
                }
                if keys.contains("mask") && options.lengths == nil && options.mask == nil {
                    setMasking("mask", .string(name), option: "--inputs")
                }
            }
            object["inputs"] = .string(name)
        } else if kind != .experiment {
            object["inputs"] = .string(seededName)
            setBy["inputs"] = "--inputs"
        }
        if let lengths = options.lengths {
            setMasking("sequence_length", .array(lengths.map { .int($0) }), option: "--lengths")
        } else if let mask = options.mask {
            let name = given(mask)
            if mask.lowercased().hasSuffix(".npy") {
                memory[name] = ["mask": try readNpy(mask, file: path, option: "--mask")]
            } else {
                _ = try archiveKeys(mask, file: path, option: "--mask")
            }
            setMasking("mask", .string(name), option: "--mask")
        } else if let handed, !["sequence_length", "mask", "mask_value"].contains(where: { object[$0] != nil && object[$0] != .null }) {
            if let lengths = handed.sequenceLength {
                setMasking("sequence_length", .array(lengths.map { .int($0) }), option: "masking of \(handed.name)")
            } else if let mask = handed.mask {
                memory[handed.name + " (mask)"] = ["mask": mask]
                setMasking("mask", .string(handed.name + " (mask)"), option: "masking of \(handed.name)")
            }
        }
        var spec: ExperimentSpec
        do {
            spec = try ExperimentSpec.parse(json: .object(object, order: object.keys.sorted()), file: path, baseDirectory: base)
        } catch let e as ExperimentError {
            throw renamed(e, setBy)
        }
        spec.memoryArchives = memory
        do {
            if let handed {
                spec.memoryArchives[handed.name] = ["inputs": try relaid(handed.inputs, from: handed.timeMajor, to: spec.timeMajor, dtype: spec.dtype, file: path)]
            } else if kind != .experiment && options.inputs == nil {
                spec.memoryArchives[seededName] = ["inputs": try seededInputs(for: spec, options: options, file: path, baseDirectory: base)]
            }
        } catch let e as ExperimentError {
            throw renamed(e, setBy)
        }
        return Opened(spec: spec, file: path, baseDirectory: base)
    }

    /// The name under which a model file's seeded inputs are served.
    static let seededName = "(seeded inputs)"

    /// `e`, its field named as the option that set it when one did.
    private static func renamed(_ e: ExperimentError, _ setBy: [String: String]) -> ExperimentError {
        guard let option = setBy[e.field] else { return e }
        let message = e.message.hasPrefix("unknown field")
            ? "this file's experiment takes no \"\(e.field)\" (\(e.message))" : e.message
        return ExperimentError(file: e.file, field: option, message)
    }

    /// The `.npy` file at `path` (only a regular file; its size checked against the memory budget).
    private static func readNpy(_ path: String, file: String, option: String) throws -> NumpyArray {
        do {
            let data = try RegularFile(path: path).readAll(limit: MemoryBudget.byteLimit)
            return try Npy.decode(data, name: path)
        } catch let p as RegularFile.Problem {
            throw ExperimentError(file: file, field: option, "\(path): \(p.description)")
        } catch let e as NumpyError {
            throw ExperimentError(file: file, field: option, e.description)
        }
    }

    /// The keys of the array archive at `path` (its directory only; nothing is decoded).
    private static func archiveKeys(_ path: String, file: String, option: String) throws -> [String] {
        do {
            return try ArrayArchives.open(URL(fileURLWithPath: path)).keys
        } catch let e as NumpyError {
            throw ExperimentError(file: file, field: option, "\(path): \(e.problem)")
        }
    }

    /// `inputs` (rank 3, time-major or not as `timeMajor`) in `target`'s layout and `dtype`.
    private static func relaid(_ inputs: NumpyArray, from timeMajor: Bool, to target: Bool, dtype: DType, file: String) throws -> NumpyArray {
        func convert<S: RNNScalar>(_: S.Type) throws -> NumpyArray {
            let values: [S]
            switch inputs.storage {
            case let .float32(v): values = scalars(from: v)
            case let .float64(v): values = scalars(from: v)
            default: throw ExperimentError(file: file, field: "inputs", "the handed inputs have dtype \(inputs.dtype.rawValue); expected float32 or float64")
            }
            let t = try ExperimentError.located(file: file, field: "inputs") { try Tensor<S>(shape: inputs.shape, scalars: values) }
            return try NumpyArray(timeMajor != target && t.rank == 3 ? t.transposedFirstTwo() : t)
        }
        return dtype == .float32 ? try convert(Float.self) : try convert(Double.self)
    }

    /// Seeded inputs for the model of `spec`, uniform in ±1: `[batch, time, depth]` (time-major as the model
    /// is), `depth` what the model's weights say it reads (`inputDepth`), in the model's dtype.
    private static func seededInputs(for spec: ExperimentSpec, options: CommandLineInputs, file: String, baseDirectory: URL) throws -> NumpyArray {
        // A graph input besides X (an .onnx node's initial_h fed by the graph) has no seeded value.
        let graphInputs = (spec.onnxModel?.initialStates ?? [:]).compactMap { slot, source -> String? in
            if case let .graphInput(name) = source { return name } else { return nil }
        }.sorted()
        if !graphInputs.isEmpty {
            throw ExperimentError(file: file, field: "--inputs",
                "the model's graph also takes \(graphInputs.joined(separator: " and ")), which seeded inputs cannot give; give --inputs FILE.npz holding inputs and \(graphInputs.joined(separator: ", "))")
        }
        let batch = options.batch ?? options.lengths?.count ?? CommandLineInputs.defaultBatch
        let time = options.time ?? max(CommandLineInputs.defaultTime, options.lengths?.max() ?? 0)
        let seed = options.seed ?? 0
        // A model that looks integer ids up (an Embedding): ids in [1, input_dim) (0 is the padding id a mask_zero
        // Embedding masks), [batch, time] or [time, batch].
        if let vocabulary = spec.embeddingInputDim {
            guard Double(batch) * Double(time) * 4 <= MemoryBudget.limit else {
                throw ExperimentError(file: file, field: "--batch/--time",
                    "seeded ids of [\(batch), \(time)] need \(formatBytes(Double(batch) * Double(time) * 4)), more than the memory budget \(formatBytes(MemoryBudget.limit))")
            }
            return try seededIDs(count: batch * time, vocabulary: vocabulary, seed: seed, shape: spec.timeMajor ? [time, batch] : [batch, time])
        }
        let depth = try inputDepth(of: spec, file: file, baseDirectory: baseDirectory)
        let bytes = Double(batch) * Double(time) * Double(depth) * Double(spec.dtype == .float32 ? 4 : 8)
        guard bytes <= MemoryBudget.limit else {
            throw ExperimentError(file: file, field: "--batch/--time",
                "seeded inputs of [\(batch), \(time), \(depth)] need \(formatBytes(bytes)), more than the memory budget \(formatBytes(MemoryBudget.limit))")
        }
        let shape = spec.timeMajor ? [time, batch, depth] : [batch, time, depth]
        if spec.dtype == .float32 {
            let v: [Float] = ExperimentLoader.seededInputs(count: batch * time * depth, seed: seed, scale: 1)
            return try NumpyArray(float32: v, shape: shape)
        }
        let v: [Double] = ExperimentLoader.seededInputs(count: batch * time * depth, seed: seed, scale: 1)
        return try NumpyArray(float64: v, shape: shape)
    }

    /// `count` seeded int32 ids in [1, `vocabulary`) ([0, 1) when the vocabulary is a single id).
    static func seededIDs(count: Int, vocabulary: Int, seed: UInt64, shape: [Int]) throws -> NumpyArray {
        var rng = SplitMix64(seed: seed &+ 0x5eed)
        let low = vocabulary > 1 ? 1 : 0, span = max(vocabulary - low, 1)
        let ids = (0..<count).map { _ in Int32(truncatingIfNeeded: low + min(Int(rng.nextUniform() * Double(span)), span - 1)) }
        return try NumpyArray(int32: ids, shape: shape)
    }

    /// The input size the model reads, as its weights say: the first weight whose shape depends on the input size
    /// (its layout, `WeightLayouts.frameworkShapes`, at sizes 1 and 2 tells which axis and how), read from the
    /// header of that array in the model's weights. No array is decoded.
    static func inputDepth(of spec: ExperimentSpec, file: String, baseDirectory: URL) throws -> Int {
        func fail(_ why: String) -> ExperimentError {
            ExperimentError(file: file, field: "--inputs", "cannot make seeded inputs: \(why); give --inputs FILE.npy|.npz")
        }
        guard let weights = spec.weights else { throw fail("the model names no weights to tell its input size") }
        let arrays = ExperimentArrays<Float>(file: file, baseDirectory: baseDirectory)
        if let inputs = spec.inputs, spec.memoryArchives[inputs] == nil { arrays.provide(inputs, [:]) }
        // Only the weights are needed here: a reader's complaint about the inputs not yet made is not one.
        try? ExperimentLoader.provideHeldArrays(spec, to: arrays)
        let one: [(name: String, shape: [Int])], two: [(name: String, shape: [Int])]
        do {
            one = try WeightLayouts.frameworkShapes(model: spec.model, inputDepth: 1)
            two = try WeightLayouts.frameworkShapes(model: spec.model, inputDepth: 2)
        } catch let e as RNNError {
            throw fail("its weights' layout is unknown (\(e.description))")
        }
        for (a, b) in zip(one, two) where a.name == b.name && a.shape.count == b.shape.count {
            guard let axis = a.shape.indices.first(where: { a.shape[$0] != b.shape[$0] }) else { continue }
            let step = b.shape[axis] - a.shape[axis], base = a.shape[axis] - step
            guard try arrays.keys("weights", weights).contains(a.name) else {
                throw fail("\(weights) has no array \(a.name) (\(spec.convention.frameworkName) names)")
            }
            let found = try arrays.info("weights", weights, a.name).shape
            guard found.count == a.shape.count, step > 0, found[axis] > base, (found[axis] - base) % step == 0 else {
                throw fail("\(weights): \(a.name) has shape \(formatShape(found)), which fits no input size")
            }
            return (found[axis] - base) / step
        }
        throw fail("no weight of the model depends on its input size")
    }
}

extension ExperimentSpec {
    /// The number of integer ids the model's first layer looks up (an Embedding's `input_dim`), asked of the loaded
    /// model; nil when it reads features. The Keras model reader answers here (its Embedding layer's input_dim).
    var embeddingInputDim: Int? { kerasModel?.embedding?.inputDim }

    /// Names the model file at `path` instead (a saved experiment names it relative to its own folder); nothing for
    /// an experiment that names no model file.
    public mutating func renameModelFile(_ path: String) {
        guard modelFile != nil else { return }
        modelFile = path
        weights = path
    }
}

/// The command line's inputs for a file (`--inputs`, `--lengths`, `--mask`, and for a model file's seeded inputs
/// `--batch`, `--time`, `--seed`).
public struct CommandLineInputs: Equatable, Sendable {
    /// `--inputs`: an `.npy` (the inputs X) or an `.npz` (`inputs`, and optional `initial_state/...` and `mask`).
    public var inputs: String?
    /// `--lengths`: `sequence_length`, one per example.
    public var lengths: [Int]?
    /// `--mask`: an `.npy` (the bool `[batch, max_time]` mask) or an `.npz` holding `mask`.
    public var mask: String?
    /// `--batch`, `--time`: the shape of seeded inputs (defaults `defaultBatch`, or the number of `--lengths`,
    /// and `defaultTime`, or the longest length).
    public var batch: Int?
    public var time: Int?
    /// `--seed`: the seed of seeded inputs (default 0).
    public var seed: UInt64?

    public static let defaultBatch = 4
    public static let defaultTime = 8

    public init(inputs: String? = nil, lengths: [Int]? = nil, mask: String? = nil, batch: Int? = nil, time: Int? = nil, seed: UInt64? = nil) {
        self.inputs = inputs
        self.lengths = lengths
        self.mask = mask
        self.batch = batch
        self.time = time
        self.seed = seed
    }

    /// No option given.
    public var isEmpty: Bool { self == CommandLineInputs() }

    /// Refuses options that contradict each other or the file.
    func check(file: String, isModel: Bool, handed: Bool) throws {
        func fail(_ option: String, _ why: String) -> ExperimentError { ExperimentError(file: file, field: option, why) }
        if lengths != nil && mask != nil { throw fail("--mask", "give --lengths or --mask, not both") }
        let seeding = [("--batch", batch != nil), ("--time", time != nil), ("--seed", seed != nil)].filter(\.1).map(\.0)
        if let option = seeding.first {
            if !isModel {
                throw fail(option, "shapes the seeded inputs of a model file; an experiment gives batch_size, max_time and seed")
            }
            if inputs != nil || handed { throw fail(option, "shapes seeded inputs; not with --inputs") }
        }
        if let b = batch, !(1...ExperimentSpec.maxDimension).contains(b) { throw fail("--batch", "must be at least 1, got \(b)") }
        if let t = time, !(1...ExperimentSpec.maxDimension).contains(t) { throw fail("--time", "must be at least 1, got \(t)") }
        if let b = batch, let l = lengths, l.count != b {
            throw fail("--lengths", "has \(l.count) values, expected --batch = \(b)")
        }
    }
}
