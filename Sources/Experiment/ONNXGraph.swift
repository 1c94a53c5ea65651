import Foundation
import RNNEngine

/// An exported ONNX graph (what `torch.onnx.export` writes): one `LSTM`, `GRU` or `RNN` node per layer, with the few
/// shape operators around them (`Transpose`, `Slice`, `Reshape`, `Concat`, `Squeeze`, `Unsqueeze`, `Shape`,
/// `Gather`, `Expand`, `Constant`, `Identity`), weights and shape constants as initializers (float32, int64, int32;
/// external data next to the model).
///
/// The file is untrusted: every value a node reads must be written by an earlier node, a graph input or an
/// initializer (no cycles, no value written twice); any other operator is refused naming its type and node.
/// `run` evaluates the nodes in an order that respects their inputs: the recurrent nodes with the engine's onnx
/// convention (each one an onnx experiment of its own, as a single-node file is), the shape operators exactly on
/// int64 and float32 tensors, every shape claim checked and every tensor's size counted against the memory budget
/// before it is allocated. Hand-written: no Swift package evaluates ONNX graphs, and only these eleven operators
/// (whose ONNX specifications are short) are needed.
struct ONNXGraph: Equatable {
    /// One node, ready to run.
    struct Node: Equatable {
        let op: String
        let name: String
        let inputs: [String]
        let outputs: [String]
        /// Integer attributes (`axis`, `perm`, `allowzero`, `axes` before opset 13, `start`, `end`).
        let ints: [String: [Int64]]
        /// A `Constant`'s value.
        let constant: NumpyArray?
        /// The onnx experiment a recurrent node is (its cell, direction and layout); nil for the shape operators.
        let recurrent: ExperimentSpec?

        /// How messages name the node.
        var label: String { "node \(SafeText.quote(name, limit: 60)) (\(op))" }
    }

    /// A graph input: its name, whether it holds integers (a `sequence_lens`), and its declared dimensions (-1 for
    /// a symbolic one; nil when the file declares no shape).
    struct Input: Equatable {
        let name: String
        let isInteger: Bool
        let dims: [Int]?
    }

    /// The nodes in an order where every value is written before it is read.
    let nodes: [Node]
    let initializers: [String: NumpyArray]
    /// Graph inputs that are not initializers, in the file's order.
    let inputs: [Input]
    /// The graph's outputs, in the file's order: the results, under these names.
    let outputs: [String]

    /// The nodes of the file, as many as a graph with a few hundred layers has.
    static let maxNodes = 4096
    /// The largest rank of any tensor.
    static let maxRank = 8
    /// The recurrent operators and the shape operators this interpreter runs.
    static let recurrentOps = ["LSTM", "GRU", "RNN"]
    static let shapeOps = ["Transpose", "Slice", "Reshape", "Concat", "Squeeze", "Unsqueeze", "Shape", "Gather", "Expand", "Constant", "Identity"]

    typealias Problem = ONNXModelFile.Problem

    /// The recurrent nodes, in running order.
    var recurrentNodes: [Node] { nodes.filter { $0.recurrent != nil } }

    /// A one-line summary: `31 nodes: 2 GRU`.
    var summary: String {
        let ops = recurrentNodes.map(\.op)
        return "\(nodes.count) nodes: \(ops.count) \(Set(ops).count == 1 ? ops[0] : "recurrent")\(ops.count == 1 ? "" : " layers")"
    }

    // MARK: - Reading

    /// The graph of `model` (already decoded, opset checked); external data is looked up in `directory`.
    init(model: Onnx_ModelProto, directory: URL, byteLimit: Int = MemoryBudget.byteLimit) throws {
        let graph = model.graph
        guard graph.node.count <= Self.maxNodes else {
            throw Problem(description: "the graph has \(graph.node.count) nodes; at most \(Self.maxNodes) are read")
        }
        // Initializers, decoded once the total their dims claim fits the budget.
        var reader = TensorReader(directory: directory, byteLimit: byteLimit)
        reader.integers = true
        var initializers: [String: NumpyArray] = [:]
        var total = 0
        for t in graph.initializer {
            let slot = SafeText.quote(t.name, limit: 60)
            guard initializers[t.name] == nil else { throw Problem(description: "two initializers are named \(slot)") }
            let count = try reader.elementCount(t, slot: slot)
            total += count * TensorReader.decodedWidth(t)
            guard total <= byteLimit else {
                throw Problem(description: "its initializers need more than \(formatBytes(Double(total))) (at \(slot)), more than the \(formatBytes(Double(byteLimit))) this process may use")
            }
            initializers[t.name] = try reader.array(t, slot: slot, count: count)
        }
        var inputs: [Input] = []
        var defined = Set(initializers.keys)
        let integerTypes = [Onnx_TensorProto.DataType.int64, .int32].map { Int32($0.rawValue) }
        for i in graph.input where initializers[i.name] == nil {
            guard !i.name.isEmpty, defined.insert(i.name).inserted else {
                throw Problem(description: "the graph input \(SafeText.quote(i.name, limit: 60)) is named twice (or is empty)")
            }
            let tensor = i.type.tensorType
            let dims = tensor.hasShape && tensor.shape.dim.count <= Self.maxRank
                ? tensor.shape.dim.map { $0.dimValue > 0 ? Int(clamping: $0.dimValue) : -1 } : nil
            inputs.append(Input(name: i.name, isInteger: integerTypes.contains(tensor.elemType), dims: dims))
        }
        guard !inputs.isEmpty else { throw Problem(description: "the graph has no input (every graph input is an initializer)") }

        // The nodes: known operators only, each value written once.
        var nodes: [Node] = []
        var writer: [String: Int] = [:]
        for (index, n) in graph.node.enumerated() {
            let node = try Self.node(n, index: index, reader: reader)
            for o in node.outputs where !o.isEmpty {
                if defined.contains(o) {
                    throw Problem(description: "\(node.label) writes \(SafeText.quote(o, limit: 60)), which \(writer[o].map { "\($0 == index ? "it" : nodes[$0].label) writes too" } ?? "is a graph input or initializer"): a value is written once")
                }
                defined.insert(o)
                writer[o] = index
            }
            nodes.append(node)
        }
        // Kahn's order: a node runs once every node writing its inputs has run; what is left waits on itself.
        var waiting = [Int](repeating: 0, count: nodes.count)
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for i in node.inputs where !i.isEmpty {
                if let w = writer[i] {
                    waiting[index] += 1
                    readers[w].append(index)
                } else if !defined.contains(i) {
                    throw Problem(description: "\(node.label) reads \(SafeText.quote(i, limit: 60)), which no node, graph input or initializer defines")
                }
            }
        }
        var order: [Int] = [], ready = nodes.indices.filter { waiting[$0] == 0 }.reversed() as [Int]
        while let next = ready.popLast() {
            order.append(next)
            for r in readers[next] {
                waiting[r] -= 1
                if waiting[r] == 0 { ready.append(r) }
            }
        }
        if order.count < nodes.count, let stuck = nodes.indices.first(where: { waiting[$0] > 0 }) {
            throw Problem(description: "the graph has a cycle: \(nodes[stuck].label) waits, through its inputs, on its own output")
        }
        let outputs = graph.output.map(\.name)
        guard !outputs.isEmpty else { throw Problem(description: "the graph has no outputs") }
        for o in outputs where !defined.contains(o) {
            throw Problem(description: "the graph output \(SafeText.quote(o, limit: 60)) is written by no node")
        }
        guard nodes.contains(where: { $0.recurrent != nil }) else {
            let ops = graph.node.prefix(6).map { SafeText.quote($0.opType, limit: 30) }.joined(separator: ", ")
            throw Problem(description: "the graph has \(graph.node.count) nodes\(ops.isEmpty ? "" : " (\(ops))") and no LSTM, GRU or RNN node")
        }
        self.nodes = order.map { nodes[$0] }
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }

    /// One node of the file, its operator known and its attributes read.
    private static func node(_ n: Onnx_NodeProto, index: Int, reader: TensorReader) throws -> Node {
        let name = n.name.isEmpty ? "#\(index)" : n.name
        let label = "node \(SafeText.quote(name, limit: 60)) (\(SafeText.quote(n.opType, limit: 40)))"
        guard n.domain.isEmpty || n.domain == "ai.onnx" else {
            throw Problem(description: "\(label) is from the domain \(SafeText.quote(n.domain, limit: 40)); only ONNX's own operators run")
        }
        let op = n.opType
        guard recurrentOps.contains(op) || shapeOps.contains(op) else {
            throw Problem(description: "\(label) is an operator Unroll does not run; it runs LSTM, GRU and RNN nodes and \(shapeOps.joined(separator: ", "))")
        }
        guard n.input.count <= 16 || op == "Concat", n.input.count <= maxNodes, n.output.count <= 3 else {
            throw Problem(description: "\(label) has \(n.input.count) inputs and \(n.output.count) outputs; more than \(op) takes")
        }
        var recurrent: ExperimentSpec?
        if recurrentOps.contains(op) {
            let slots = ONNXModelFile.inputSlots(op)
            guard n.input.count <= slots.count, n.input.count >= 3, n.output.count <= ONNXModelFile.outputSlots(op).count else {
                throw Problem(description: "\(label) has \(n.input.count) inputs and \(n.output.count) outputs; \(op) takes 3 to \(slots.count) inputs (X, W, R, ...) and at most \(ONNXModelFile.outputSlots(op).count) outputs")
            }
            let hasPeepholes = n.input.count > 7 && !n.input[7].isEmpty
            do {
                let fields = try ONNXModelFile.cellFields(n, type: ONNXModelFile.cellTypes[op] ?? "", hasPeepholes: hasPeepholes)
                let object: [String: JSONValue] = ["name": .string(name), "convention": .string(Convention.onnx.rawValue), "cell": fields.cell,
                                                   "direction": .string(fields.direction), "time_major": .bool(fields.timeMajor),
                                                   "inputs": .string("(the node's X)")]
                recurrent = try ExperimentSpec.parse(FieldReader(file: label, path: "", value: .object(object, order: object.keys.sorted())))
            } catch let p as Problem {
                throw Problem(description: "\(label): \(p.description)")
            } catch let e as ExperimentError {
                throw Problem(description: "\(label): its \(e.field.isEmpty ? "attributes" : e.field): \(e.message)")
            }
        }
        var ints: [String: [Int64]] = [:]
        var constant: NumpyArray?
        for a in n.attribute {
            guard ints[a.name] == nil else { throw Problem(description: "\(label) has the attribute \(SafeText.quote(a.name, limit: 40)) twice") }
            switch (op, a.name) {
            case ("Constant", "value"):
                guard a.type == .tensor else { throw Problem(description: "\(label)'s value is not a tensor") }
                let slot = "of \(label)"
                constant = try reader.array(a.t, slot: slot, count: try reader.elementCount(a.t, slot: slot))
            case ("Constant", "value_int"): constant = try NumpyArray(int64: [a.i], shape: [])
            case ("Constant", "value_ints"): constant = try NumpyArray(int64: a.ints, shape: [a.ints.count])
            case ("Constant", "value_float"): constant = try NumpyArray(float32: [a.f], shape: [])
            case ("Constant", "value_floats"): constant = try NumpyArray(float32: a.floats, shape: [a.floats.count])
            case ("Transpose", "perm"), ("Squeeze", "axes"), ("Unsqueeze", "axes"):
                guard a.type == .ints else { throw Problem(description: "\(label)'s \(a.name) is not a list of integers") }
                ints[a.name] = a.ints
            case ("Concat", "axis"), ("Gather", "axis"), ("Reshape", "allowzero"), ("Shape", "start"), ("Shape", "end"):
                guard a.type == .int else { throw Problem(description: "\(label)'s \(a.name) is not an integer") }
                ints[a.name] = [a.i]
            case (_, _) where recurrentOps.contains(op):
                break   // read by `cellFields` above
            default:
                throw Problem(description: "\(label) has the attribute \(SafeText.quote(a.name, limit: 40)), which this reader does not know for \(op)")
            }
        }
        if op == "Constant" && constant == nil { throw Problem(description: "\(label) has no value") }
        return Node(op: op, name: name, inputs: n.input, outputs: n.output, ints: ints, constant: constant, recurrent: recurrent)
    }
}

// MARK: - Running

extension ONNXGraph {
    /// A tensor between nodes: float32 or int64 values and a shape.
    struct Value {
        enum Storage { case float([Float]), int([Int64]) }
        var shape: [Int]
        var storage: Storage
        var count: Int { switch storage { case let .float(v): v.count; case let .int(v): v.count } }
        var isFloat: Bool { if case .float = storage { true } else { false } }
        var byteWidth: Int { isFloat ? 4 : 8 }

        init(shape: [Int], storage: Storage) {
            self.shape = shape
            self.storage = storage
        }

        init(_ a: NumpyArray) throws {
            switch a.storage {
            case let .float32(v): self.init(shape: a.shape, storage: .float(v))
            case let .int64(v): self.init(shape: a.shape, storage: .int(v))
            case let .int32(v): self.init(shape: a.shape, storage: .int(v.map { Int64($0) }))
            default: throw Problem(description: "has dtype \(a.dtype.rawValue); a graph's values are float32, int64 or int32")
            }
        }

        func array() throws -> NumpyArray {
            switch storage {
            case let .float(v): try NumpyArray(float32: v, shape: shape)
            case let .int(v): try NumpyArray(int64: v, shape: shape)
            }
        }

        /// The elements at `source` (indices into this tensor), shaped `shape`.
        func gathered(_ source: [Int], shape: [Int]) -> Value {
            switch storage {
            case let .float(v): Value(shape: shape, storage: .float(source.map { v[$0] }))
            case let .int(v): Value(shape: shape, storage: .int(source.map { v[$0] }))
            }
        }
    }

    /// Runs the graph on `given` (every graph input by name) and returns the graph's outputs by name, in order.
    func run(_ given: [String: NumpyArray], byteLimit: Int = MemoryBudget.byteLimit) throws -> [(String, NumpyArray)] {
        var interpreter = Interpreter(byteLimit: byteLimit)
        for (name, a) in initializers { try interpreter.store(name, try Value(a), by: "initializer") }
        for i in inputs {
            guard let a = given[i.name] else { throw Problem(description: "no value for the graph input \(SafeText.quote(i.name, limit: 60))") }
            do {
                try interpreter.store(i.name, try Value(a), by: "graph input")
            } catch let p as Problem {
                throw Problem(description: "the graph input \(SafeText.quote(i.name, limit: 60)) \(p.description)")
            }
        }
        for node in nodes {
            do {
                try interpreter.run(node)
            } catch let p as Problem {
                throw Problem(description: "\(node.label): \(p.description)")
            }
        }
        return try outputs.map { name in
            guard let v = interpreter.values[name] else {
                throw Problem(description: "the graph output \(SafeText.quote(name, limit: 60)) was not computed (an output slot its node does not fill)")
            }
            return (name, try v.array())
        }
    }

    /// The values computed so far and the bytes they hold, within the budget.
    struct Interpreter {
        let byteLimit: Int
        var values: [String: Value] = [:]
        var used = 0

        /// The element count of `shape` for elements of `width` bytes, refused before allocating when the values held
        /// and this one would exceed the budget, or when the rank is absurd.
        mutating func reserve(_ shape: [Int], width: Int) throws -> Int {
            guard shape.count <= ONNXGraph.maxRank else { throw Problem(description: "would make a tensor of rank \(shape.count); at most \(ONNXGraph.maxRank)") }
            var count = 1
            for d in shape {
                guard d >= 0 else { throw Problem(description: "would make a tensor with a negative dimension (\(formatShape(shape)))") }
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, p <= byteLimit / width else {
                    throw Problem(description: "would make a tensor of shape \(formatShape(shape)), more than the \(formatBytes(Double(byteLimit))) this process may use")
                }
                count = p
            }
            guard used + count * width <= byteLimit else {
                throw Problem(description: "would make a tensor of shape \(formatShape(shape)); with the values before it, more than the \(formatBytes(Double(byteLimit))) this process may use")
            }
            used += count * width
            return count
        }

        mutating func store(_ name: String, _ v: Value, by _: String) throws {
            _ = try reserve(v.shape, width: v.byteWidth)
            values[name] = v
        }

        /// The value of input `i` of `node`; nil when the input is absent or empty.
        func input(_ node: Node, _ i: Int) -> Value? {
            guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
            return values[node.inputs[i]]
        }

        func required(_ node: Node, _ i: Int, _ what: String) throws -> Value {
            guard let v = input(node, i) else { throw Problem(description: "has no \(what) input") }
            return v
        }

        /// Input `i` as a list of integers (a 0-d or 1-d int64 tensor).
        func integers(_ node: Node, _ i: Int, _ what: String) throws -> [Int]? {
            guard let v = input(node, i) else { return nil }
            guard case let .int(values) = v.storage, v.shape.count <= 1 else {
                throw Problem(description: "its \(what) must be a list of integers, got a \(v.isFloat ? "float" : "int64") tensor of shape \(formatShape(v.shape))")
            }
            return values.map { Int(clamping: $0) }
        }

        /// `axis` in `-rank..<rank`, made non-negative.
        func axis(_ a: Int, rank: Int, _ what: String = "axis") throws -> Int {
            guard a >= -rank, a < rank else { throw Problem(description: "\(what) \(a) is outside -\(rank)..<\(rank)") }
            return a < 0 ? a + rank : a
        }

        mutating func put(_ node: Node, _ v: Value, at slot: Int = 0) throws {
            guard slot < node.outputs.count, !node.outputs[slot].isEmpty else { return }
            try store(node.outputs[slot], v, by: node.op)
        }

        /// A result of `shape` made of the input's elements at `source` (counted against the budget first).
        mutating func remapped(_ v: Value, shape: [Int], source: (_ index: [Int]) -> Int) throws -> Value {
            let count = try reserve(shape, width: 8)   // the index list
            var out: [Int] = []
            out.reserveCapacity(count)
            forEachIndex(shape) { out.append(source($0)) }
            used -= count * 8
            return v.gathered(out, shape: shape)
        }

        mutating func run(_ node: Node) throws {
            switch node.op {
            case "Constant": try put(node, try Value(node.constant ?? NumpyArray(float32: [], shape: [0])))
            case "Identity": try put(node, try required(node, 0, "input"))
            case "Shape": try shape(node)
            case "Gather": try gather(node)
            case "Unsqueeze", "Squeeze": try squeeze(node)
            case "Concat": try concat(node)
            case "Expand": try expand(node)
            case "Reshape": try reshape(node)
            case "Transpose": try transpose(node)
            case "Slice": try slice(node)
            default: try recurrent(node)
            }
        }

        mutating func shape(_ node: Node) throws {
            let x = try required(node, 0, "data")
            let rank = x.shape.count
            func clamp(_ a: Int) -> Int { min(max(a < 0 ? a + rank : a, 0), rank) }
            let start = clamp(Int(clamping: node.ints["start"]?.first ?? 0))
            let end = clamp(Int(clamping: node.ints["end"]?.first ?? Int64(rank)))
            let dims = start < end ? Array(x.shape[start..<end]) : []
            _ = try reserve([dims.count], width: 8)
            used -= dims.count * 8
            try put(node, Value(shape: [dims.count], storage: .int(dims.map { Int64($0) })))
        }

        mutating func gather(_ node: Node) throws {
            let data = try required(node, 0, "data"), indices = try required(node, 1, "indices")
            guard case let .int(idx) = indices.storage else { throw Problem(description: "its indices are not integers") }
            guard !data.shape.isEmpty else { throw Problem(description: "gathers from a scalar") }
            let axis = try self.axis(Int(clamping: node.ints["axis"]?.first ?? 0), rank: data.shape.count)
            let d = data.shape[axis]
            let picked = try idx.map { i -> Int in
                guard i >= -Int64(d), i < Int64(d) else { throw Problem(description: "index \(i) is outside -\(d)..<\(d) (axis \(axis) of \(formatShape(data.shape)))") }
                return Int(i < 0 ? i + Int64(d) : i)
            }
            let outer = Array(data.shape[..<axis]), inner = Array(data.shape[(axis + 1)...])
            let shape = outer + indices.shape + inner
            let strides = Self.strides(data.shape), r = indices.shape.count
            let idxStrides = Self.strides(indices.shape)
            try put(node, try remapped(data, shape: shape) { index in
                var flat = 0
                for k in 0..<axis { flat += index[k] * strides[k] }
                var at = 0
                for k in 0..<r { at += index[axis + k] * idxStrides[k] }
                flat += picked[at] * strides[axis]
                for k in 0..<inner.count { flat += index[axis + r + k] * strides[axis + 1 + k] }
                return flat
            })
        }

        mutating func squeeze(_ node: Node) throws {
            let data = try required(node, 0, "data")
            let given = try integers(node, 1, "axes") ?? node.ints["axes"]?.map { Int(clamping: $0) }
            var shape = data.shape
            if node.op == "Unsqueeze" {
                guard let axes = given else { throw Problem(description: "has no axes") }
                let rank = shape.count + axes.count
                guard rank <= ONNXGraph.maxRank else { throw Problem(description: "would make a tensor of rank \(rank); at most \(ONNXGraph.maxRank)") }
                let normalized = try axes.map { try axis($0, rank: rank, "axes value") }
                guard Set(normalized).count == normalized.count else { throw Problem(description: "its axes \(axes) repeat an axis") }
                for a in normalized.sorted() { shape.insert(1, at: a) }
            } else if let axes = given {
                let normalized = try Set(axes.map { try axis($0, rank: shape.count, "axes value") })
                for a in normalized where shape[a] != 1 {
                    throw Problem(description: "squeezes axis \(a) of \(formatShape(data.shape)), which is not 1")
                }
                shape = shape.enumerated().filter { !normalized.contains($0.offset) }.map(\.element)
            } else {
                shape = shape.filter { $0 != 1 }
            }
            guard shape.count <= ONNXGraph.maxRank else { throw Problem(description: "would make a tensor of rank \(shape.count); at most \(ONNXGraph.maxRank)") }
            try put(node, Value(shape: shape, storage: data.storage))
        }

        mutating func concat(_ node: Node) throws {
            let parts = try node.inputs.indices.map { try required(node, $0, "input \($0)") }
            guard let first = parts.first, !first.shape.isEmpty else { throw Problem(description: "has no inputs of rank 1 or more") }
            let axis = try self.axis(Int(clamping: node.ints["axis"]?.first ?? Int64.max), rank: first.shape.count)
            var length = 0
            for p in parts {
                guard p.isFloat == first.isFloat, p.shape.count == first.shape.count,
                      p.shape.enumerated().allSatisfy({ $0.offset == axis || $0.element == first.shape[$0.offset] }) else {
                    throw Problem(description: "joins \(parts.map { ($0.isFloat ? "float" : "int64") + formatShape($0.shape) }.joined(separator: " and ")) on axis \(axis): every other dimension and the type must agree")
                }
                length += p.shape[axis]
            }
            var shape = first.shape
            shape[axis] = length
            _ = try reserve(shape, width: first.byteWidth)
            used -= Self.count(shape) * first.byteWidth
            let outer = shape[..<axis].reduce(1, *)
            switch first.storage {
            case .float:
                var out: [Float] = []
                for o in 0..<outer { for p in parts { if case let .float(v) = p.storage { let n = v.count / max(outer, 1); out += v[(o * n)..<((o + 1) * n)] } } }
                try put(node, Value(shape: shape, storage: .float(out)))
            case .int:
                var out: [Int64] = []
                for o in 0..<outer { for p in parts { if case let .int(v) = p.storage { let n = v.count / max(outer, 1); out += v[(o * n)..<((o + 1) * n)] } } }
                try put(node, Value(shape: shape, storage: .int(out)))
            }
        }

        mutating func expand(_ node: Node) throws {
            let data = try required(node, 0, "input")
            guard let target = try integers(node, 1, "shape") else { throw Problem(description: "has no shape input") }
            let rank = max(data.shape.count, target.count)
            guard rank <= ONNXGraph.maxRank else { throw Problem(description: "would make a tensor of rank \(rank); at most \(ONNXGraph.maxRank)") }
            let a = Array(repeating: 1, count: rank - data.shape.count) + data.shape
            let b = Array(repeating: 1, count: rank - target.count) + target
            let shape = try zip(a, b).map { x, y -> Int in
                guard y >= 0 else { throw Problem(description: "its shape \(target) has a negative dimension") }
                if x == y || y == 1 { return x }
                if x == 1 { return y }
                throw Problem(description: "cannot broadcast \(formatShape(data.shape)) to \(target)")
            }
            let strides = Self.strides(a)
            try put(node, try remapped(data, shape: shape) { index in
                var flat = 0
                for k in 0..<rank where a[k] != 1 { flat += index[k] * strides[k] }
                return flat
            })
        }

        mutating func reshape(_ node: Node) throws {
            let data = try required(node, 0, "data")
            guard let target = try integers(node, 1, "shape") else { throw Problem(description: "has no shape input") }
            guard target.count <= ONNXGraph.maxRank else { throw Problem(description: "reshapes to rank \(target.count); at most \(ONNXGraph.maxRank)") }
            let allowZero = node.ints["allowzero"]?.first ?? 0 != 0
            var shape: [Int] = []
            var inferred: Int?
            for (i, d) in target.enumerated() {
                switch d {
                case 0 where !allowZero:
                    guard i < data.shape.count else { throw Problem(description: "its shape \(target) copies dimension \(i) of \(formatShape(data.shape)), which it lacks") }
                    shape.append(data.shape[i])
                case -1:
                    guard inferred == nil else { throw Problem(description: "its shape \(target) has more than one -1") }
                    inferred = i
                    shape.append(1)
                case let d where d < 0:
                    throw Problem(description: "its shape \(target) has a negative dimension \(d)")
                default: shape.append(d)
                }
            }
            // The product of the given dimensions, saturating (a claim far beyond the data is simply wrong).
            let known = shape.reduce(1) { p, d in
                let (m, overflow) = p.multipliedReportingOverflow(by: d)
                return overflow ? Int.max : m
            }
            if let i = inferred, known > 0, known != Int.max, data.count % known == 0 {
                shape[i] = data.count / known
            } else if inferred != nil || known != data.count {
                throw Problem(description: "cannot reshape \(formatShape(data.shape)) (\(data.count) elements) to \(target)")
            }
            try put(node, Value(shape: shape, storage: data.storage))
        }

        mutating func transpose(_ node: Node) throws {
            let data = try required(node, 0, "data")
            let rank = data.shape.count
            let perm = node.ints["perm"]?.map { Int(clamping: $0) } ?? Array((0..<rank).reversed())
            guard perm.sorted() == Array(0..<rank) else { throw Problem(description: "its perm \(perm) is not a permutation of the \(rank) axes of \(formatShape(data.shape))") }
            let shape = perm.map { data.shape[$0] }
            let strides = Self.strides(data.shape)
            try put(node, try remapped(data, shape: shape) { index in
                var flat = 0
                for k in 0..<rank { flat += index[k] * strides[perm[k]] }
                return flat
            })
        }

        mutating func slice(_ node: Node) throws {
            let data = try required(node, 0, "data")
            guard let starts = try integers(node, 1, "starts"), let ends = try integers(node, 2, "ends") else {
                throw Problem(description: "needs starts and ends")
            }
            let rank = data.shape.count
            let axes = try (integers(node, 3, "axes") ?? Array(0..<starts.count)).map { try axis($0, rank: rank, "axes value") }
            // A step beyond ±2^62 takes one element as any larger one does; bounding it keeps the arithmetic exact.
            let steps = (try integers(node, 4, "steps") ?? Array(repeating: 1, count: starts.count)).map { min(max($0, -(1 << 62)), 1 << 62) }
            guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
                throw Problem(description: "has \(starts.count) starts, \(ends.count) ends, \(axes.count) axes and \(steps.count) steps; they must agree")
            }
            guard Set(axes).count == axes.count else { throw Problem(description: "slices an axis twice (axes \(axes))") }
            var begin = Array(repeating: 0, count: rank), step = Array(repeating: 1, count: rank), shape = data.shape
            for (k, a) in axes.enumerated() {
                let d = data.shape[a], s = steps[k]
                guard s != 0 else { throw Problem(description: "has a step of 0 (axis \(a))") }
                var b = starts[k] < 0 ? starts[k] + d : starts[k], e = ends[k] < 0 ? ends[k] + d : ends[k]
                if s > 0 {
                    b = min(max(b, 0), d); e = min(max(e, 0), d)
                    shape[a] = e <= b ? 0 : 1 + (e - b - 1) / s
                } else {
                    b = min(max(b, 0), d - 1); e = min(max(e, -1), d - 1)
                    shape[a] = b <= e ? 0 : 1 + (b - e - 1) / -s
                }
                begin[a] = b
                step[a] = s
            }
            let strides = Self.strides(data.shape)
            try put(node, try remapped(data, shape: shape) { index in
                var flat = 0
                for k in 0..<rank { flat += (begin[k] + index[k] * step[k]) * strides[k] }
                return flat
            })
        }

        /// An LSTM, GRU or RNN node: the engine's onnx convention, as a single-node experiment runs it.
        mutating func recurrent(_ node: Node) throws {
            guard let spec = node.recurrent else { return }
            let slots = ONNXModelFile.inputSlots(node.op)
            var named: [String: Value] = [:]
            for (i, slot) in slots.enumerated() {
                guard let v = input(node, i) else { continue }
                guard slot == "sequence_lens" || v.isFloat else { throw Problem(description: "its \(slot) is not float32") }
                named[slot] = v
            }
            guard let x = named["X"], x.shape.count == 3 else {
                throw Problem(description: "its X must be a rank-3 tensor, got \(named["X"].map { formatShape($0.shape) } ?? "none")")
            }
            let model = spec.model
            let (time, batch) = spec.timeMajor ? (x.shape[0], x.shape[1]) : (x.shape[1], x.shape[0])
            let units = spec.cell.outputSize
            // What the run holds besides its inputs: Y, the states, every step's gates (a few per unit).
            _ = try reserve([time, batch, model.directions.count, units, 8], width: 4)
            func tensor(_ v: Value) throws -> Tensor<Float> {
                guard case let .float(f) = v.storage else { throw Problem(description: "expected a float tensor") }
                return try Tensor(shape: v.shape, scalars: f)
            }
            var lengths: [Int]?
            if let l = named["sequence_lens"] {
                guard case let .int(v) = l.storage, l.shape == [batch] else {
                    throw Problem(description: "its sequence_lens must be [batch] = [\(batch)] integers, got \(formatShape(l.shape))")
                }
                lengths = v.map { Int(clamping: $0) }
            }
            do {
                let weights = try named.filter { ["W", "R", "B", "P"].contains($0.key) }.mapValues(tensor)
                let engine = try WeightLayouts.engineArrays(model: model, inputDepth: x.shape[2]) { weights[$0] }
                let variables = VariableStore(arrays: engine, missing: .fail)
                let states = try ONNXStateLayout.split(h: try named["initial_h"].map(tensor), c: try named["initial_c"].map(tensor),
                                                       model: model, batch: batch, timeMajor: spec.timeMajor)
                let r = try model.run(store: variables, inputs: try tensor(x), sequenceLength: lengths,
                                      initialStates: [states.first, states.count > 1 ? states[1] : nil], timeMajor: spec.timeMajor)
                let results = try ExperimentResult(outputs: r.outputs, states: r.states, bidirectional: spec.bidirectional, model: model,
                                                   timeMajor: spec.timeMajor).namedArrays()
                for (slot, name) in zip(ONNXModelFile.outputSlots(node.op), node.outputs) where !name.isEmpty {
                    guard let a = results.first(where: { $0.0 == slot })?.1 else { continue }
                    try store(name, try Value(a), by: node.op)
                }
            } catch let e as RNNError {
                throw Problem(description: e.description)
            }
        }

        static func strides(_ shape: [Int]) -> [Int] {
            var s = Array(repeating: 1, count: shape.count)
            for k in stride(from: shape.count - 2, through: 0, by: -1) { s[k] = s[k + 1] * shape[k + 1] }
            return s
        }

        static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

        /// Calls `body` with every index of `shape` in row-major order.
        func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
            guard !shape.contains(0) else { return }
            var index = Array(repeating: 0, count: shape.count)
            while true {
                body(index)
                var k = shape.count - 1
                while k >= 0 {
                    index[k] += 1
                    if index[k] < shape[k] { break }
                    index[k] = 0
                    k -= 1
                }
                if k < 0 { return }
            }
        }
    }
}
