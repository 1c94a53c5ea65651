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
        add("inputs", formatShape(experiment.inputs.shape))
        if let lengths = spec.sequenceLength {
            add("sequence_length", "\(formatShape([lengths.count]))  \(formatShape(lengths))")
        } else {
            add("sequence_length", "none (no masking)")
        }
        let directions = spec.directions
        for direction in directions {
            let prefix = spec.bidirectional ? direction.name + " " : "", cell = spec.cell(for: direction)
            var depth = experiment.inputDepth
            for (i, layer) in cell.layers.enumerated() {
                add("\(prefix)layer \(i)", "\(layer.summary)  input [\(batch), \(depth)]  state \(stateText(layer.stateSize))  output [\(batch), \(layer.outputSize)]")
                depth = layer.outputSize
            }
        }
        for direction in directions {
            let cell = spec.cell(for: direction)
            add(spec.arrayName("outputs", for: direction), seqShape(cell.outputSize))
            add(spec.arrayName("state", for: direction), stateText(cell.stateSize))
        }
        // Weights: build the cells against a lenient copy of the store to list every request.
        let probe = VariableStore<Scalar>(arrays: experiment.store.arrays, missing: experiment.store.missing)
        probe.strict = false
        for direction in directions {
            do {
                let built = try spec.cell(for: direction).makeCell(store: probe)
                try built.build(inputDepth: experiment.inputDepth, scope: spec.scope(for: direction))
            } catch {
                add("cell", "\(error)", problem: true)
            }
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
