import Foundation
import RNNEngine
import SwiftProtobuf

/// An experiment written as a real `.onnx` model (`unroll convert --to onnx --output OUT.onnx`), the way
/// `torch.onnx.export` writes a PyTorch module: the model is first expressed as PyTorch's (`ExperimentConversion`
/// to the torch convention, which refuses what PyTorch cannot hold and folds TF's `forget_bias` into the bias), then
/// each layer becomes one ONNX `LSTM`, `GRU` (`linear_before_reset = 1`) or `RNN` node, weights as initializers in
/// ONNX's gate order. Past each row's length both run alike (zeros out, the state of the last valid step), so the
/// graph computes what the torch convention computes.
///
/// - One time-major layer is a single node: graph inputs `X`, `sequence_lens`, `initial_h`, `initial_c`, outputs
///   `Y`, `Y_h`, `Y_c` (what the single-node reader reads back).
/// - Otherwise a chain, as the exporter writes it: graph inputs `input`, `sequence_lens`, `h_0`, `c_0` (PyTorch's
///   layouts), a `Transpose` for batch-major inputs, per layer a `Slice` of `h_0` / `c_0`, the node, then
///   `Transpose` + `Reshape` of its `Y` into the next layer's input; outputs `output`, `h_n`, `c_n` (`Concat` of the
///   layers' states), PyTorch's names and shapes.
///
/// Opset 14 with IR version 7 (the lowest that holds `Reshape`'s `allowzero`), float32 only: onnxruntime has no
/// float64 kernel for these operators.
public enum ONNXExport {
    /// What `convert` writes: the model's bytes, the experiment that runs it and the arrays of its `.npz`.
    public struct Written {
        public let model: Data
        public let spec: ExperimentSpec
        public let arrays: [(String, NumpyArray)]
    }

    static let opset: Int64 = 14
    static let irVersion: Int64 = 7

    /// Reads, loads and exports the experiment at `url`; `modelName` and `npzName` are the file names the written
    /// experiment names (beside it).
    public static func export(_ url: URL, displayName: String? = nil, modelName: String, npzName: String) throws -> Written {
        let name = displayName ?? url.path
        let spec = try ExperimentLoader.readSpec(url, displayName: name)
        guard spec.dtype == .float32 else {
            throw ExperimentError(file: name, field: "dtype",
                "cannot convert to onnx: ONNX's LSTM, GRU and RNN run in float32 (onnxruntime has no float64 kernel); convert a float32 experiment")
        }
        if spec.convention == .onnx {
            throw ExperimentError(file: name, field: "convention", "is onnx already: the experiment's model is one ONNX node (write it with unroll convert from the framework it came from)")
        }
        let loaded = try ExperimentLoader.load(spec, file: name, baseDirectory: url.deletingLastPathComponent(), as: Float.self, converting: true)
        return try export(loaded, modelName: modelName, npzName: npzName)
    }

    public static func export(_ loaded: LoadedExperiment<Float>, modelName: String, npzName: String) throws -> Written {
        let spec = loaded.spec, file = loaded.file
        if loaded.stepMask != nil {
            throw ExperimentError(file: file, field: loaded.maskField,
                "cannot convert to onnx: an ONNX node takes sequence_lens (a length per row), not a mask; give sequence_length")
        }
        if let lengths = spec.sequenceLength, let bad = lengths.firstIndex(where: { $0 < 1 || $0 > loaded.maxTime }) {
            throw ExperimentError(file: file, field: "sequence_length",
                "cannot convert to onnx: sequence_length[\(bad)] = \(lengths[bad]); PyTorch's export, which this follows, needs 1...\(loaded.maxTime) (max_time)")
        }
        let torch = try ExperimentConversion.converted(loaded, to: .torch).experiment
        let model = torch.spec.model
        let engine = torch.store.arrays
        let layers = model.layers(inputDepth: loaded.inputDepth)
        let directions = model.directions.count
        let depth = layers.map(\.index).max().map { $0 + 1 } ?? 0
        guard let first = layers.first?.spec.unwrappedLayer, let op = Self.operator(first.kind) else {
            throw ExperimentError(file: file, field: "cell", "cannot convert to onnx: \(model.cell.summary(for: .torch)) has no ONNX operator")
        }
        let units = first.numUnits
        let batch = loaded.batchSize, time = loaded.maxTime
        let isLSTM = op == "LSTM"
        let states = try torch.initialStateArrays()
        let single = depth == 1 && spec.timeMajor

        var graph = Onnx_GraphProto()
        graph.name = spec.name.isEmpty ? "unroll" : spec.name
        var arrays: [(String, NumpyArray)] = []
        let stateName = single ? ["h": "initial_h", "c": "initial_c"] : ["h": "h_0", "c": "c_0"]
        let x = single ? "X" : "input"
        graph.input.append(valueInfo(x, .float, loaded.inputShape))
        arrays.append(("inputs", try NumpyArray(loaded.inputs)))
        if spec.sequenceLength != nil { graph.input.append(valueInfo("sequence_lens", .int32, [batch])) }
        for (key, array) in states {
            let letter = key.hasSuffix("c_0") ? "c" : "h"
            guard letter == "h" || isLSTM, let graphName = stateName[letter] else { continue }
            graph.input.append(valueInfo(graphName, .float, array.shape))
            arrays.append((single ? graphName : "initial_state/" + graphName, array))
        }
        let hasState = { (letter: String) in states.contains { $0.0.hasSuffix(letter + "_0") } }

        var constants = 0
        func constant(_ values: [Int64]) -> String {
            constants += 1
            let name = "unroll_const_\(constants)"
            var t = Onnx_TensorProto()
            t.name = name
            t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            t.dims = [Int64(values.count)]
            t.int64Data = values
            graph.initializer.append(t)
            return name
        }
        func node(_ op: String, _ name: String, _ inputs: [String], _ outputs: [String], _ attributes: [Onnx_AttributeProto] = []) {
            var n = Onnx_NodeProto()
            n.opType = op
            n.name = name
            n.input = inputs
            n.output = outputs
            n.attribute = attributes
            graph.node.append(n)
        }

        var current = x
        if !spec.timeMajor {
            node("Transpose", "input_time_major", [x], ["input_time_major"], [ints("perm", [1, 0, 2])])
            current = "input_time_major"
        }
        var stateOutputs: [String: [String]] = ["h": [], "c": []]
        for l in 0..<depth {
            let here = layers.filter { $0.index == l }
            // W, R, B of both directions (forward first), stacked on ONNX's num_directions axis.
            var parts: [String: [Tensor<Float>]] = [:]
            for layer in here {
                do {
                    let w = try TensorFlowLayout.read(layer, in: model, from: WeightSource(lookup: { engine[$0] }))
                    for (name, t) in ONNXLayout.write(w, layer, in: model) { parts[name, default: []].append(t) }
                } catch let e as RNNError {
                    throw ExperimentError(file: file, field: "weights", "cannot convert to onnx: \(e.description)")
                }
            }
            var inputs = [current]
            for name in ["W", "R", "B"] {
                let blocks = parts[name] ?? []
                guard let shape = blocks.first?.shape else { continue }
                let initializer = "\(name)_\(l)"
                graph.initializer.append(tensor(initializer, [blocks.count] + shape.dropFirst(), blocks.flatMap(\.scalars)))
                inputs.append(initializer)
            }
            inputs.append(spec.sequenceLength == nil ? "" : "sequence_lens")
            for letter in isLSTM ? ["h", "c"] : ["h"] {
                guard hasState(letter), let source = stateName[letter] else { inputs.append(""); continue }
                if single {
                    inputs.append(source)
                } else {
                    let sliced = "\(source)_\(l)"
                    let start = Int64(l * directions)
                    node("Slice", sliced, [source, constant([start]), constant([start + Int64(directions)]), constant([0])], [sliced])
                    inputs.append(sliced)
                }
            }
            while inputs.last == "" { inputs.removeLast() }
            let outputs = single ? (isLSTM ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"]) : (isLSTM ? ["Y_\(l)", "Y_h_\(l)", "Y_c_\(l)"] : ["Y_\(l)", "Y_h_\(l)"])
            var attributes = [int("hidden_size", Int64(units)), string("direction", directions == 2 ? "bidirectional" : "forward")]
            if op == "GRU" { attributes.append(int("linear_before_reset", 1)) }
            if op == "RNN", first.activation == .relu { attributes.append(strings("activations", Array(repeating: "Relu", count: directions))) }
            node(op, "\(op.lowercased())_\(l)", inputs, outputs, attributes)
            stateOutputs["h", default: []].append(outputs[1])
            if isLSTM { stateOutputs["c", default: []].append(outputs[2]) }
            if !single {
                // Y [T, D, B, H] -> [T, B, D, H] -> [T, B, D·H]: the next layer's input.
                node("Transpose", "Y_\(l)_batch_second", [outputs[0]], ["Y_\(l)_batch_second"], [ints("perm", [0, 2, 1, 3])])
                node("Reshape", "Y_\(l)_joined", ["Y_\(l)_batch_second", constant([0, 0, -1])], ["Y_\(l)_joined"])
                current = "Y_\(l)_joined"
            }
        }
        let stateShape = [depth * directions, batch, units]
        if single {
            graph.output = [valueInfo("Y", .float, [time, directions, batch, units]), valueInfo("Y_h", .float, [directions, batch, units])]
            if isLSTM { graph.output.append(valueInfo("Y_c", .float, [directions, batch, units])) }
        } else {
            let outputShape = spec.timeMajor ? [time, batch, directions * units] : [batch, time, directions * units]
            if spec.timeMajor {
                node("Identity", "output", [current], ["output"])
            } else {
                node("Transpose", "output", [current], ["output"], [ints("perm", [1, 0, 2])])
            }
            graph.output.append(valueInfo("output", .float, outputShape))
            for (letter, name) in [("h", "h_n"), ("c", "c_n")] where letter == "h" || isLSTM {
                let parts = stateOutputs[letter] ?? []
                node(parts.count == 1 ? "Identity" : "Concat", name, parts, [name], parts.count == 1 ? [] : [int("axis", 0)])
                graph.output.append(valueInfo(name, .float, stateShape))
            }
        }

        var m = Onnx_ModelProto()
        m.irVersion = irVersion
        m.producerName = "unroll"
        var imported = Onnx_OperatorSetIdProto()
        imported.version = Self.opset
        m.opsetImport = [imported]
        m.graph = graph
        let data = try m.serializedData()

        var out = ExperimentSpec(name: spec.name, cell: spec.cell)
        out.description = "\(modelName): converted from the \(spec.convention.rawValue) convention by unroll convert"
        out.timeMajor = spec.timeMajor
        out.inputs = npzName
        out.sequenceLength = spec.sequenceLength
        out.initialState = single || states.isEmpty ? nil : npzName
        out.modelFile = modelName
        out.convention = .onnx
        return Written(model: data, spec: out, arrays: arrays)
    }

    /// The ONNX operator of a PyTorch layer's kind.
    static func `operator`(_ kind: CellKind) -> String? {
        switch kind {
        case .lstm: "LSTM"
        case .gruResetAfter: "GRU"
        case .basicRNN: "RNN"
        default: nil
        }
    }

    static func valueInfo(_ name: String, _ type: Onnx_TensorProto.DataType, _ shape: [Int]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(type.rawValue)
        var s = Onnx_TensorShapeProto()
        s.dim = shape.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(d)
            return dim
        }
        t.shape = s
        v.type.tensorType = t
        return v
    }

    static func tensor(_ name: String, _ shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = shape.map { Int64($0) }
        var raw = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        t.rawData = raw
        return t
    }

    static func int(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = value
        return a
    }

    static func ints(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values
        return a
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(value.utf8)
        return a
    }

    static func strings(_ name: String, _ values: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .strings
        a.strings = values.map { Data($0.utf8) }
        return a
    }
}
