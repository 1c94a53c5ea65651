extension RNNModel {
    /// One loss per direction (what `gradients` takes) from cotangents of the results under the framework's own
    /// names, the names `ModelResult.namedTensors` gives: tf and keras `outputs`, `state/...` (bidirectional
    /// `outputs/0`, `state/1/...`); torch `output` (both directions concatenated along the depth, so its cotangent
    /// is split back across them) and `h_n`, `c_n` (`[layers * directions, batch, size]`, split per layer and
    /// direction). An absent name counts as zeros. Shapes must be `resultShapes`'; a name that is not a result or a
    /// wrong shape is an error naming it.
    public func losses<Scalar: RNNScalar>(cotangents: [String: Tensor<Scalar>], batch: Int, maxTime: Int, inputDepth: Int,
                                          timeMajor: Bool) throws -> [RNNLoss<Scalar>] {
        let shapes = try resultShapes(batch: batch, maxTime: maxTime, inputDepth: inputDepth, timeMajor: timeMajor)
        for name in cotangents.keys.sorted() {
            guard let expected = shapes.first(where: { $0.name == name })?.shape else {
                throw RNNError.invalidArgument("loss/\(name) is not one of the results (\(shapes.map { "loss/" + $0.name }.joined(separator: ", ")))")
            }
            if let t = cotangents[name], t.shape != expected {
                throw RNNError.invalidArgument("loss/\(name): expected shape \(formatShape(expected)), got \(formatShape(t.shape))")
            }
        }
        guard convention == .torch else {
            return directions.map { d in
                let i = d.rawValue
                let outputs = cotangents[bidirectional ? joinPath("outputs", String(i)) : "outputs"]
                let sizes = cell(for: d).stateSize
                let named = sizes.flattenedWithPaths(under: bidirectional ? joinPath("state", String(i)) : "state")
                let given = named.map { cotangents[$0.path] }
                guard given.contains(where: { $0 != nil }) else { return .cotangents(outputs: outputs, state: nil) }
                var it = zip(named, given).map { $0.1 ?? Tensor<Scalar>(zeros: [batch, $0.0.value]) }.makeIterator()
                return .cotangents(outputs: outputs, state: sizes.map { _ in it.next() ?? Tensor(zeros: [0]) })
            }
        }
        var outputs: [Tensor<Scalar>?] = directions.map { _ in nil }
        if let output = cotangents["output"] {
            outputs = bidirectional ? splitDepth(output, at: cell(for: .forward).outputSize) : [output]
        }
        var states: [Nest<Tensor<Scalar>>?] = directions.map { _ in nil }
        if cotangents["h_n"] != nil || cotangents["c_n"] != nil {
            func zeros(_ name: String) -> Tensor<Scalar>? { shapes.first { $0.name == name }.map { Tensor(zeros: $0.shape) } }
            guard let h = cotangents["h_n"] ?? zeros("h_n") else { throw RNNError.invalidArgument("loss/h_n: the model has no h_n") }
            states = try TorchStateLayout.split(h0: h, c0: cotangents["c_n"] ?? zeros("c_n"), model: self, batch: batch).map { Optional($0) }
        }
        return directions.map { d in .cotangents(outputs: outputs[d.rawValue], state: states[d.rawValue]) }
    }
}
