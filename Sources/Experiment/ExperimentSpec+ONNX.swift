import RNNEngine

/// The fields an experiment under `"convention": "onnx"` reads and writes differently: `direction` instead of
/// `bidirectional` and `cell_bw`, the cell's `activations` list holding every direction's functions (forward
/// first), float32 only, no `loss`.
extension ExperimentSpec {
    /// ONNX's `direction` values.
    static let onnxDirections = ["forward", "reverse", "bidirectional"]

    /// Reads `direction` and splits the cell's `activations` into the directions' cells (an onnx experiment), or
    /// refuses `direction` (any other convention).
    mutating func readONNXFields(_ r: FieldReader, cell: FieldReader) throws {
        guard convention == .onnx else {
            if r.has("direction") {
                throw r.fail("direction", "only under \"convention\": \"onnx\"; the \(convention.rawValue) convention says \"bidirectional\": true")
            }
            return
        }
        for key in ["bidirectional", "cell_bw"] where r.has(key) {
            throw r.fail(key, "not an onnx field: one ONNX node runs both directions with one cell spec; say \"direction\": \"bidirectional\"")
        }
        if r.has("loss") { throw r.fail("loss", "gradients under the onnx convention are not supported yet") }
        if dtype != .float32 {
            throw r.fail("dtype", "onnxruntime has no \(dtype.rawValue) kernel for LSTM, GRU or RNN (\"LSTM operator does not support double yet\"); use float32")
        }
        let direction = try r.string("direction") ?? "forward"
        guard Self.onnxDirections.contains(direction) else {
            throw r.fail("direction", "unknown direction \"\(direction)\"; one of \(Self.onnxDirections.joined(separator: ", "))")
        }
        bidirectional = direction == "bidirectional"
        reverse = direction == "reverse"
        guard case var .layer(layer) = self.cell, !layer.options.activations.isEmpty else { return }
        let all = layer.options.activations, perDirection = layer.descriptor.defaultActivations.count
        let directions = bidirectional ? 2 : 1
        guard all.count == perDirection * directions else {
            throw cell.fail(CellOptions.Key.activations,
                "has \(all.count) functions, expected \(perDirection * directions): \(perDirection) per direction (\(layer.descriptor.cellLabel)) for \(directions) direction\(directions == 1 ? "" : "s") (\"direction\": \"\(direction)\")")
        }
        layer.options.activations = Array(all[0..<perDirection])
        self.cell = .layer(layer)
        if bidirectional {
            layer.options.activations = Array(all[perDirection...])
            cellBackward = .layer(layer)
        }
    }

    /// An onnx experiment's `direction`, and its cell's `activations` joined over the directions (no `cell_bw`).
    func writeONNXFields(into d: inout [String: Any]) {
        d["direction"] = bidirectional ? "bidirectional" : reverse ? "reverse" : "forward"
        d["cell_bw"] = nil
        d["bidirectional"] = nil
        guard var c = d["cell"] as? [String: Any], case let .layer(fw) = cell else { return }
        var functions = fw.activationList
        if bidirectional { functions += cell(for: .backward).unwrappedLayer?.activationList ?? [] }
        // Only a list that is not the operator's defaults is written.
        if functions != Array(repeating: fw.descriptor.defaultActivations, count: bidirectional ? 2 : 1).flatMap({ $0 }) {
            c[CellOptions.Key.activations] = functions.map(\.function.rawValue)
            let p = ONNXActivation.parameters(of: functions)
            c[CellOptions.Key.activationAlpha] = p.alpha.isEmpty ? nil : p.alpha
            c[CellOptions.Key.activationBeta] = p.beta.isEmpty ? nil : p.beta
        }
        d["cell"] = c
    }
}
