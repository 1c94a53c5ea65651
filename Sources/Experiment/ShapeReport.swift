import RNNEngine

/// The shapes of an experiment, written as TensorFlow lists: inputs, each layer's state and output, the final
/// outputs and state, and every weight (expected and found). Built without running the pass, and without
/// stopping at the first wrong weight, so every problem shows at once.
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
        func add(_ label: String, _ value: String, problem: Bool = false) { lines.append(Line(label: label, value: value, problem: problem)) }
        func stateText(_ sizes: Nest<Int>) -> String { sizes.stateShapesDescription(batch: batch) }
        let seqShape = { (w: Int) in formatShape(spec.timeMajor ? [time, batch, w] : [batch, time, w]) }

        add("experiment", "\(spec.name.isEmpty ? "(unnamed)" : spec.name)  \(spec.dtype.rawValue), \(spec.timeMajor ? "time-major [time, batch, depth]" : "batch-major [batch, time, depth]")\(spec.bidirectional ? ", bidirectional" : "")")
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
            for direction in spec.directions {
                let cell = spec.cell(for: direction)
                add(spec.arrayName("outputs", for: direction), seqShape(cell.outputSize))
                add(spec.arrayName("state", for: direction), stateText(cell.stateSize))
            }
        }
        // Weights: build each layer's cell against a lenient copy of the store to list every request.
        let probe = VariableStore<Scalar>(arrays: experiment.store.arrays, missing: experiment.store.missing)
        probe.strict = false
        for layer in layers {
            do {
                let built = try layer.spec.makeCell(store: probe)
                try built.build(inputDepth: layer.inputDepth, scope: layer.scope)
            } catch {
                add("cell", "\(error)", problem: true)
            }
        }
        guard spec.convention == .tf else {
            // Keras and PyTorch weights were converted (and checked) when loading: list them under their own names.
            var engine: [String: Tensor<Scalar>] = [:]
            for r in probe.requests { engine[r.name] = try? probe.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
            do {
                for w in try WeightLayouts.frameworkArrays(model: model, inputDepth: experiment.inputDepth, engine: engine) {
                    add(w.name, "expected \(formatShape(w.tensor.shape))  \(spec.weights == nil ? "default (seeded)" : "found \(formatShape(w.tensor.shape))")")
                }
            } catch {
                add("weights", "\(error)", problem: true)
            }
            return
        }
        for r in probe.requests {
            let found: String
            var bad = false
            if let f = r.foundShape {
                bad = f != r.expectedShape
                found = "found \(formatShape(f))\(bad ? "  <-- MISMATCH" : "")"
            } else if case .fail = probe.missing {
                found = "MISSING"
                bad = true
            } else {
                found = "default (seeded \(defaultInitializerName(r.name)))"
            }
            add(r.name, "expected \(formatShape(r.expectedShape))  \(found)", problem: bad)
        }
        for name in probe.unusedNames {
            add(name, "given but not used by any cell (check the scope and cell names)", problem: true)
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
