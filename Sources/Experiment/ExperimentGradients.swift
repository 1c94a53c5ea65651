import RNNEngine

/// An experiment's results and the gradients of its `"loss"`.
public struct ExperimentGradients<Scalar: RNNScalar> {
    public let result: ExperimentResult<Scalar>
    /// `∂L/∂inputs`.
    public let inputs: Tensor<Scalar>
    /// `∂L/∂initial_state` per direction.
    public let initialStates: [Nest<Tensor<Scalar>>]
    /// `∂L/∂W` by TF variable name, and the names in the cells' order.
    public let weights: [String: Tensor<Scalar>]
    public let weightNames: [String]
    /// Whether the experiment gave an initial state (only then is its gradient written).
    public let hasInitialState: Bool

    /// The arrays `unroll run` writes beside the results: `grad/inputs`, `grad/initial_state/...` (when the
    /// experiment gives one) and `grad/<weight name>`.
    public func namedArrays() throws -> [(String, NumpyArray)] {
        var out: [(String, NumpyArray)] = [("grad/inputs", try NumpyArray(inputs))]
        if hasInitialState {
            for (i, s) in initialStates.enumerated() {
                let prefix = result.bidirectional ? "grad/initial_state/\(i)" : "grad/initial_state"
                for (path, t) in s.flattenedWithPaths {
                    out.append((path.isEmpty ? prefix : prefix + "/" + path, try NumpyArray(t)))
                }
            }
        }
        for name in weightNames {
            if let w = weights[name] { out.append(("grad/" + name, try NumpyArray(w))) }
        }
        return out
    }
}

extension LoadedExperiment {
    /// Runs the experiment forward and backward through its `"loss"`.
    public func gradients() throws -> ExperimentGradients<Scalar> {
        guard let lossSpec = spec.loss else {
            throw ExperimentError(file: file, field: "loss", "missing: name a loss to differentiate")
        }
        guard spec.convention == .tf else {
            throw ExperimentError(file: file, field: "loss",
                "gradients follow TensorFlow's dynamic_rnn; this experiment's convention is \(spec.convention.rawValue) (\(spec.convention.frameworkName)), whose backward pass is not computed yet")
        }
        let directions = spec.bidirectional ? 2 : 1
        let losses = try (0..<directions).map { try loss(lossSpec, direction: $0) }
        return try located {
            guard spec.bidirectional else {
                let cell = try spec.cell.makeCell(store: store)
                let g = try dynamicRNNGradients(cell: cell, inputs: inputs, sequenceLength: spec.sequenceLength,
                                                initialState: initialState, dtype: spec.dtype, timeMajor: spec.timeMajor,
                                                scope: scope, loss: losses[0])
                return ExperimentGradients(result: ExperimentResult(outputs: [g.result.outputs], states: [g.result.state], bidirectional: false),
                                           inputs: g.inputs, initialStates: [g.initialState], weights: g.weights,
                                           weightNames: g.weightNames, hasInitialState: initialState != nil)
            }
            let fw = try spec.cell.makeCell(store: store)
            let bw = try (spec.cellBackward ?? spec.cell).makeCell(store: store)
            let g = try bidirectionalDynamicRNNGradients(
                cellForward: fw, cellBackward: bw, inputs: inputs, sequenceLength: spec.sequenceLength,
                initialStateForward: initialState, initialStateBackward: initialStateBackward, dtype: spec.dtype,
                timeMajor: spec.timeMajor, scope: scope, lossForward: losses[0], lossBackward: losses[1])
            let result = ExperimentResult(outputs: [g.forward.result.outputs, g.outputsBackward],
                                          states: [g.forward.result.state, g.backward.result.state], bidirectional: true)
            return ExperimentGradients(result: result, inputs: g.inputs,
                                       initialStates: [g.forward.initialState, g.backward.initialState],
                                       weights: g.forward.weights.merging(g.backward.weights) { a, _ in a },
                                       weightNames: g.forward.weightNames + g.backward.weightNames,
                                       hasInitialState: initialState != nil || initialStateBackward != nil)
        }
    }

    /// The engine's loss for one direction (0: forward, 1: backward), checked against the experiment's shapes.
    func loss(_ lossSpec: LossSpec, direction d: Int) throws -> RNNLoss<Scalar> {
        func fail(_ message: String) -> ExperimentError { ExperimentError(file: file, field: "loss", message) }
        let cellSpec = d == 0 ? spec.cell : (spec.cellBackward ?? spec.cell)
        let statePaths = cellSpec.stateSize.flattenedWithPaths.map(\.path)
        let bi = spec.bidirectional
        switch lossSpec {
        case .file:
            let outputsName = bi ? "loss/outputs/\(d)" : "loss/outputs"
            let statePrefix = bi ? "loss/state/\(d)" : "loss/state"
            let width = cellSpec.outputSize
            let outputShape = spec.timeMajor ? [maxTime, batchSize, width] : [batchSize, maxTime, width]
            if d == directions - 1 {
                let known = Set((0..<directions).flatMap { dir -> [String] in
                    let cs = dir == 0 ? spec.cell : (spec.cellBackward ?? spec.cell)
                    let o = bi ? "loss/outputs/\(dir)" : "loss/outputs", s = bi ? "loss/state/\(dir)" : "loss/state"
                    return [o] + cs.stateSize.flattenedWithPaths.map { $0.path.isEmpty ? s : s + "/" + $0.path }
                })
                if let stray = lossArrays.keys.sorted().first(where: { !known.contains($0) }) {
                    throw fail("unexpected array \(stray) in the loss file; expected \(known.sorted().joined(separator: ", "))")
                }
            }
            let outputs = lossArrays[outputsName]
            if let o = outputs, o.shape != outputShape {
                throw fail("\(outputsName) has shape \(formatShape(o.shape)), expected \(formatShape(outputShape)) (the outputs')")
            }
            var anyState = false
            let state = try cellSpec.stateSize.flattenedWithPaths.map { (path, size) -> Tensor<Scalar> in
                let name = path.isEmpty ? statePrefix : statePrefix + "/" + path
                guard let t = lossArrays[name] else { return Tensor(zeros: [batchSize, size]) }
                guard t.shape == [batchSize, size] else {
                    throw fail("\(name) has shape \(formatShape(t.shape)), expected \(formatShape([batchSize, size]))")
                }
                anyState = true
                return t
            }
            var it = state.makeIterator()
            let nest = cellSpec.stateSize.map { _ in it.next() ?? Tensor(zeros: [0]) }
            return .cotangents(outputs: outputs, state: anyState ? nest : nil)
        case .sumOfOutputs:
            return .sumOfOutputs
        case let .output(example, step, unit, direction):
            guard direction < directions else { throw fail("direction \(direction): the run has one direction (0)") }
            guard direction == d else { return .cotangents(outputs: nil, state: nil) }
            guard example < batchSize else { throw fail("example \(example) is out of range: batch_size is \(batchSize)") }
            guard unit < cellSpec.outputSize else { throw fail("unit \(unit) is out of range: the output has \(cellSpec.outputSize) units") }
            guard let step else {
                guard let last = RNNLoss<Scalar>.lastValidOutput(example: example, unit: unit, maxTime: maxTime,
                                                                 sequenceLength: spec.sequenceLength) else {
                    throw fail("example \(example) has no step (length 0 or max_time 0): it has no last step")
                }
                return last
            }
            guard step < maxTime else { throw fail("step \(step) is out of range: max_time is \(maxTime)") }
            return .outputUnit(example: example, step: step, unit: unit)
        case let .state(path):
            guard let path else { return .finalState(path: nil) }
            var local = path
            if bi {
                let parts = path.split(separator: "/", maxSplits: 1).map(String.init)
                guard let first = parts.first, let dir = Int(first), dir == 0 || dir == 1 else {
                    throw fail("state \"\(path)\": a bidirectional run's state arrays start with the direction, e.g. \"0/h\" or \"1\"")
                }
                guard dir == d else { return .cotangents(outputs: nil, state: nil) }
                local = parts.count > 1 ? parts[1] : ""
            }
            guard statePaths.contains(local) else {
                let names = statePaths.map { p -> String in
                    let full = bi ? (p.isEmpty ? "\(d)" : "\(d)/\(p)") : p
                    return full.isEmpty ? "\"all\" (a single array)" : "\"\(full)\""
                }
                throw fail("the state has no array \"\(path)\"; its arrays: \(names.joined(separator: ", "))")
            }
            return .finalState(path: local)
        }
    }

    private var directions: Int { spec.bidirectional ? 2 : 1 }
}
