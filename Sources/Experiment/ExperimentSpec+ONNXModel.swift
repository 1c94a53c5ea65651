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
        for key in fieldsOfTheModel where r.has(key) {
            throw r.fail(key, "not with \"model\": the model file gives the cell, its direction, weights and initial state")
        }
        try r.onlyKeys(modelFields)
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
            model = try ONNXModelFile(url: URL(fileURLWithPath: path, relativeTo: folder).standardizedFileURL)
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

    /// The name under which the initial state a model file's experiment reads is served.
    private static func modelStateArchive(_ model: String, inputs: String) -> String { "\(inputs) (initial_h, initial_c of \(model))" }

    /// Serves the model file's arrays to `arrays`: the initializers as the weights archive, and the initial states
    /// (initializers, or graph inputs read from `inputs` under their graph names) as ONNX's `initial_state/...`.
    func provideModelArrays<Scalar>(to arrays: ExperimentArrays<Scalar>) throws {
        if let module = torchModule, let path = weights {
            arrays.provide(path, archive: TorchModuleArchive(try arrays.open("weights", path), module: module))
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
                                "convention": convention.rawValue]
        if !description.isEmpty { d["description"] = description }
        if let i = inputs { d["inputs"] = i }
        if let s = sequenceLength { d["sequence_length"] = s }
        writeKerasModelFields(into: &d)
        var data = try JSONSerialization.data(withJSONObject: d, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }

    /// The result names a model file's graph has (`Y`, `Y_h`, `Y_c` that are graph outputs); nil for the JSON form.
    var modelOutputs: [String]? { onnxModel?.outputs }
}
