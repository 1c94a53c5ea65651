import RNNEngine

/// The shapes of an experiment, written as TensorFlow lists: inputs, each layer's state and output, the final
/// outputs and state, and every weight (expected and found). Built without running the pass, and without
/// stopping at the first wrong weight, so every problem shows at once, and without any weight's values (the names
/// and shapes come from the weight layouts). Everything taken from a file is escaped (`SafeText`).
public struct ShapeReport {
    public struct Line: Equatable {
        public let label: String
        public let value: String
        public let problem: Bool
    }

    public private(set) var lines: [Line] = []

    public init<Scalar: RNNScalar>(_ experiment: LoadedExperiment<Scalar>) {
        let spec = experiment.spec
        let batch = experiment.batchSize, time = experiment.maxTime
        func add(_ label: String, _ value: String, problem: Bool = false) {
            lines.append(Line(label: SafeText.escape(label), value: SafeText.escape(value), problem: problem))
        }
        func stateText(_ sizes: Nest<Int>) -> String { sizes.stateShapesDescription(batch: batch) }
        let seqShape = { (w: Int) in formatShape(spec.timeMajor ? [time, batch, w] : [batch, time, w]) }

        add("experiment", "\(spec.name.isEmpty ? "(unnamed)" : SafeText.quote(spec.name))  \(spec.dtype.rawValue), \(spec.timeMajor ? "time-major [time, batch, depth]" : "batch-major [batch, time, depth]")\(spec.bidirectional ? ", bidirectional" : "")")
        add("inputs", formatShape(experiment.inputShape))
        // A given initial state, array by array under the names the experiment's file uses.
        do {
            for (name, array) in try experiment.initialStateArrays() { add(name, formatShape(array.shape)) }
        } catch {
            add("initial_state", "\(error)", problem: true)
        }
        if let lengths = spec.sequenceLength {
            add("sequence_length", "\(formatShape([lengths.count]))  \(formatValues(lengths))")
        } else if let m = spec.mask {
            add("mask", "\(formatShape([batch, time]))  from \(m) (batch-major)")
        } else if let v = spec.maskValue {
            add("mask", "keras.layers.Masking(mask_value=\(v))"
                + (experiment.maskDroppedByInitialState ? ": dropped, as Keras 3 drops it for layers called with initial_state" : ""))
        } else {
            add("sequence_length", "none (no masking)")
        }
        let model = spec.model
        let layers = model.layers(inputDepth: experiment.inputDepth)
        for layer in layers {
            let prefix = spec.bidirectional ? layer.direction.name + " " : ""
            add("\(prefix)layer \(layer.index)", "\(layer.spec.summary(for: spec.convention))  input [\(batch), \(layer.inputDepth)]  state \(stateText(layer.spec.stateSize))  output [\(batch), \(layer.spec.outputSize)]")
        }
        if spec.convention == .torch || spec.convention == .onnx {
            // PyTorch's own result structure: output, h_n, c_n; ONNX's Y, Y_h, Y_c.
            do {
                for r in try model.resultShapes(batch: batch, maxTime: time, inputDepth: experiment.inputDepth, timeMajor: spec.timeMajor) {
                    add(r.name, formatShape(r.shape))
                }
            } catch {
                add("results", "\(error)", problem: true)
            }
        } else {
            // A Keras model's Bidirectional merges its directions' outputs (merge_mode), as `run` writes them.
            let merge = spec.kerasModel?.mergeMode
            if let merge {
                let depth = spec.directions.map { spec.cell(for: $0).outputSize }
                add("outputs", seqShape(merge == "concat" ? depth.reduce(0, +) : depth[0]) + "  (merge_mode \(merge))")
            }
            for direction in spec.directions {
                let cell = spec.cell(for: direction)
                if merge == nil { add(spec.arrayName("outputs", for: direction), seqShape(cell.outputSize)) }
                add(spec.arrayName("state", for: direction), stateText(cell.stateSize))
            }
        }
        // Weights: their names and shapes from the layouts (nothing is made or converted), against what was given.
        guard let expected = try? WeightLayouts.frameworkShapes(model: model, inputDepth: experiment.inputDepth) else {
            Self.addProbedWeights(experiment, layers: layers, add: add)
            return
        }
        guard spec.convention == .tf else {
            // Keras and PyTorch weights were converted (and checked) when loading: list them under their own names.
            for w in expected {
                // An optional array the file leaves out (ONNX's B) is listed by `unroll shapes` with an empty shape.
                if spec.convention == .onnx, experiment.givenWeightShapes[w.name] == [] {
                    add(w.name, "expected \(formatShape(w.shape))  absent: zeros (optional)")
                    continue
                }
                add(w.name, "expected \(formatShape(w.shape))  \(spec.weights == nil ? "default (seeded)" : "found \(formatShape(w.shape))")")
            }
            return
        }
        let given = experiment.givenWeightShapes
        let requests = expected.map { (name: $0.name, expectedShape: $0.shape, foundShape: given[$0.name]) }
        let names = Set(expected.map(\.name))
        Self.addWeightLines(requests, missing: experiment.store.missing, unused: given.keys.filter { !names.contains($0) }.sorted(), add: add)
    }

    /// The weight lines of a model the layouts cannot list (a stack nested in a stack): each layer's cell built
    /// against a lenient copy of the store, which records every request.
    private static func addProbedWeights<Scalar: RNNScalar>(_ experiment: LoadedExperiment<Scalar>, layers: [RNNModel.Layer],
                                                              add: (String, String, Bool) -> Void) {
        let probe = VariableStore<Scalar>(arrays: experiment.store.arrays, missing: experiment.store.missing)
        probe.strict = false
        for layer in layers {
            do {
                let built = try layer.spec.makeCell(store: probe)
                try built.build(inputDepth: layer.inputDepth, scope: layer.scope)
            } catch {
                add("cell", "\(error)", true)
            }
        }
        guard experiment.spec.convention == .tf else {
            var engine: [String: Tensor<Scalar>] = [:]
            for r in probe.requests { engine[r.name] = try? probe.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
            do {
                for w in try WeightLayouts.frameworkArrays(model: experiment.spec.model, inputDepth: experiment.inputDepth, engine: engine) {
                    add(w.name, "expected \(formatShape(w.tensor.shape))  \(experiment.spec.weights == nil ? "default (seeded)" : "found \(formatShape(w.tensor.shape))")", false)
                }
            } catch {
                add("weights", "\(error)", true)
            }
            return
        }
        addWeightLines(probe.requests.map { ($0.name, $0.expectedShape, $0.foundShape) }, missing: probe.missing, unused: probe.unusedNames, add: add)
    }

    /// One line per requested TF variable (expected and found shape, or how it is made) and per unused given name.
    private static func addWeightLines(_ requests: [(name: String, expectedShape: [Int], foundShape: [Int]?)], missing: MissingVariablePolicy, unused: [String],
                                add: (String, String, Bool) -> Void) {
        for r in requests {
            let found: String
            var bad = false
            if let f = r.foundShape {
                bad = f != r.expectedShape
                found = "found \(formatShape(f))\(bad ? "  <-- MISMATCH" : "")"
            } else if case .fail = missing {
                found = "MISSING"
                bad = true
            } else {
                found = "default (seeded \(defaultInitializerName(r.name)))"
            }
            add(r.name, "expected \(formatShape(r.expectedShape))  \(found)", bad)
        }
        for name in unused {
            add(SafeText.quote(name), "given but not used by any cell (check the scope and cell names)", true)
        }
    }

    /// Whether any line reports a problem.
    public var hasProblems: Bool { lines.contains { $0.problem } }

    /// The report as aligned text.
    public var text: String {
        let width = min(60, lines.map(\.label.count).max() ?? 0)
        return lines.map { l in
            l.label.padding(toLength: max(width, l.label.count), withPad: " ", startingAt: 0) + "  " + l.value
        }.joined(separator: "\n")
    }
}

private func defaultInitializerName(_ name: String) -> String {
    if name.hasSuffix("gates/bias") { return "ones" }
    if name.hasSuffix("bias") { return "zeros" }
    return "glorot_uniform"
}
