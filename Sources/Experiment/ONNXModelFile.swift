import Foundation
import RNNEngine
import SwiftProtobuf

/// An `.onnx` model file (`"model": "NAME.onnx"`) read as untrusted input: one `LSTM`, `GRU` or `RNN` node
/// (opsets 14–22), its attributes as the onnx experiment's cell fields, its initializers as `W`, `R`, `B`, `P`
/// (and `initial_h` / `initial_c` when they are initializers), and the graph inputs that feed X, `initial_h` and
/// `initial_c`. Every size the file claims is checked against the bytes present and the memory budget before
/// anything is allocated for it; only regular files are opened; every problem is one line.
struct ONNXModelFile: Equatable {
    /// Where an initial state comes from: an initializer in the file, or a graph input the experiment's
    /// `inputs` archive gives under its graph name.
    enum StateSource: Equatable {
        case initializer(NumpyArray)
        case graphInput(String)
    }

    /// The cell object of the equivalent onnx experiment (`type`, `num_units` and the node's attributes).
    var cell: JSONValue
    /// ONNX's `direction` attribute (default "forward").
    var direction: String
    /// `layout` 0.
    var timeMajor: Bool
    /// `W`, `R` and, when the node has them, `B` and `P`, under ONNX's input names.
    var weights: [String: NumpyArray]
    /// `initial_h`, `initial_c`: the node's state inputs that are not empty.
    var initialStates: [String: StateSource]
    /// The graph input that feeds X.
    var inputName: String
    /// Whether the node reads a `sequence_lens` graph input.
    var hasSequenceLens: Bool
    /// The node's output slots (`Y`, `Y_h`, `Y_c`) whose outputs the graph has.
    var outputs: [String]

    /// ONNX opsets whose `LSTM`, `GRU` and `RNN` this reader knows.
    static let opsets = 14...22
    /// The node's input slots, in ONNX's order.
    static func inputSlots(_ op: String) -> [String] {
        op == "LSTM" ? ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
                     : ["X", "W", "R", "B", "sequence_lens", "initial_h"]
    }
    static func outputSlots(_ op: String) -> [String] { op == "LSTM" ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"] }
    /// The cell type each operator is.
    static let cellTypes = ["LSTM": "lstm", "GRU": "gru", "RNN": "basic_rnn"]

    /// A problem with the file, in words (the caller names the file).
    struct Problem: Error, CustomStringConvertible { let description: String }

    /// Reads the model at `url`: a regular file no larger than the budget allows for its decoding.
    init(url: URL, byteLimit: Int = MemoryBudget.byteLimit) throws {
        try self.init(model: try Self.read(url: url, byteLimit: byteLimit), directory: url.deletingLastPathComponent(), byteLimit: byteLimit)
    }

    /// Decodes `data` (an `.onnx` file's bytes); external data files are looked up in `directory`.
    init(data: Data, directory: URL, byteLimit: Int = MemoryBudget.byteLimit) throws {
        try self.init(model: try Self.decode(data), directory: directory, byteLimit: byteLimit)
    }

    /// The model message of the file at `url` (a regular file, at most half the budget: the decoded message holds
    /// about as many bytes again as the file), its opset checked.
    static func read(url: URL, byteLimit: Int = MemoryBudget.byteLimit) throws -> Onnx_ModelProto {
        let data: Data
        do {
            data = try RegularFile(path: url.path).readAll(limit: max(byteLimit / 2, 0))
        } catch let p as RegularFile.Problem {
            throw Problem(description: p.description)
        }
        return try decode(data)
    }

    /// `data` decoded as a model with a graph importing one ONNX opset this reader knows.
    static func decode(_ data: Data) throws -> Onnx_ModelProto {
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 32
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw Problem(description: "not a readable ONNX model (protobuf: \(error))")
        }
        guard model.hasGraph else { throw Problem(description: "the model has no graph") }
        let opset = model.opsetImport.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map(\.version)
        guard let version = opset.first, opset.count == 1 else {
            throw Problem(description: opset.isEmpty ? "the model imports no ONNX opset" : "the model imports the ONNX opset \(opset.count) times")
        }
        guard Self.opsets.contains(Int(clamping: version)) else {
            throw Problem(description: "opset \(version); LSTM, GRU and RNN are read for opsets \(Self.opsets.lowerBound) to \(Self.opsets.upperBound)")
        }
        return model
    }

    /// The single-node model `model` (a graph of one LSTM, GRU or RNN node; `ONNXGraph` runs exported graphs).
    init(model: Onnx_ModelProto, directory: URL, byteLimit: Int = MemoryBudget.byteLimit) throws {
        let graph = model.graph
        guard graph.node.count == 1, let node = graph.node.first else {
            let ops = graph.node.prefix(6).map { SafeText.quote($0.opType, limit: 30) }.joined(separator: ", ")
            throw Problem(description: "the graph has \(graph.node.count) nodes\(ops.isEmpty ? "" : " (\(ops))"); expected one LSTM, GRU or RNN node")
        }
        guard node.domain.isEmpty || node.domain == "ai.onnx", let type = Self.cellTypes[node.opType] else {
            throw Problem(description: "the graph's node is \(SafeText.quote(node.opType, limit: 40)); expected LSTM, GRU or RNN")
        }
        let op = node.opType
        let slots = Self.inputSlots(op)
        guard node.input.count <= slots.count else {
            throw Problem(description: "the \(op) node has \(node.input.count) inputs; at most \(slots.count)")
        }
        var initializers: [String: Onnx_TensorProto] = [:]
        for t in graph.initializer {
            guard initializers.updateValue(t, forKey: t.name) == nil else {
                throw Problem(description: "two initializers are named \(SafeText.quote(t.name, limit: 60))")
            }
        }
        let graphInputs = Set(graph.input.map(\.name)).subtracting(initializers.keys)
        var named: [String: String] = [:]   // slot -> graph name
        for (slot, name) in zip(slots, node.input) where !name.isEmpty { named[slot] = name }

        // Initializers, checked against the budget together before any is decoded.
        let reader = TensorReader(directory: directory, byteLimit: byteLimit)
        var weights: [String: NumpyArray] = [:], states: [String: StateSource] = [:]
        var total = 0
        func initializer(_ slot: String) throws -> NumpyArray? {
            guard let name = named[slot] else { return nil }
            guard let t = initializers[name] else { return nil }
            let count = try reader.elementCount(t, slot: slot)
            total += count * 4
            guard total <= byteLimit else {
                throw Problem(description: "its initializers need more than \(formatBytes(Double(total))) (at \(slot)), more than the \(formatBytes(Double(byteLimit))) this process may use")
            }
            return try reader.array(t, slot: slot, count: count)
        }
        for slot in ["W", "R", "B", "P"] where slots.contains(slot) {
            if let a = try initializer(slot) {
                weights[slot] = a
            } else if let name = named[slot] {
                throw Problem(description: "the \(op) node's \(slot) (\(SafeText.quote(name, limit: 60))) is not an initializer; weights must be stored in the file")
            } else if slot == "W" || slot == "R" {
                throw Problem(description: "the \(op) node has no \(slot) input")
            }
        }
        for slot in ["initial_h", "initial_c"] where slots.contains(slot) {
            guard let name = named[slot] else { continue }
            if let a = try initializer(slot) {
                states[slot] = .initializer(a)
            } else if graphInputs.contains(name) {
                states[slot] = .graphInput(name)
            } else {
                throw Problem(description: "the \(op) node's \(slot) (\(SafeText.quote(name, limit: 60))) is neither a graph input nor an initializer")
            }
        }
        guard let x = named["X"], graphInputs.contains(x) else {
            throw Problem(description: "the \(op) node's X is not a graph input")
        }
        if let lens = named["sequence_lens"], !graphInputs.contains(lens) {
            throw Problem(description: "the \(op) node's sequence_lens (\(SafeText.quote(lens, limit: 60))) is not a graph input; it comes from the experiment's sequence_length")
        }
        let graphOutputs = Set(graph.output.map(\.name))
        let outputs = zip(Self.outputSlots(op), node.output).filter { !$0.1.isEmpty && graphOutputs.contains($0.1) }.map(\.0)
        guard !outputs.isEmpty else { throw Problem(description: "none of the \(op) node's outputs is a graph output") }

        let attributes = try Self.cellFields(node, type: type, hasPeepholes: weights["P"] != nil)
        self.cell = attributes.cell
        self.direction = attributes.direction
        self.timeMajor = attributes.timeMajor
        self.weights = weights
        self.initialStates = states
        self.inputName = x
        self.hasSequenceLens = named["sequence_lens"] != nil
        self.outputs = outputs
    }

    /// The node's attributes as the onnx experiment's cell fields, checked for type; `direction` and `layout`
    /// apart (they are experiment fields).
    static func cellFields(_ node: Onnx_NodeProto, type: String, hasPeepholes: Bool) throws
        -> (cell: JSONValue, direction: String, timeMajor: Bool) {
        let op = node.opType
        var fields: [String: JSONValue] = ["type": .string(type)]
        var order = ["type"]
        var direction = "forward", timeMajor = true, seen = Set<String>()
        func put(_ key: String, _ value: JSONValue) { fields[key] = value; order.append(key) }
        func fail(_ a: Onnx_AttributeProto, _ what: String) -> Problem {
            Problem(description: "the \(op) node's attribute \(SafeText.quote(a.name, limit: 40)) \(what)")
        }
        func expect(_ a: Onnx_AttributeProto, _ t: Onnx_AttributeProto.AttributeType) throws {
            guard a.type == t else { throw fail(a, "has type \(a.type); expected \(t)") }
        }
        for a in node.attribute {
            guard seen.insert(a.name).inserted else { throw fail(a, "appears twice") }
            switch a.name {
            case "hidden_size":
                try expect(a, .int)
                guard a.i > 0, a.i <= Int64(CellSpecJSON.maxUnits) else { throw fail(a, "is \(a.i); expected 1 to \(CellSpecJSON.maxUnits)") }
                put("num_units", .int(Int(a.i)))
            case "activations":
                try expect(a, .strings)
                let names = try a.strings.map { s -> JSONValue in
                    guard let text = String(data: s, encoding: .utf8) else { throw fail(a, "holds a name that is not UTF-8") }
                    return .string(text)
                }
                put(CellOptions.Key.activations, .array(names))
            case "activation_alpha", "activation_beta":
                try expect(a, .floats)
                put(a.name, .array(a.floats.map { .double(Double($0)) }))
            case "clip":
                try expect(a, .float)
                put(CellOptions.Key.clip, .double(Double(a.f)))
            case "input_forget" where op == "LSTM", "linear_before_reset" where op == "GRU":
                try expect(a, .int)
                guard a.i == 0 || a.i == 1 else { throw fail(a, "is \(a.i); expected 0 or 1") }
                put(a.name, .int(Int(a.i)))
            case "direction":
                try expect(a, .string)
                guard let d = String(data: a.s, encoding: .utf8), ExperimentSpec.onnxDirections.contains(d) else {
                    throw fail(a, "is \(SafeText.quote(String(decoding: a.s, as: UTF8.self), limit: 40)); expected one of \(ExperimentSpec.onnxDirections.joined(separator: ", "))")
                }
                direction = d
            case "layout":
                try expect(a, .int)
                guard a.i == 0 || a.i == 1 else { throw fail(a, "is \(a.i); expected 0 or 1") }
                timeMajor = a.i == 0
            default:
                throw fail(a, "is not one of \(op)'s attributes this reader knows")
            }
        }
        guard fields["num_units"] != nil else { throw Problem(description: "the \(op) node has no hidden_size attribute") }
        if type == "gru" && fields[CellOptions.Key.linearBeforeReset] == nil { put(CellOptions.Key.linearBeforeReset, .int(0)) }
        if hasPeepholes { put(CellOptions.Key.usePeepholes, .bool(true)) }
        return (.object(fields, order: order), direction, timeMajor)
    }
}

/// Decodes `TensorProto`s: float32 (and, for a graph's shape arithmetic, int64 and int32, read as int64), from
/// `raw_data` (little-endian), `float_data` / `int64_data` / `int32_data` or an external data file next to the
/// model; every claimed size checked before allocating.
struct TensorReader {
    let directory: URL
    let byteLimit: Int
    /// Whether int64 and int32 tensors are read too (an exported graph's shape constants).
    var integers = false

    typealias Problem = ONNXModelFile.Problem

    private static let float = Int32(Onnx_TensorProto.DataType.float.rawValue)
    private static let int64 = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    private static let int32 = Int32(Onnx_TensorProto.DataType.int32.rawValue)

    /// Bytes per element of `t` as stored (`raw_data`, external data).
    static func storedWidth(_ t: Onnx_TensorProto) -> Int { t.dataType == int64 ? 8 : 4 }
    /// Bytes per element of `t` once decoded (int32 becomes int64).
    static func decodedWidth(_ t: Onnx_TensorProto) -> Int { t.dataType == float ? 4 : 8 }

    /// The element count `dims` claims, checked for overflow and the budget.
    func elementCount(_ t: Onnx_TensorProto, slot: String) throws -> Int {
        guard t.dataType == Self.float || integers && (t.dataType == Self.int64 || t.dataType == Self.int32) else {
            let name = Onnx_TensorProto.DataType(rawValue: Int(t.dataType)).map { "\($0)" } ?? "\(t.dataType)"
            throw Problem(description: "initializer \(slot) has data type \(name); expected float (float32)\(integers ? ", int64 or int32" : "")")
        }
        guard t.dims.count <= 8 else { throw Problem(description: "initializer \(slot) has \(t.dims.count) dimensions") }
        let width = Self.decodedWidth(t)
        var count = 1
        for d in t.dims {
            guard d >= 0 else { throw Problem(description: "initializer \(slot) has a negative dimension \(d)") }
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, p <= byteLimit / width else {
                throw Problem(description: "initializer \(slot) claims dims \(t.dims), more than the \(formatBytes(Double(byteLimit))) this process may use")
            }
            count = p
        }
        return count
    }

    func array(_ t: Onnx_TensorProto, slot: String, count: Int) throws -> NumpyArray {
        let shape = t.dims.map { Int($0) }
        let external = t.dataLocation == .external
        let isFloat = t.dataType == Self.float, width = Self.storedWidth(t)
        let typed = isFloat ? t.floatData.count : t.dataType == Self.int64 ? t.int64Data.count : t.int32Data.count
        let typedName = isFloat ? "float_data" : t.dataType == Self.int64 ? "int64_data" : "int32_data"
        let sources = [t.hasRawData, typed > 0, external].filter { $0 }.count
        if sources > 1 { throw Problem(description: "initializer \(slot) gives its values in more than one place") }
        var bytes: Data?
        if external {
            bytes = try externalBytes(t, slot: slot, count: count, width: width)
        } else if t.hasRawData {
            guard t.rawData.count == count * width else {
                throw Problem(description: "initializer \(slot) has \(t.rawData.count) bytes of raw_data; dims \(t.dims) need \(count * width)")
            }
            bytes = t.rawData
        } else {
            guard typed == count else {
                throw Problem(description: "initializer \(slot) has \(typed) \(typedName) values; dims \(t.dims) need \(count)")
            }
        }
        do {
            if isFloat { return try NumpyArray(float32: try bytes.map { try floats($0, count: count) } ?? t.floatData, shape: shape) }
            let ints: [Int64]
            if let bytes {
                ints = width == 8 ? Self.littleEndian(bytes, count: count, as: Int64.self)
                                  : Self.littleEndian(bytes, count: count, as: Int32.self).map { Int64($0) }
            } else {
                ints = t.dataType == Self.int64 ? t.int64Data : t.int32Data.map { Int64($0) }
            }
            return try NumpyArray(int64: ints, shape: shape)
        } catch let p as Problem {
            throw p
        } catch {
            throw Problem(description: "initializer \(slot): \(error)")
        }
    }

    private static func littleEndian<T: FixedWidthInteger>(_ data: Data, count: Int, as _: T.Type) -> [T] {
        var out = [T](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            for i in 0..<count { out[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: MemoryLayout<T>.size * i, as: T.self)) }
        }
        return out
    }

    private func floats(_ data: Data, count: Int) throws -> [Float] {
        Self.littleEndian(data, count: count, as: UInt32.self).map { Float(bitPattern: $0) }
    }

    /// The bytes of an external tensor: `location` a file name in the model's folder (no path), a regular file,
    /// `offset` and `length` inside it and `length` what `dims` need.
    private func externalBytes(_ t: Onnx_TensorProto, slot: String, count: Int, width: Int) throws -> Data {
        var location: String?, offset = 0, length: Int?
        for entry in t.externalData {
            switch entry.key {
            case "location": location = entry.value
            case "offset", "length":
                guard let n = Int(entry.value), n >= 0 else {
                    throw Problem(description: "initializer \(slot)'s external \(entry.key) is \(SafeText.quote(entry.value, limit: 30)); expected a byte count")
                }
                if entry.key == "offset" { offset = n } else { length = n }
            default: break   // checksum: not checked
            }
        }
        guard let file = location, !file.isEmpty else { throw Problem(description: "initializer \(slot) is external but names no location") }
        guard !file.contains("/"), !file.contains("\\"), file != ".", file != ".." else {
            throw Problem(description: "initializer \(slot)'s external data \(SafeText.quote(file, limit: 60)) is not a file next to the model")
        }
        let needed = count * width
        if let l = length, l != needed {
            throw Problem(description: "initializer \(slot)'s external length is \(l) bytes; dims \(t.dims) need \(needed)")
        }
        // A symbolic link in the folder must stay in it too (as onnx's own loader requires).
        let url = directory.appendingPathComponent(file)
        let folder = directory.resolvingSymlinksInPath().path
        guard url.resolvingSymlinksInPath().path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") else {
            throw Problem(description: "initializer \(slot)'s external data \(SafeText.quote(file, limit: 60)) links outside the model's folder")
        }
        let f: RegularFile
        do {
            f = try RegularFile(path: url.path)
        } catch let p as RegularFile.Problem {
            throw Problem(description: "initializer \(slot)'s external data \(SafeText.quote(file, limit: 60)): \(p.description)")
        }
        guard offset <= f.size, needed <= f.size - offset else {
            throw Problem(description: "initializer \(slot)'s external data reaches past the end of \(SafeText.quote(file, limit: 60)) (offset \(offset) + \(needed) bytes, the file has \(f.size))")
        }
        let data = try f.read(at: offset, count: needed)
        guard data.count == needed else { throw Problem(description: "initializer \(slot)'s external data \(SafeText.quote(file, limit: 60)) is shorter than it was") }
        return data
    }
}
