import Foundation
import RNNEngine

/// An experiment file (JSON): the cell, the data layout, and where the arrays come from.
/// The format is described in docs/experiment-files.md; paths are relative to the file.
public struct ExperimentSpec: Equatable {
    public var name: String
    public var description: String
    public var cell: CellSpec
    /// The backward cell of a bidirectional run (defaults to a copy of `cell`).
    public var cellBackward: CellSpec?
    public var bidirectional: Bool
    /// One pass reading each row backward (ONNX's `"direction": "reverse"`; see `RNNModel.reverse`).
    public var reverse: Bool = false
    /// Whose rules the run follows (`"convention"`: `tf`, the default, `keras` or `torch`); it also says which
    /// framework's names the weights and results use.
    public var convention: Convention
    public var timeMajor: Bool
    public var dtype: DType
    public var sequenceLength: [Int]?
    /// `.npz` holding `mask`, bool `[batch, max_time]` (batch-major even when time-major), true where a step is
    /// valid: any pattern under keras, a prefix per row under tf and torch (`StepMask`). nil: no mask.
    public var mask: String?
    /// Keras' `Masking(mask_value=v)` in front of the layers (keras only): a step is masked where every feature of
    /// the inputs equals `v` in the experiment's dtype. At most one of `mask`, `maskValue`, `sequenceLength`.
    public var maskValue: Double?
    /// `.npz` with weights by TF variable name; nil: default weights from `seed`.
    public var weights: String?
    /// `.npz` holding `inputs`; nil: inputs generated from `batchSize`, `maxTime`, `inputDepth`, `seed`.
    public var inputs: String?
    /// `.npz` holding `initial_state/...`; nil: zero state.
    public var initialState: String?
    public var batchSize: Int?
    public var maxTime: Int?
    public var inputDepth: Int?
    public var seed: UInt64
    /// Scale of generated inputs (uniform in ±scale).
    public var inputScale: Double
    public var parallelIterations: Int
    public var swapMemory: Bool
    /// What `unroll run` differentiates (nil: no gradients).
    public var loss: LossSpec?
    /// The `.onnx` model file the experiment names (`"model"`), relative to its directory; nil for the JSON form.
    public internal(set) var modelFile: String?
    /// That model as read (its cell, weights and graph inputs).
    var onnxModel: ONNXModelFile?
    /// The Keras model file (`.keras`, `.h5`) the experiment names, as read; its ids file when it has an Embedding.
    var kerasModel: KerasModelFile?
    var kerasInputs: String?
    /// The module of a PyTorch weights file (`.pt`, `.safetensors`) whose parameters the experiment runs (`"module"`,
    /// the prefix of its keys without the dot; `""` for a bare module); nil for other weights.
    public internal(set) var torchModule: String?
    /// The exported graph the experiment names (`"model"`, more than one node), run by `ONNXGraph`.
    var onnxGraph: ONNXGraph?
    /// That graph as PyTorch's module, when it is a plain stack (`ONNXStack`): the spec is then its torch experiment.
    var onnxStack: ONNXStack?
    /// The archive an exported graph's other inputs come from (the experiment's `initial_state`).
    var graphStates: String?
    /// Arrays held in memory under a name the experiment uses as a path (`inputs`, `mask`, `initial_state`): what a
    /// command line gives a model file (`ModelFiles`: an `.npy`, seeded inputs, another experiment's inputs). Served
    /// in place of any file of that name; nothing is written to disk.
    public internal(set) var memoryArchives: [String: [String: NumpyArray]] = [:]

    public init(name: String, description: String = "", cell: CellSpec, cellBackward: CellSpec? = nil,
                bidirectional: Bool = false, convention: Convention = .tf, timeMajor: Bool = false, dtype: DType = .float32,
                sequenceLength: [Int]? = nil, weights: String? = nil, inputs: String? = nil,
                initialState: String? = nil, batchSize: Int? = nil, maxTime: Int? = nil, inputDepth: Int? = nil,
                seed: UInt64 = 0, inputScale: Double = 1, parallelIterations: Int = 32, swapMemory: Bool = false) {
        self.name = name
        self.description = description
        self.cell = cell
        self.cellBackward = cellBackward
        self.bidirectional = bidirectional
        self.convention = convention
        self.timeMajor = timeMajor
        self.dtype = dtype
        self.sequenceLength = sequenceLength
        self.weights = weights
        self.inputs = inputs
        self.initialState = initialState
        self.batchSize = batchSize
        self.maxTime = maxTime
        self.inputDepth = inputDepth
        self.seed = seed
        self.inputScale = inputScale
        self.parallelIterations = parallelIterations
        self.swapMemory = swapMemory
        self.loss = nil
    }

    /// The model the experiment runs: its cells, direction(s) and convention.
    public var model: RNNModel {
        RNNModel(cell: cell, cellBackward: cellBackward, bidirectional: bidirectional, convention: convention, reverse: reverse)
    }

    static let fields = ["name", "description", "convention", "cell", "cell_bw", "bidirectional", "time_major", "dtype",
                         "sequence_length", "mask", "mask_value", "weights", "inputs", "initial_state", "batch_size", "max_time",
                         "input_depth", "seed", "input_scale", "parallel_iterations", "swap_memory", "loss", "direction"]

    /// Largest `batch_size`, `max_time` or `input_depth` the parser accepts; memory is checked separately.
    static let maxDimension = 1 << 40

    /// Parses an experiment file's bytes; `file` names it in errors. A `"model"` file is looked up in
    /// `baseDirectory` (the experiment's folder; without one a model file is refused).
    public static func parse(_ data: Data, file: String, baseDirectory: URL? = nil) throws -> ExperimentSpec {
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch let e as JSONParseError {
            throw ExperimentError(file: file, field: "", e.message)
        }
        return try parse(json: json, file: file, baseDirectory: baseDirectory)
    }

    /// The experiment a parsed JSON value describes (an experiment file's, or one built in memory: `ModelFiles`).
    static func parse(json: JSONValue, file: String, baseDirectory: URL?) throws -> ExperimentSpec {
        let r = try FieldReader(file: file, path: "", value: json)
        if r.has(modelField) { return try parseModel(r, baseDirectory: baseDirectory) }
        if let spec = try parseTorchWeights(r, baseDirectory: baseDirectory) { return spec }
        return try parse(r)
    }

    /// The experiment at `r` (the JSON form).
    static func parse(_ r: FieldReader) throws -> ExperimentSpec {
        let file = r.file
        try r.onlyKeys(fields)
        var convention = Convention.tf
        if let c = try r.string("convention") {
            guard let parsed = Convention(rawValue: c) else {
                throw r.fail("convention", "unknown convention \"\(c)\"; one of \(Convention.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            convention = parsed
        }
        guard let cellReader = try r.child("cell") else { throw r.fail("cell", "missing: the cell to run") }
        var spec = ExperimentSpec(name: try r.string("name") ?? "", cell: try CellSpecJSON.parse(cellReader, convention: convention))
        spec.convention = convention
        spec.description = try r.string("description") ?? ""
        if let bw = try r.child("cell_bw") { spec.cellBackward = try CellSpecJSON.parse(bw, convention: convention) }
        spec.bidirectional = try r.bool("bidirectional") ?? false
        spec.timeMajor = try r.bool("time_major") ?? false
        if let d = try r.string("dtype") {
            guard let dt = DType(rawValue: d) else { throw r.fail("dtype", "unsupported dtype \"\(d)\"; float32 or float64") }
            spec.dtype = dt
        }
        spec.sequenceLength = try r.intList("sequence_length")
        spec.mask = try r.string("mask")
        spec.maskValue = try r.double("mask_value")
        let masks = ["sequence_length", "mask", "mask_value"].filter { r.has($0) && r.object[$0] != .null }
        if masks.count > 1 {
            throw r.fail(masks[1], "give at most one of sequence_length, mask and mask_value (this file gives \(masks.joined(separator: " and ")))")
        }
        if let v = spec.maskValue {
            guard convention == .keras else {
                throw r.fail("mask_value", "keras.layers.Masking is Keras'; under \(convention.rawValue) give the mask (\"mask\") or sequence_length")
            }
            guard v.isFinite else { throw r.fail("mask_value", "must be a finite number, got \(v)") }
        }
        spec.weights = try r.string("weights")
        spec.inputs = try r.string("inputs")
        spec.initialState = try r.string("initial_state")
        spec.batchSize = try r.int("batch_size", min: 1, max: maxDimension)
        spec.maxTime = try r.int("max_time", min: 0, max: maxDimension)
        spec.inputDepth = try r.int("input_depth", min: 1, max: maxDimension)
        spec.seed = UInt64(try r.int("seed", min: 0) ?? 0)
        spec.inputScale = try r.double("input_scale") ?? 1
        spec.parallelIterations = try r.int("parallel_iterations", min: 0) ?? 32
        spec.swapMemory = try r.bool("swap_memory") ?? false
        if let loss = r.object["loss"], loss != .null { spec.loss = try LossSpec.parse(loss, file: file) }
        if spec.cellBackward != nil && !spec.bidirectional {
            throw r.fail("cell_bw", "only used with \"bidirectional\": true")
        }
        try spec.readONNXFields(r, cell: cellReader)
        do {
            try spec.model.validate()
        } catch let e as RNNError {
            throw r.fail("cell", e.description)
        }
        if spec.inputs == nil {
            for key in ["batch_size", "max_time", "input_depth"] where !r.has(key) {
                throw r.fail(key, "missing: without \"inputs\", batch_size, max_time and input_depth say what to generate")
            }
        }
        if let lengths = spec.sequenceLength, let b = spec.batchSize, spec.inputs == nil, lengths.count != b {
            throw r.fail("sequence_length", "has \(lengths.count) values, expected batch_size = \(b)")
        }
        return spec
    }

    /// The experiment as JSON text (the same format `parse` reads), keys in a stable order.
    public func jsonData() throws -> Data {
        if modelFile != nil { return try modelJSONData() }
        var d: [String: Any] = ["name": name, "cell": CellSpecJSON.encode(cell, convention: convention),
                                "time_major": timeMajor, "dtype": dtype.rawValue]
        if convention != .tf { d["convention"] = convention.rawValue }
        if !description.isEmpty { d["description"] = description }
        if bidirectional { d["bidirectional"] = true }
        if let bw = cellBackward { d["cell_bw"] = CellSpecJSON.encode(bw, convention: convention) }
        if let s = sequenceLength { d["sequence_length"] = s }
        if let m = mask { d["mask"] = m }
        if let v = maskValue { d["mask_value"] = v }
        if let w = weights { d["weights"] = w }
        if let m = torchModule { d[ExperimentSpec.moduleField] = m }
        if let i = inputs { d["inputs"] = i }
        if let s = initialState { d["initial_state"] = s }
        if let b = batchSize { d["batch_size"] = b }
        if let t = maxTime { d["max_time"] = t }
        if let i = inputDepth { d["input_depth"] = i }
        if seed != 0 || inputs == nil { d["seed"] = Int(truncatingIfNeeded: seed) }
        if inputScale != 1 { d["input_scale"] = inputScale }
        if parallelIterations != 32 { d["parallel_iterations"] = parallelIterations }
        if swapMemory { d["swap_memory"] = true }
        if let loss { d["loss"] = loss.json }
        if convention == .onnx { writeONNXFields(into: &d) }
        var data = try JSONSerialization.data(withJSONObject: d, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }
}
