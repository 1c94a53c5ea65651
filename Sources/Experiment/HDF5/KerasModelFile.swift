import Foundation
import RNNEngine

/// A Keras model file: Keras 3's `.keras` (a zip of `config.json`, `metadata.json` and `model.weights.h5`, the
/// HDF5 opened from memory) or tf-keras' legacy `.h5` (the config in the root attribute `model_config`, weights
/// under `model_weights/<layer name>/<weight name>`). The config's layers become the keras-convention experiment
/// they are equivalent to: `InputLayer`, then an optional `Masking` or `Embedding`, then `SimpleRNN` / `LSTM` /
/// `GRU` layers (a stack) or one `Bidirectional`; what follows the last recurrent layer is the head, not run
/// (`skipped` says what). Any other layer before it is refused by class and name, and so are options Unroll does not
/// run. The format, measured on Keras 3.15 and tf-keras 2.21, is in `../shared/conformance/README.md`, "Model files".
final class KerasModelFile: Equatable {
    /// Why the file cannot be run, in one line (the caller names the file).
    struct Problem: Error, CustomStringConvertible { let description: String }

    static func == (a: KerasModelFile, b: KerasModelFile) -> Bool { a === b }

    /// Whether `path` names a Keras model file.
    static func handles(_ path: String) -> Bool {
        (path.hasSuffix(".keras") || path.hasSuffix(".h5")) && !path.hasSuffix(".weights.h5")
    }

    /// The largest `config.json` read.
    static let maxConfigBytes = 16 << 20

    /// One layer of the config.
    struct Layer {
        let className: String
        let name: String
        let config: [String: JSONValue]
        /// `Class "name"`, as messages name a layer.
        var label: String { "\(className) \"\(SafeText.quote(name, limit: 60))\"" }
    }

    /// A recurrent layer of the model as Unroll runs it.
    struct Recurrent {
        let layer: Layer
        /// The layer's cell as an experiment's cell JSON (keras convention).
        let cell: JSONValue
        let useBias: Bool
        /// Inside `Bidirectional`: the backward layer's cell when it differs from the forward one.
        var backwardCell: JSONValue?
        var backwardUseBias: Bool
        /// Where the weights are: Keras 3's group (`layers/lstm`), or the legacy layer name.
        var group: String
    }

    struct EmbeddingLayer {
        let layer: Layer
        let inputDim: Int
        let outputDim: Int
        let maskZero: Bool
        /// The table's dataset path in the HDF5 file.
        let path: String
    }

    let url: URL
    let legacy: Bool
    let file: HDF5File
    /// The recurrent layers in order (one when `bidirectional`).
    let recurrent: [Recurrent]
    let bidirectional: Bool
    /// `Bidirectional`'s `merge_mode` (`concat`, `sum`, `mul`, `ave`), nil for `None` or without Bidirectional.
    let mergeMode: String?
    let dtype: DType
    /// `Masking`'s layer and `mask_value`.
    let masking: (layer: Layer, value: Double)?
    let embedding: EmbeddingLayer?
    /// The layers after the last recurrent one, not run.
    let skipped: [Layer]

    /// The one stderr line `unroll run` prints when a head is skipped (nil when there is none).
    var skippedNote: String? {
        guard !skipped.isEmpty, let last = recurrent.last else { return nil }
        return "note: \(url.lastPathComponent): skipped the head after \(last.layer.label): \(skipped.map(\.label).joined(separator: ", ")) (not run; outputs are \(last.layer.label)'s)"
    }

    /// The layer that makes the model's own mask, if any.
    var maskLayer: Layer? { masking?.layer ?? (embedding?.maskZero == true ? embedding?.layer : nil) }

    /// Reads the model at `url` (a `.keras` or legacy `.h5` file): its config, and the HDF5 holding its weights.
    init(url: URL) throws {
        self.url = url
        let configText: Data
        if url.path.hasSuffix(".keras") {
            legacy = false
            let zip: ZipReader
            do {
                zip = try ZipReader(path: url.path)
            } catch let p as ZipReader.Problem {
                throw Problem(description: "not a complete zip archive (truncated, or not a .keras file): \(p.description)")
            }
            func entry(_ name: String, limit: Int) throws -> Data {
                guard let e = zip.entries.first(where: { $0.name == name }) else {
                    throw Problem(description: "the archive has no \(name) (a .keras file holds config.json, metadata.json and model.weights.h5); \(ClosestNames.found(zip.entries.map(\.name), closestTo: name))")
                }
                guard e.uncompressedSize <= UInt64(limit) else {
                    throw Problem(description: "\(name) is \(formatBytes(Double(e.uncompressedSize))), more than the \(formatBytes(Double(limit))) allowed")
                }
                var data = Data()
                do {
                    try zip.extract(e) { piece in data.append(piece); return true }
                } catch let p as ZipReader.Problem {
                    throw Problem(description: "\(name): \(p.description)")
                }
                return data
            }
            configText = try entry("config.json", limit: KerasModelFile.maxConfigBytes)
            let image = try entry("model.weights.h5", limit: MemoryBudget.byteLimit)
            do { file = try HDF5File(image: image) } catch let p as HDF5File.Problem { throw Problem(description: "model.weights.h5: \(p.description)") }
        } else {
            legacy = true
            do {
                file = try HDF5File(path: url.path)
                guard let text = try file.string("model_config", of: "") else {
                    throw Problem(description: "no model_config attribute: a weights-only HDF5 file? (a legacy .h5 model saved by model.save(\"m.h5\") has one; for a .weights.h5 give \"convention\": \"keras\", \"cell\" and \"weights\")")
                }
                configText = Data(text.utf8)
            } catch let p as HDF5File.Problem {
                throw Problem(description: p.description)
            }
        }
        let config: JSONValue
        do { config = try JSONValue.parse(configText) } catch let e as JSONParseError {
            throw Problem(description: "its model config is \(e.message)")
        }
        let parsed = try KerasModelFile.layers(of: config)
        var counted: [Layer] = []   // the layers Keras 3 numbers in its weights file
        for l in parsed.layers where !(parsed.sequential && l.className == "InputLayer") { counted.append(l) }
        let groups = Dictionary(zip(counted.map(\.name), KerasWeightPaths.groupNames(counted.map(\.className))), uniquingKeysWith: { a, _ in a })

        let recurrentClasses = ["SimpleRNN", "LSTM", "GRU", "Bidirectional"]
        guard let last = parsed.layers.lastIndex(where: { recurrentClasses.contains($0.className) }) else {
            if let other = parsed.layers.first(where: { !["InputLayer", "Masking", "Embedding"].contains($0.className) }) {
                throw Problem(description: "no recurrent layer (SimpleRNN, LSTM, GRU or Bidirectional) to run; \(other.label) is a layer Unroll does not run")
            }
            throw Problem(description: "no recurrent layer (SimpleRNN, LSTM, GRU or Bidirectional) to run")
        }
        var recurrent: [Recurrent] = [], bidirectional = false, mergeMode: String?
        var masking: (layer: Layer, value: Double)?, embedding: EmbeddingLayer?
        var dtypes: [(Layer, DType)] = []
        for l in parsed.layers[...last] {
            let mask = masking?.layer ?? embedding?.layer
            switch l.className {
            case "InputLayer":
                continue
            case "Masking", "Embedding":
                if let first = recurrent.first {
                    throw Problem(description: "\(l.label) after \(first.layer.label): Unroll runs Masking or Embedding only in front of the recurrent layers")
                }
                if let m = mask { throw Problem(description: "\(l.label) after \(m.label): Unroll runs one Masking or Embedding layer") }
                if l.className == "Masking" {
                    masking = (l, try KerasModelFile.number(l, "mask_value") ?? 0)
                } else {
                    guard let inDim = KerasModelFile.int(l.config["input_dim"]), inDim >= 1,
                          let outDim = KerasModelFile.int(l.config["output_dim"]), outDim >= 1 else {
                        throw Problem(description: "\(l.label): input_dim and output_dim must be positive integers")
                    }
                    let maskZero = try KerasModelFile.flag(l, "mask_zero") ?? false
                    let path = try KerasModelFile.embeddingPath(file: file, legacy: legacy, layer: l, group: groups[l.name] ?? "embedding")
                    embedding = EmbeddingLayer(layer: l, inputDim: inDim, outputDim: outDim, maskZero: maskZero, path: path)
                }
            case "SimpleRNN", "LSTM", "GRU":
                if bidirectional, let b = recurrent.first {
                    throw Problem(description: "\(l.label) after \(b.layer.label): Unroll runs a stack of SimpleRNN/LSTM/GRU layers or one Bidirectional layer")
                }
                let cell = try KerasModelFile.cell(l, insideBidirectional: false)
                dtypes.append((l, cell.dtype))
                recurrent.append(Recurrent(layer: l, cell: cell.json, useBias: cell.useBias, backwardCell: nil,
                                           backwardUseBias: cell.useBias, group: legacy ? l.name : "layers/" + (groups[l.name] ?? "")))
            case "Bidirectional":
                if let b = recurrent.first {
                    throw Problem(description: "\(l.label) after \(b.layer.label): Unroll runs a stack of SimpleRNN/LSTM/GRU layers or one Bidirectional layer")
                }
                bidirectional = true
                guard let inner = KerasModelFile.layer(l.config["layer"]), ["SimpleRNN", "LSTM", "GRU"].contains(inner.className) else {
                    throw Problem(description: "\(l.label) wraps \(KerasModelFile.layer(l.config["layer"])?.label ?? "no layer"); Unroll runs Bidirectional over SimpleRNN, LSTM or GRU")
                }
                let forward = try KerasModelFile.cell(inner, insideBidirectional: true)
                dtypes.append((inner, forward.dtype))
                var r = Recurrent(layer: l, cell: forward.json, useBias: forward.useBias, backwardCell: nil, backwardUseBias: forward.useBias,
                                  group: legacy ? l.name : "layers/" + (groups[l.name] ?? ""))
                if let back = KerasModelFile.layer(l.config["backward_layer"]) {
                    guard ["SimpleRNN", "LSTM", "GRU"].contains(back.className) else {
                        throw Problem(description: "\(l.label)'s backward layer is \(back.label); Unroll runs SimpleRNN, LSTM or GRU")
                    }
                    let b = try KerasModelFile.cell(back, insideBidirectional: true)
                    dtypes.append((back, b.dtype))
                    if b.json != forward.json { r.backwardCell = b.json }
                    r.backwardUseBias = b.useBias
                }
                switch l.config["merge_mode"] {
                case nil: mergeMode = "concat"
                case .null?: mergeMode = nil
                case let .string(m)? where ["concat", "sum", "mul", "ave"].contains(m): mergeMode = m
                case let v?: throw Problem(description: "\(l.label): merge_mode \(v) is not one of concat, sum, mul, ave, None")
                }
                recurrent.append(r)
            default:
                throw Problem(description: "\(l.label) is a layer Unroll does not run (it runs InputLayer, Masking or Embedding, then SimpleRNN/LSTM/GRU layers or one Bidirectional; what follows the last of them is skipped)")
            }
        }
        guard let first = dtypes.first else { throw Problem(description: "no recurrent layer to run") }
        if let other = dtypes.first(where: { $0.1 != first.1 }) {
            throw Problem(description: "\(first.0.label) computes in \(first.1.rawValue) but \(other.0.label) in \(other.1.rawValue); Unroll runs one dtype")
        }
        self.recurrent = recurrent
        self.bidirectional = bidirectional
        self.mergeMode = bidirectional ? mergeMode : nil
        self.dtype = first.1
        self.masking = masking
        self.embedding = embedding
        self.skipped = Array(parsed.layers[(last + 1)...])
    }

    // MARK: - The config

    /// The config's layers (op nodes of a Keras 3 Functional config, such as the mask's `NotEqual` and `Any`, left
    /// out: they are not layers and hold no weights) and whether the model is a Sequential.
    private static func layers(of config: JSONValue) throws -> (layers: [Layer], sequential: Bool) {
        guard case let .object(top, _) = config, case let .string(className)? = top["class_name"] else {
            throw Problem(description: "its model config has no class_name")
        }
        guard case let .object(inner, _)? = top["config"], case let .array(items)? = inner["layers"] else {
            throw Problem(description: "its model config (\(SafeText.quote(className, limit: 40))) has no list of layers; Unroll reads Sequential and Functional models")
        }
        var out: [Layer] = []
        for item in items {
            if case let .object(o, _) = item, case let .string(module)? = o["module"], module.hasPrefix("keras.src.ops") { continue }
            guard let l = layer(item) else { throw Problem(description: "layer \(out.count) of the config has no class_name and config") }
            out.append(l)
        }
        return (out, className == "Sequential")
    }

    private static func layer(_ v: JSONValue?) -> Layer? {
        guard case let .object(o, _)? = v, case let .string(c)? = o["class_name"], case let .object(config, _)? = o["config"] else { return nil }
        var name = c
        if case let .string(n)? = config["name"] { name = n } else if case let .string(n)? = o["name"] { name = n }
        return Layer(className: c, name: name, config: config)
    }

    static func int(_ v: JSONValue?) -> Int? {
        switch v {
        case let .int(i)?: return i
        case let .double(d)? where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }

    private static func number(_ l: Layer, _ key: String) throws -> Double? {
        switch l.config[key] {
        case nil, .null?: return nil
        case let .int(i)?: return Double(i)
        case let .double(d)? where d.isFinite: return d
        case let v?: throw Problem(description: "\(l.label): \(key) \(v) is not a finite number")
        }
    }

    private static func flag(_ l: Layer, _ key: String) throws -> Bool? {
        switch l.config[key] {
        case nil, .null?: return nil
        case let .bool(b)?: return b
        case let v?: throw Problem(description: "\(l.label): \(key) \(v) is not true or false")
        }
    }

    private static func text(_ l: Layer, _ key: String) throws -> String? {
        switch l.config[key] {
        case nil, .null?: return nil
        case let .string(s)?: return s
        case let v?: throw Problem(description: "\(l.label): \(key) \(v) is not a string")
        }
    }

    /// The dtype a layer computes in: Keras 3's `DTypePolicy` object or tf-keras' string.
    private static func dtype(_ l: Layer) throws -> DType {
        var name = "float32"
        switch l.config["dtype"] {
        case nil, .null?: break
        case let .string(s)?: name = s
        case let .object(o, _)?:
            if case let .object(c, _)? = o["config"], case let .string(s)? = c["name"] { name = s }
        default: break
        }
        guard let d = DType(rawValue: name) else {
            throw Problem(description: "\(l.label): dtype policy \"\(SafeText.quote(name, limit: 40))\" is not run (float32 or float64)")
        }
        return d
    }

    /// A recurrent layer's cell as experiment cell JSON, refusing the options Unroll does not run.
    private static func cell(_ l: Layer, insideBidirectional: Bool) throws -> (json: JSONValue, useBias: Bool, dtype: DType) {
        guard let units = int(l.config["units"]), units >= 1 else { throw Problem(description: "\(l.label): units must be a positive integer") }
        if l.className != "SimpleRNN", let ra = try text(l, "recurrent_activation"), ra != "sigmoid" {
            throw Problem(description: "\(l.label): recurrent_activation \"\(SafeText.quote(ra, limit: 40))\" is not run (Unroll's gates use sigmoid)")
        }
        if !insideBidirectional, try flag(l, "go_backwards") == true {
            throw Problem(description: "\(l.label): go_backwards outside Bidirectional is not run from a model file")
        }
        if try flag(l, "time_major") == true {
            throw Problem(description: "\(l.label): time_major true (tf-keras) is not run; save the model with time_major false and give the experiment \"time_major\"")
        }
        var object: [String: JSONValue] = ["num_units": .int(units)]
        switch l.className {
        case "LSTM": object["type"] = .string("lstm")
        case "GRU":
            object["type"] = .string("gru")
            object["reset_after"] = .bool(try flag(l, "reset_after") ?? true)
        default: object["type"] = .string("basic_rnn")
        }
        let activation = try text(l, "activation") ?? "tanh"
        guard let act = Activation(rawValue: activation) else {
            throw Problem(description: "\(l.label): activation \"\(SafeText.quote(activation, limit: 40))\" is not run (one of \(Activation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if act != .tanh { object["activation"] = .string(act.rawValue) }
        return (.object(object, order: object.keys.sorted()), try flag(l, "use_bias") ?? true, try dtype(l))
    }

    /// Where an Embedding layer's table is.
    private static func embeddingPath(file: HDF5File, legacy: Bool, layer: Layer, group: String) throws -> String {
        if legacy {
            let names = try legacyWeightNames(file: file, layer: layer)
            guard let w = names.first(where: { role($0) == "embeddings" }) else {
                throw Problem(description: "\(layer.label): its weight_names list no embeddings; found: \(names.joined(separator: ", "))")
            }
            return try legacyDataset(file: file, layer: layer, weight: w)
        }
        let path = "layers/\(group)/vars/0"
        guard file.kind(path) == .dataset else {
            throw Problem(description: "\(layer.label): no table at \(path); \(ClosestNames.found((try? file.datasets(under: "layers")) ?? [], closestTo: path))")
        }
        return path
    }

    // MARK: - Legacy .h5 weights

    /// A legacy layer's `weight_names` (empty for a layer without weights).
    private static func legacyWeightNames(file: HDF5File, layer: Layer) throws -> [String] {
        let group = "model_weights/" + layer.name
        guard file.kind(group) == .group else {
            throw Problem(description: "no group \(group) for \(layer.label); \(ClosestNames.found(((try? file.children("model_weights")) ?? []).map { "model_weights/" + $0 }, closestTo: group))")
        }
        do {
            return try file.strings("weight_names", of: group) ?? []
        } catch let p as HDF5File.Problem {
            throw Problem(description: p.description)
        }
    }

    /// The last part of a weight name without `:0` (`kernel`, `recurrent_kernel`, `bias`, `embeddings`).
    private static func role(_ weight: String) -> String {
        let last = weight.split(separator: "/").last.map(String.init) ?? weight
        return last.split(separator: ":").first.map(String.init) ?? last
    }

    /// The dataset of a listed weight, refused (naming it) when the file lacks it.
    private static func legacyDataset(file: HDF5File, layer: Layer, weight: String) throws -> String {
        let path = "model_weights/\(layer.name)/\(weight)"
        guard file.kind(path) == .dataset else {
            let shown = weight.hasSuffix(":0") ? String(weight.dropLast(2)) : weight
            let found = ((try? file.datasets(under: "model_weights/" + layer.name)) ?? []).map { String($0.dropFirst("model_weights/\(layer.name)/".count)) }
            throw Problem(description: "weight \(SafeText.quote(shown, limit: 80)) of layer \"\(SafeText.quote(layer.name, limit: 60))\" is listed in its weight_names but missing from the file (model_weights/\(layer.name)/\(weight)); \(ClosestNames.found(found, closestTo: weight))")
        }
        return path
    }

    // MARK: - Serving the weights

    /// The model's recurrent weights under the keras convention's names of `model` (the experiment this file became).
    func weightsArchive(model: RNNModel) throws -> KerasWeightsArchive {
        var sources: [(String, KerasWeightsArchive.Source)] = []
        let layers = model.layers(inputDepth: 1)
        for layer in layers {
            let r = recurrent[bidirectional ? 0 : min(layer.index, recurrent.count - 1)]
            let useBias = layer.direction == .forward ? r.useBias : r.backwardUseBias
            if !legacy {
                let group = bidirectional ? r.group + (layer.direction == .forward ? "/forward_layer" : "/backward_layer") : r.group
                let what = bidirectional ? "the \(layer.direction == .forward ? "forward" : "backward") layer of \(r.layer.label)" : r.layer.label
                do {
                    sources += try KerasWeightPaths.cellSources(file: file, group: group, layer: layer, in: model, useBias: useBias, what: what)
                } catch let p as HDF5File.Problem {
                    throw Problem(description: p.description)
                }
                continue
            }
            let names = try KerasModelFile.legacyWeightNames(file: file, layer: r.layer).filter { w in
                guard bidirectional else { return true }
                let backward = w.split(separator: "/").contains { $0.hasPrefix("backward_") }
                return backward == (layer.direction == .backward)
            }
            let expected = try KerasLayout.arrays(layer, in: model)
            for (i, role) in ["kernel", "recurrent_kernel", "bias"].enumerated() where i < expected.count {
                if let w = names.first(where: { KerasModelFile.role($0) == role }) {
                    sources.append((expected[i].name, .dataset(try KerasModelFile.legacyDataset(file: file, layer: r.layer, weight: w))))
                } else if role == "bias" && !useBias {
                    let dtype = (try? file.info(sources.last.map { if case let .dataset(p) = $0.1 { return p } else { return "" } } ?? "").dtype) ?? self.dtype.numpy
                    sources.append((expected[i].name, .zeros(NpzArchive.ArrayInfo(dtype: dtype, shape: expected[i].shape, byteCount: expected[i].shape.reduce(dtype.byteWidth, *)))))
                } else {
                    throw Problem(description: "\(r.layer.label): its weight_names list no \(role); found: \(names.map { SafeText.quote($0, limit: 60) }.joined(separator: ", "))")
                }
            }
        }
        return KerasWeightsArchive(url: url, file: file, sources: sources)
    }

    /// The Embedding table, `[input_dim, output_dim]`, read within the memory budget.
    func embeddingTable() throws -> NumpyArray? {
        guard let e = embedding else { return nil }
        do {
            let info = try file.info(e.path)
            guard info.shape == [e.inputDim, e.outputDim] else {
                throw Problem(description: "\(e.layer.label): its table \(e.path) has shape \(formatShape(info.shape)); the config says [input_dim, output_dim] = \(formatShape([e.inputDim, e.outputDim]))")
            }
            return try file.array(e.path, maxBytes: MemoryBudget.byteLimit)
        } catch let p as HDF5File.Problem {
            throw Problem(description: p.description)
        }
    }
}

extension DType {
    /// The NumPy dtype of this engine dtype.
    var numpy: NumpyDType { self == .float64 ? .float64 : .float32 }
}
