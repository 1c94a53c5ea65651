import RNNEngine

/// An experiment's results and the gradients of its `"loss"`.
public struct ExperimentGradients<Scalar: RNNScalar> {
    public let result: ExperimentResult<Scalar>
    /// `∂L/∂inputs`.
    public let inputs: Tensor<Scalar>
    /// `∂L/∂initial_state` per direction.
    public let initialStates: [Nest<Tensor<Scalar>>]
    /// `∂L/∂W` by the convention's weight names (TF's variables, Keras' paths, PyTorch's `state_dict` keys), and
    /// the names in the cells' order.
    public let weights: [String: Tensor<Scalar>]
    public let weightNames: [String]
    /// Whether the experiment gave an initial state (only then is its gradient written).
    public let hasInitialState: Bool

    /// The arrays `unroll run` writes beside the results: `grad/inputs`, `grad/initial_state/...` (when the
    /// experiment gives one; PyTorch's `grad/initial_state/h_0` and `c_0` under torch) and `grad/<weight name>`.
    public func namedArrays() throws -> [(String, NumpyArray)] {
        var out: [(String, NumpyArray)] = [("grad/inputs", try NumpyArray(inputs))]
        if hasInitialState, let model = result.model, model.convention == .torch {
            let stacked = try TorchStateLayout.stack(initialStates, model: model)
            out.append(("grad/initial_state/h_0", try NumpyArray(stacked.h)))
            if let c = stacked.c { out.append(("grad/initial_state/c_0", try NumpyArray(c))) }
        } else if hasInitialState {
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
    /// Runs the experiment forward and backward through its `"loss"`, as its convention's framework computes the
    /// results (`RNNModel.gradients`); weight gradients are named as the convention names the weights.
    public func gradients() throws -> ExperimentGradients<Scalar> {
        guard let lossSpec = spec.loss else {
            throw ExperimentError(file: file, field: "loss", "missing: name a loss to differentiate")
        }
        let losses: [RNNLoss<Scalar>]
        if spec.convention == .torch {
            losses = try torchLosses(lossSpec)
        } else if case .file = lossSpec {
            losses = try fileLosses()
        } else {
            losses = try (0..<directions).map { try loss(lossSpec, direction: $0) }
        }
        return try located {
            let model = spec.model
            let initialStates = [initialState, initialStateBackward]
            let g = try stepMask.map {
                try model.gradients(store: store, inputs: inputs, mask: $0, initialStates: initialStates, timeMajor: spec.timeMajor, losses: losses)
            } ?? model.gradients(store: store, inputs: inputs, sequenceLength: spec.sequenceLength,
                                 initialStates: initialStates, timeMajor: spec.timeMajor, losses: losses)
            var weights = g.weights, names = g.weightNames
            if spec.convention != .tf {
                let framework = try WeightLayouts.frameworkGradients(model: model, inputDepth: inputDepth, engine: g.weights)
                weights = Dictionary(framework.map { ($0.name, $0.tensor) }) { a, _ in a }
                names = framework.map(\.name)
            }
            return ExperimentGradients(result: ExperimentResult(outputs: g.result.outputs, states: g.result.states,
                                                                bidirectional: spec.bidirectional, model: model),
                                       inputs: g.inputs, initialStates: g.initialStates, weights: weights, weightNames: names,
                                       hasInitialState: initialState != nil || initialStateBackward != nil)
        }
    }

    /// The engine's loss for one direction (0: forward, 1: backward), checked against the experiment's shapes.
    func loss(_ lossSpec: LossSpec, direction d: Int) throws -> RNNLoss<Scalar> {
        func fail(_ message: String) -> ExperimentError { ExperimentError(file: file, field: "loss", message) }
        let cellSpec = spec.cell(for: d == 0 ? .forward : .backward)
        let statePaths = cellSpec.stateSize.flattenedWithPaths.map(\.path)
        let bi = spec.bidirectional
        switch lossSpec {
        case .file:
            return try fileLosses()[d]
        case .sumOfOutputs:
            return .sumOfOutputs
        case let .output(example, step, unit, direction):
            guard direction < directions else { throw fail("direction \(direction): the run has one direction (0)") }
            guard direction == d else { return .cotangents(outputs: nil, state: nil) }
            guard example < batchSize else { throw fail("example \(example) is out of range: batch_size is \(batchSize)") }
            guard unit < cellSpec.outputSize else { throw fail("unit \(unit) is out of range: the output has \(cellSpec.outputSize) units") }
            guard let step else {
                let model = spec.model
                if let mask = stepMask ?? (model.goesBackwards ? spec.sequenceLength.map { StepMask(lengths: $0, maxTime: maxTime) } : nil) {
                    // The last valid step in the order the outputs are returned (a go_backwards top layer's: reversed).
                    let order = model.outputsReversed ? mask.reversedInTime() : mask
                    guard let last = order.validSteps(example: example).last else {
                        throw fail("example \(example) has no valid step under the mask: it has no last step")
                    }
                    return .outputUnit(example: example, step: last, unit: unit)
                }
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
