import Foundation
import RNNEngine

/// An experiment under `"convention": "torch"` whose `"weights"` is a PyTorch file (`.pt`/`.pth` from
/// `torch.save(model.state_dict())`, or `.safetensors`): the RNN module is found by the prefix of its keys
/// (`encoder.` in `encoder.weight_ih_l0`; `"module"` picks one when there are several), and what the keys and shapes
/// say becomes the experiment's cell, `bidirectional` and `dtype`: the type (rows of `weight_ih_l0` / hidden: the
/// block count of a kind PyTorch has), the layers, hidden and input size, `_reverse`, `proj_size`, bias. `"cell"` is
/// optional and, when given, must agree with the file; `nn.RNN`'s nonlinearity is not in the file, so an RNN needs it.
extension ExperimentSpec {
    static let moduleField = "module"

    /// The experiment at `r` when it names a PyTorch weights file under the torch convention; nil otherwise.
    static func parseTorchWeights(_ r: FieldReader, baseDirectory: URL?) throws -> ExperimentSpec? {
        let isTorch = (try? r.string("convention")) == Convention.torch.rawValue
        guard isTorch, let path = try? r.string("weights"), ArrayArchives.isTorchWeights(path) else {
            if r.has(moduleField) {
                throw r.fail(moduleField, "only with \"convention\": \"torch\" and \"weights\" naming a .pt, .pth or .safetensors file")
            }
            return nil
        }
        guard let base = baseDirectory else { throw r.fail("weights", "a PyTorch weights file is read only from an experiment file's folder") }
        let archive: any ArrayArchive
        do {
            archive = try ArrayArchives.open(URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base.path, isDirectory: true)).standardizedFileURL)
        } catch let e as NumpyError {
            let missing = e.problem.hasPrefix("no such file") ? " (looked in \(base.path))" : ""
            throw r.fail("weights", "\(path): \(e.problem)\(missing)")
        }
        let module = try findModule(r, archive: archive, path: path)
        let inferred = try TorchModuleShape(archive: archive, module: module, path: path, reader: r)

        var object = r.object
        object[moduleField] = nil
        if let given = try r.child("cell") {
            let cell = try CellSpecJSON.parse(given, convention: .torch)
            if let mismatch = inferred.disagreement(with: cell) {
                throw r.fail("cell", "\(mismatch), but \(path) holds \(inferred.description)")
            }
        } else {
            guard let cell = inferred.cell else {
                throw r.fail("cell", "missing: \(path) holds an nn.RNN (\(inferred.description)); the file cannot say its "
                    + "nonlinearity (tanh or relu): give \"cell\" with \"activation\"")
            }
            object["cell"] = try jsonValue(CellSpecJSON.encode(cell, convention: .torch))
        }
        if let b = try r.bool("bidirectional"), b != inferred.bidirectional {
            throw r.fail("bidirectional", "is \(b), but \(path) holds \(inferred.description)")
        }
        object["bidirectional"] = .bool(inferred.bidirectional)
        if let d = try r.string("dtype"), d != inferred.dtype.rawValue {
            throw r.fail("dtype", "is \(d), but the tensors of \(path) are \(inferred.dtype.rawValue)")
        }
        object["dtype"] = .string(inferred.dtype.rawValue)
        var spec = try parse(FieldReader(file: r.file, path: "", value: .object(object, order: object.keys.sorted())))
        spec.torchModule = module
        return spec
    }

    /// The module whose parameters the experiment runs: `"module"`, or the file's only RNN module.
    private static func findModule(_ r: FieldReader, archive: any ArrayArchive, path: String) throws -> String {
        let marker = "weight_ih_l0"
        var modules: [String] = []
        for key in archive.keys where key.hasSuffix(marker) {
            let prefix = key.dropLast(marker.count)
            guard prefix.isEmpty || prefix.hasSuffix(".") else { continue }
            let name = String(prefix.dropLast(prefix.isEmpty ? 0 : 1))
            if !modules.contains(name) { modules.append(name) }
        }
        func quoted(_ m: String) -> String { "\"\(SafeText.quote(m, limit: 60))\"" }
        if let wanted = try r.string(moduleField) {
            guard modules.contains(wanted) else {
                let what = modules.isEmpty ? "no RNN module (no key ending in weight_ih_l0; \(ClosestNames.found(archive.keys, closestTo: wanted + "." + marker)))"
                    : "no RNN module \(quoted(wanted)) (RNN modules \(ClosestNames.found(modules, closestTo: wanted)))"
                throw r.fail(moduleField, "\(path) holds \(what)")
            }
            return wanted
        }
        switch modules.count {
        case 0:
            throw r.fail("weights", "\(path) holds no RNN module: no key ending in weight_ih_l0 (\(ClosestNames.found(archive.keys, closestTo: marker)))")
        case 1:
            return modules[0]
        default:
            throw r.fail(moduleField, "missing: \(path) holds \(modules.count) RNN modules (\(modules.map(quoted).joined(separator: ", "))); "
                + "pick one with \"module\"")
        }
    }

    /// A `[String: Any]` made by `JSONSerialization`-compatible code, as a `JSONValue`.
    private static func jsonValue(_ any: [String: Any]) throws -> JSONValue {
        try JSONValue.parse(try JSONSerialization.data(withJSONObject: any))
    }
}

/// What a PyTorch module's parameter names and shapes say about it.
struct TorchModuleShape {
    let kind: CellKind
    let layers: Int
    let hidden: Int
    let input: Int
    let projSize: Int?
    let bidirectional: Bool
    let bias: Bool
    let dtype: DType

    /// The module's parameters under their own names (`weight_ih_l0`, ...), with the file's keys.
    static func parameters(of keys: [String], module: String) -> [(name: String, key: String)] {
        let prefix = module.isEmpty ? "" : module + "."
        return keys.compactMap { key in
            guard key.hasPrefix(prefix) else { return nil }
            let name = String(key.dropFirst(prefix.count))
            return isParameter(name) ? (name, key) : nil
        }
    }

    /// Whether `name` is `weight_ih|weight_hh|bias_ih|bias_hh|weight_hr` + `_l<k>` + optional `_reverse`.
    static func isParameter(_ name: String) -> Bool {
        var rest = Substring(name)
        guard let p = ["weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l", "weight_hr_l"].first(where: { rest.hasPrefix($0) }) else { return false }
        rest = rest.dropFirst(p.count)
        if rest.hasSuffix("_reverse") { rest = rest.dropLast("_reverse".count) }
        return !rest.isEmpty && rest.count <= 6 && rest.allSatisfy { $0.isASCII && $0.isNumber }
    }

    init(archive: any ArrayArchive, module: String, path: String, reader r: FieldReader) throws {
        let params = TorchModuleShape.parameters(of: archive.keys, module: module)
        let names = Set(params.map(\.name))
        let where_ = module.isEmpty ? path : "\(path), module \"\(SafeText.quote(module, limit: 60))\""
        func fail(_ text: String) -> ExperimentError { r.fail("weights", "\(where_): \(text)") }
        func shape(_ name: String) throws -> (shape: [Int], dtype: NumpyDType)? {
            guard let key = params.first(where: { $0.name == name })?.key else { return nil }
            do {
                let info = try archive.info(key)
                return (info.shape, info.dtype)
            } catch let e as NumpyError {
                throw r.fail("weights", "\(path): \(e.problem)")
            }
        }
        guard let ih = try shape("weight_ih_l0"), ih.shape.count == 2 else { throw fail("weight_ih_l0 is not a matrix") }
        guard let hh = try shape("weight_hh_l0"), hh.shape.count == 2 else {
            throw fail("weight_hh_l0 is missing or not a matrix (\(ClosestNames.found(params.map(\.name), closestTo: "weight_hh_l0")))")
        }
        let hr = try shape("weight_hr_l0")
        let hidden = hr.map { $0.shape.count == 2 ? $0.shape[1] : 0 } ?? hh.shape[1]
        guard hidden > 0, ih.shape[0] % hidden == 0 else {
            throw fail("weight_ih_l0 \(formatShape(ih.shape)) has rows that are not a multiple of the hidden size \(hidden)")
        }
        let blocks = ih.shape[0] / hidden
        guard let kind = CellKind.allCases.first(where: { $0.descriptor.torchModule != nil && $0.descriptor.blockCount == blocks }) else {
            throw fail("weight_ih_l0 \(formatShape(ih.shape)) has \(blocks) blocks of the hidden size \(hidden); "
                + "nn.LSTM has 4, nn.GRU 3, nn.RNN 1")
        }
        var layers = 0
        while names.contains("weight_ih_l\(layers)") { layers += 1 }
        let bidirectional = names.contains("weight_ih_l0_reverse")
        let bias = names.contains { $0.hasPrefix("bias_") }
        // Every parameter the inferred module has must be there, and none beyond it.
        var expected: Set<String> = []
        for l in 0..<layers {
            for d in bidirectional ? ["", "_reverse"] : [""] {
                for p in ["weight_ih", "weight_hh"] + (bias ? ["bias_ih", "bias_hh"] : []) + (hr != nil ? ["weight_hr"] : []) {
                    expected.insert("\(p)_l\(l)\(d)")
                }
            }
        }
        if let missing = expected.subtracting(names).sorted().first {
            throw fail("\(missing) is missing for \(layers) layer(s)\(bidirectional ? ", bidirectional" : "") (\(ClosestNames.found(params.map(\.name), closestTo: missing)))")
        }
        if let extra = names.subtracting(expected).sorted().first {
            throw fail("\(extra) does not fit \(layers) layer(s)\(bidirectional ? ", bidirectional" : "") (weight_ih_l\(layers) is missing)")
        }
        guard let dtype = ih.dtype == .float64 ? DType.float64 : ih.dtype == .float32 ? DType.float32 : nil else {
            throw fail("weight_ih_l0 has dtype \(ih.dtype.rawValue); float32 or float64")
        }
        self.kind = kind
        self.layers = layers
        self.hidden = hidden
        self.input = ih.shape[1]
        self.projSize = hr.map { $0.shape[0] }
        self.bidirectional = bidirectional
        self.bias = bias
        self.dtype = dtype
    }

    /// Whether the file says the whole cell: every kind but nn.RNN, whose nonlinearity it cannot say.
    var cell: CellSpec? {
        guard kind.descriptor.torchModule != "torch.nn.RNN" else { return nil }
        var layer = CellLayer.defaults(kind, numUnits: hidden, activation: .tanh, convention: .torch)
        if let p = projSize {
            var o = layer.options
            o.numProj = p
            layer = CellLayer(kind: kind, numUnits: hidden, activation: .tanh, options: o)
        }
        return layers == 1 ? .layer(layer) : .multi(Array(repeating: .layer(layer), count: layers))
    }

    /// What the file holds, in words: `nn.LSTM(3, 4, num_layers=2, bidirectional=True, bias=False)`.
    var description: String {
        let module = (kind.descriptor.torchModule ?? "torch.nn.?").replacingOccurrences(of: "torch.", with: "")
        var args = ["\(input)", "\(hidden)"]
        if layers != 1 { args.append("num_layers=\(layers)") }
        if !bias { args.append("bias=False") }
        if bidirectional { args.append("bidirectional=True") }
        if let p = projSize { args.append("proj_size=\(p)") }
        return "\(module)(\(args.joined(separator: ", ")))"
    }

    /// Why `cell` (the experiment's) does not describe this module, or nil when it does.
    func disagreement(with cell: CellSpec) -> String? {
        let given = cell.layers
        guard given.count == layers else { return "has \(given.count) layer(s)" }
        for (i, spec) in given.enumerated() {
            guard let l = spec.unwrappedLayer, case .layer = spec else { return "layer \(i) is \(spec.typeName), not a plain layer" }
            guard l.kind.descriptor.torchModule == kind.descriptor.torchModule else { return "layer \(i) is \(l.descriptor.jsonType)" }
            guard l.numUnits == hidden else { return "layer \(i) has num_units \(l.numUnits)" }
            guard l.options.numProj == projSize else { return "layer \(i) has num_proj \(l.options.numProj.map(String.init) ?? "none")" }
        }
        return nil
    }
}
