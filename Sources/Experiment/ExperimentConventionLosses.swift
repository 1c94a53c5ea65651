import RNNEngine

extension LoadedExperiment {
    /// The losses per direction of a `"loss"` file: `loss/<result>` for each result under the convention's names
    /// (`loss/outputs`, `loss/state/...`; PyTorch's `loss/output`, `loss/h_n`, `loss/c_n`), checked against the
    /// results' shapes, absent arrays zero.
    func fileLosses() throws -> [RNNLoss<Scalar>] {
        func fail(_ message: String) -> ExperimentError { ExperimentError(file: file, field: "loss", message) }
        let model = spec.model
        let shapes = try located { try model.resultShapes(batch: batchSize, maxTime: maxTime, inputDepth: inputDepth, timeMajor: spec.timeMajor) }
        let known = shapes.map { "loss/" + $0.name }
        if let stray = lossArrays.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("unexpected array \(stray) in the loss file; expected \(known.sorted().joined(separator: ", "))")
        }
        for (name, shape) in shapes {
            guard let t = lossArrays["loss/" + name], t.shape != shape else { continue }
            let what = name.hasPrefix("outputs") ? " (the outputs')" : name == "output" ? " (the output's)" : ""
            throw fail("loss/\(name) has shape \(formatShape(t.shape)), expected \(formatShape(shape))\(what)")
        }
        var named: [String: Tensor<Scalar>] = [:]
        for (name, t) in lossArrays { named[String(name.dropFirst("loss/".count))] = t }
        return try located { try model.losses(cotangents: named, batch: batchSize, maxTime: maxTime, inputDepth: inputDepth, timeMajor: spec.timeMajor) }
    }

    /// The losses per direction under the torch convention, whose results are PyTorch's: `{"output": ...}`'s unit
    /// counts along `output`'s last axis (both directions concatenated), `{"state": "h_n"}` (or `"c_n"`, `"all"`)
    /// sums a final state over every layer and direction.
    func torchLosses(_ lossSpec: LossSpec) throws -> [RNNLoss<Scalar>] {
        func fail(_ message: String) -> ExperimentError { ExperimentError(file: file, field: "loss", message) }
        let directions = spec.model.directions
        switch lossSpec {
        case .file:
            return try fileLosses()
        case .sumOfOutputs:
            return directions.map { _ in .sumOfOutputs }
        case let .output(example, step, unit, direction):
            guard direction == 0 else {
                throw fail("under the torch convention the unit counts along output's last axis (both directions concatenated); leave out direction")
            }
            let widths = directions.map { spec.cell(for: $0).outputSize }
            let total = widths.reduce(0, +)
            guard unit < total else { throw fail("unit \(unit) is out of range: output has \(total) units") }
            let d = unit < widths[0] ? 0 : 1
            let local = LossSpec.output(example: example, step: step, unit: d == 0 ? unit : unit - widths[0], direction: d)
            return try directions.indices.map { try loss(local, direction: $0) }
        case let .state(path):
            let stateNames = try located {
                try spec.model.resultShapes(batch: batchSize, maxTime: maxTime, inputDepth: inputDepth, timeMajor: spec.timeMajor)
            }.filter { $0.name != "output" }
            let picked = stateNames.filter { path == nil || $0.name == path }
            guard !picked.isEmpty else {
                throw fail("the state has no array \"\(path ?? "")\"; PyTorch's final states are \(stateNames.map { "\"\($0.name)\"" }.joined(separator: ", ")) (or \"all\")")
            }
            var ones: [String: Tensor<Scalar>] = [:]
            for s in picked { ones[s.name] = Tensor(repeating: 1, shape: s.shape) }
            return try located {
                try spec.model.losses(cotangents: ones, batch: batchSize, maxTime: maxTime, inputDepth: inputDepth, timeMajor: spec.timeMajor)
            }
        }
    }
}
