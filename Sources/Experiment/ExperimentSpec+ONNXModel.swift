import Foundation
import RNNEngine

/// An experiment that names an `.onnx` model file (`{"model": "NAME.onnx", "inputs": ..., "sequence_length":
/// ...}`): the file's node becomes the onnx experiment it is equivalent to (its attributes the cell fields, parsed
/// by the same code as the JSON form), its initializers the weights `W`, `R`, `B`, `P`, and the graph inputs
/// `initial_h` / `initial_c` come from the `inputs` archive under their graph names.
extension ExperimentSpec {
    static let modelField = "model"
    /// What an experiment naming a model file may give besides the model.
    static let modelFields = ["name", "description", "convention", modelField, "inputs", "sequence_length", "dtype", "time_major"]
    /// Fields the model file gives itself.
    static let fieldsOfTheModel = ["cell", "cell_bw", "weights", "bidirectional", "direction", "initial_state"]

    /// The experiment at `r`, which names a model file; `baseDirectory` is where it is looked up.
    static func parseModel(_ r: FieldReader, baseDirectory: URL?) throws -> ExperimentSpec {
        // The model file's extension picks its reader: Keras' in ExperimentSpec+KerasModel.swift.
        if let path = try r.string(modelField), KerasModelFile.handles(path) {
            return try parseKerasModel(r, path: path, baseDirectory: baseDirectory)
        }
        for key in fieldsOfTheModel where key != "initial_state" && r.has(key) {
            throw r.fail(key, "not with \"model\": the model file gives the cell, its direction, weights and initial state")
        }
        try r.onlyKeys(modelFields + ["initial_state"])
        guard let path = try r.string(modelField), path.hasSuffix(".onnx") else {
            throw r.fail(modelField, "expected the name of an .onnx, .keras or .h5 file")
        }
        if let c = try r.string("convention"), c != Convention.onnx.rawValue {
            throw r.fail("convention", "an .onnx model runs under \"onnx\", not \"\(c)\"")
        }
        guard let base = baseDirectory else { throw r.fail(modelField, "a model file is read only from an experiment file's folder") }
        guard let inputs = try r.string("inputs") else {
            throw r.fail("inputs", "missing: the .npz holding the graph input X as \"inputs\" (and initial_h / initial_c under their graph names)")
        }
        let model: ONNXModelFile
        do {
            let folder = URL(fileURLWithPath: base.path, isDirectory: true)
            let url = URL(fileURLWithPath: path, relativeTo: folder).standardizedFileURL
            let proto = try ONNXModelFile.read(url: url)
            // More than one node: an exported graph (`ONNXGraph`); one node: the single-node form.
            if proto.graph.node.count > 1 {
                return try parseGraph(r, path: path, graph: try ONNXGraph(model: proto, directory: url.deletingLastPathComponent()), inputs: inputs)
            }
            if r.has("initial_state") {
                throw r.fail("initial_state", "not with \"model\": the model file gives the cell, its direction, weights and initial state")
            }
            model = try ONNXModelFile(model: proto, directory: url.deletingLastPathComponent())
        } catch let p as ONNXModelFile.Problem {
            throw r.fail(modelField, "\(path): \(p.description)")
        }
        if let t = try r.bool("time_major"), t != model.timeMajor {
            throw r.fail("time_major", "is \(t), but the model's layout is \(model.timeMajor ? 0 : 1) (time_major \(model.timeMajor))")
        }
        if r.has("sequence_length") && !model.hasSequenceLens {
            throw r.fail("sequence_length", "the model's node has no sequence_lens input")
        }
        var object = r.object
        object[modelField] = nil
        object["convention"] = .string(Convention.onnx.rawValue)
        object["cell"] = model.cell
        object["direction"] = .string(model.direction)
        object["time_major"] = .bool(model.timeMajor)
        object["weights"] = .string(path)
        if !model.initialStates.isEmpty { object["initial_state"] = .string(Self.modelStateArchive(path, inputs: inputs)) }
        var spec: ExperimentSpec
        do {
            spec = try parse(FieldReader(file: r.file, path: "", value: .object(object, order: object.keys.sorted())))
        } catch let e as ExperimentError where ["cell", "direction", "time_major", "weights"].contains(where: { e.field.hasPrefix($0) }) {
            // The model's node, not the experiment file: named as the model's.
            throw r.fail(modelField, "\(path): the node's \(e.field): \(e.message)")
        }
        spec.modelFile = path
        spec.onnxModel = model
        return spec
    }

    /// An experiment naming an exported graph: the graph runs as it is (`ONNXGraph`); the spec's cell, direction and
    /// layout are its first recurrent node's, `time_major` says how `inputs` is laid out (the graph input as it is),
    /// `initial_state` holds the other graph inputs as `initial_state/NAME`, and `sequence_length` feeds an integer
    /// graph input (a `sequence_lens`).
    private static func parseGraph(_ r: FieldReader, path: String, graph: ONNXGraph, inputs: String) throws -> ExperimentSpec {
        guard var spec = graph.recurrentNodes.first?.recurrent else { throw r.fail(modelField, "\(path): the graph has no LSTM, GRU or RNN node") }
        if let d = try r.string("dtype"), d != DType.float32.rawValue {
            throw r.fail("dtype", "an exported ONNX graph runs in float32 (onnxruntime has no \(d) kernel for LSTM, GRU or RNN)")
        }
        let integerInputs = graph.inputs.filter(\.isInteger).map(\.name)
        if r.has("sequence_length") && integerInputs.isEmpty {
            throw r.fail("sequence_length", "the graph has no integer input (a sequence_lens) to take it")
        }
        if !integerInputs.isEmpty && !r.has("sequence_length") {
            throw r.fail("sequence_length", "missing: the graph's integer input \(SafeText.quote(integerInputs[0], limit: 60)) (a sequence_lens) takes it")
        }
        guard graph.inputs.contains(where: { !$0.isInteger }) else {
            throw r.fail(modelField, "\(path): the graph has no float input to take \"inputs\"")
        }
        let states = try r.string("initial_state")
        switch graph.stack() {
        case let .success(stack):
            // A plain stack: the torch experiment it is, its weights and h_0 / c_0 served by `provideModelArrays`.
            if let t = try r.bool("time_major"), t != stack.timeMajor {
                throw r.fail("time_major", "is \(t), but the graph reads its input \(stack.timeMajor ? "time-major" : "batch-major (through a Transpose)")")
            }
            var object: [String: JSONValue] = ["convention": .string(Convention.torch.rawValue), "cell": stack.cell,
                                               "bidirectional": .bool(stack.bidirectional), "time_major": .bool(stack.timeMajor),
                                               "weights": .string(path), "inputs": .string(inputs)]
            if stack.h0 != nil || stack.c0 != nil { object["initial_state"] = .string("\(states ?? inputs) (h_0, c_0 of \(path))") }
            do {
                spec = try parse(FieldReader(file: r.file, path: "", value: .object(object, order: object.keys.sorted())))
            } catch let e as ExperimentError {
                throw r.fail(modelField, "\(path): as PyTorch's module: \(e.field): \(e.message)")
            }
            spec.onnxStack = stack
        case .failure:
            spec.timeMajor = try r.bool("time_major") ?? false
            spec.inputs = inputs
        }
        spec.name = try r.string("name") ?? ""
        spec.description = try r.string("description") ?? ""
        spec.graphStates = states
        spec.sequenceLength = try r.intList("sequence_length")
        if let lengths = spec.sequenceLength, let bad = lengths.first(where: { $0 < 0 }) {
            throw r.fail("sequence_length", "has the negative length \(bad)")
        }
        spec.modelFile = path
        spec.onnxGraph = graph
        return spec
    }

    /// Runs an experiment naming an exported graph: the graph inputs from the experiment's arrays (the first float
    /// input is `inputs`' `inputs`; every other one `initial_state/NAME` in the `initial_state` archive, or `NAME` in
    /// `inputs`; an integer one is `sequence_length`), the graph's outputs by name.
    func runGraph(_ graph: ONNXGraph, file: String, baseDirectory: URL) throws -> [(String, NumpyArray)] {
        let given = try graphInputs(graph, from: ExperimentArrays<Float>(file: file, baseDirectory: baseDirectory))
        let path = modelFile ?? "model"
        do {
            return try graph.run(given)
        } catch let p as ONNXModelFile.Problem {
            throw ExperimentError(file: file, field: ExperimentSpec.modelField, "\(path): \(p.description)")
        }
    }

    /// The graph inputs of `graph` from the experiment's arrays, by graph input name (see `runGraph`).
    func graphInputs<Scalar>(_ graph: ONNXGraph, from arrays: ExperimentArrays<Scalar>) throws -> [String: NumpyArray] {
        let file = arrays.file, path = modelFile ?? "model"
        guard let inputs else { throw ExperimentError(file: file, field: "inputs", "missing") }
        let initialState = graphStates
        var given: [String: NumpyArray] = [:]
        var first = true
        for input in graph.inputs {
            let name = input.name, quoted = SafeText.quote(input.name, limit: 60)
            var found: NumpyArray?
            var field = "inputs"
            if input.isInteger {
                let lengths = sequenceLength ?? []
                found = try NumpyArray(int64: lengths.map { Int64($0) }, shape: [lengths.count])
            } else if first {
                first = false
                guard let a = try arrays.array("inputs", inputs, "inputs") else {
                    throw ExperimentError(file: file, field: "inputs", "\(inputs) has no array named \"inputs\" (the graph input \(quoted) of \(path))")
                }
                found = a
            } else {
                if let state = initialState {
                    field = "initial_state"
                    found = try arrays.array("initial_state", state, "initial_state/" + name)
                }
                if found == nil { found = try arrays.array("inputs", inputs, name) }
                guard found != nil else {
                    var names = try arrays.keys("inputs", inputs)
                    if let state = initialState, state != inputs { names += try arrays.keys("initial_state", state) }
                    throw ExperimentError(file: file, field: field,
                        "no array for the graph input \(quoted) of \(path) (looked for \(initialState.map { "initial_state/\(name) in \($0) and " } ?? "")\(name) in \(inputs)); \(ClosestNames.found(names, closestTo: initialState == nil ? name : "initial_state/" + name))")
                }
            }
            if let a = found, let declared = input.dims, declared.count != a.shape.count
                || zip(declared, a.shape).contains(where: { $0 > 0 && $0 != $1 }) {
                throw ExperimentError(file: file, field: field,
                    "the graph input \(quoted) of \(path) is \(formatShape(declared.map { max($0, -1) })) (-1: any size); got \(formatShape(a.shape))")
            }
            given[name] = found
        }
        return given
    }

    /// Makes the experiment its JSON form (cells, weights, arrays named by its own fields): what a conversion writes.
    mutating func forgetModelFile() {
        modelFile = nil
        onnxModel = nil
        onnxGraph = nil
        onnxStack = nil
        graphStates = nil
    }

    /// The name under which the initial state a model file's experiment reads is served.
    private static func modelStateArchive(_ model: String, inputs: String) -> String { "\(inputs) (initial_h, initial_c of \(model))" }

    /// Serves the model file's arrays to `arrays`: the initializers as the weights archive, and the initial states
    /// (initializers, or graph inputs read from `inputs` under their graph names) as ONNX's `initial_state/...`.
    func provideModelArrays<Scalar>(to arrays: ExperimentArrays<Scalar>) throws {
        if let module = torchModule, let path = weights {
            arrays.provide(path, archive: TorchModuleArchive(try arrays.open("weights", path), module: module))
        }
        if let graph = onnxGraph, let stack = onnxStack, let path = modelFile {
            // An exported stack as PyTorch's module: its weights under PyTorch's names, h_0 / c_0 from the graph inputs.
            arrays.provide(path, stack.weights)
            if let state = initialState {
                let given = try graphInputs(graph, from: arrays)
                var states: [String: NumpyArray] = [:]
                if let h = stack.h0 { states["initial_state/h_0"] = given[h] }
                if let c = stack.c0 { states["initial_state/c_0"] = given[c] }
                arrays.provide(state, states)
            }
            return
        }
        guard let model = onnxModel, let path = modelFile else { return }
        arrays.provide(path, model.weights)
        guard let inputs, let state = initialState else { return }
        var states: [String: NumpyArray] = [:]
        for (slot, source) in model.initialStates {
            switch source {
            case let .initializer(a):
                states["initial_state/" + slot] = a
            case let .graphInput(name):
                guard let a = try arrays.array("inputs", inputs, name) else {
                    throw ExperimentError(file: arrays.file, field: "inputs",
                        "\(inputs) has no array named \"\(name)\" (the graph input that feeds the node's \(slot) in \(path))")
                }
                states["initial_state/" + slot] = a
            }
        }
        arrays.provide(state, states)
    }

    /// The experiment as JSON text when it names a model file: the model and what the experiment gives besides.
    func modelJSONData() throws -> Data {
        var d: [String: Any] = ["name": name, ExperimentSpec.modelField: modelFile ?? "", "time_major": timeMajor, "dtype": dtype.rawValue,
                                "convention": (kerasModel != nil ? convention : Convention.onnx).rawValue]
        if !description.isEmpty { d["description"] = description }
        if let i = inputs { d["inputs"] = i }
        if let s = sequenceLength { d["sequence_length"] = s }
        // A single node's initial state is among its inputs (the name here only says so); a graph's has its own archive.
        if onnxGraph != nil {
            if let s = graphStates { d["initial_state"] = s }
        } else if onnxModel == nil, let s = initialState {
            d["initial_state"] = s
        }
        writeKerasModelFields(into: &d)
        var data = try JSONSerialization.data(withJSONObject: d, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    /// The result names a model file's graph has (`Y`, `Y_h`, `Y_c` that are graph outputs); nil for the JSON form.
    var modelOutputs: [String]? { onnxModel?.outputs ?? onnxGraph?.outputs }
}
