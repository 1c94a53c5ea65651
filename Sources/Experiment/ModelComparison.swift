import Foundation
import RNNEngine

/// `unroll compare A B`: two experiments or model files (`ModelFiles`) run on the same inputs (the command line's,
/// or A's handed to B), and where and why their results differ. Per result array (each direction's outputs and
/// every array of its final state, batch-major): the largest difference and the first place it appears. Then the
/// causes it can establish: the architectures differ; weights differ once both are read into the neutral form
/// every layout converts through (`LayerWeights`: gate blocks in one order, TF's `forget_bias` folded into the
/// bias, PyTorch's two biases summed), per layer and gate; the masking differs (lengths against a mask, or none);
/// the conventions' rules differ at masked steps (`Convention.maskedOutput`, `emptyRowsEndInZeroState`).
public struct ModelComparison {
    /// One result array of both runs.
    public struct ArrayDifference {
        /// `outputs`, `state/h`, ... (with ` (backward)` for a bidirectional run's second direction).
        public let name: String
        /// The largest `|A − B|`, nil when the shapes differ.
        public let maxDifference: Double?
        /// The first element (time, then example, then unit) whose difference exceeds `tolerance`, as
        /// `[example, t, unit]` for outputs and `[example, unit]` for a state; nil where none does.
        public let first: [Int]?
        /// Why the arrays cannot be compared element by element (their shapes), nil when they can.
        public let shapeProblem: String?
    }

    /// The files as given.
    public let files: (String, String)
    public let conventions: (Convention, Convention)
    /// Where a difference counts (rounding of the run's dtype: 1e-6 in float32, 1e-12 in float64).
    public let tolerance: Double
    public let arrays: [ArrayDifference]
    /// The causes found, one line each (empty when the results agree).
    public let causes: [String]

    /// The report, one line per array and per cause.
    public var lines: [String] {
        var out = ["A = \(files.0) (\(conventions.0.rawValue)), B = \(files.1) (\(conventions.1.rawValue)): the same inputs"]
        for a in arrays {
            if let problem = a.shapeProblem {
                out.append("\(a.name): cannot compare: \(problem)")
            } else if let m = a.maxDifference {
                let place = a.first.map { f in f.count == 3 ? "example \(f[0]), t=\(f[1]), unit \(f[2])" : "example \(f[0]), unit \(f[1])" }
                out.append("\(a.name): max |A - B| \(String(format: "%.6g", m))"
                           + (place.map { ", first above \(String(format: "%g", tolerance)) at \($0)" } ?? " (equal within \(String(format: "%g", tolerance)))"))
            }
        }
        return out + causes.map { "cause: " + $0 }
    }

    /// Whether every result array agrees within `tolerance`.
    public var agrees: Bool { arrays.allSatisfy { $0.shapeProblem == nil && $0.first == nil } }

    /// Opens `a` with `options`, runs it, runs `b` on A's inputs (and A's masking unless `options` or B give their
    /// own), and compares them. Errors are `ExperimentError`s naming the file at fault.
    public static func compare(_ a: String, _ b: String, options: CommandLineInputs = CommandLineInputs()) throws -> ModelComparison {
        let openedA = try ModelFiles.open(a, options: options)
        let runA = try Run.make(openedA)
        // B's own options: the masking given on the command line; its inputs are A's (already read).
        let optionsB = CommandLineInputs(lengths: options.lengths, mask: options.mask)
        let openedB = try ModelFiles.open(b, options: optionsB, handed: runA.handed(name: "the inputs of \(a)"))
        let runB = try Run.make(openedB)
        return ModelComparison(files: (a, b), runA, runB)
    }

    private init(files: (String, String), _ a: Run, _ b: Run) {
        self.files = files
        conventions = (a.spec.convention, b.spec.convention)
        tolerance = a.spec.dtype == .float64 && b.spec.dtype == .float64 ? 1e-12 : 1e-6
        var arrays: [ArrayDifference] = []
        let namesB = Dictionary(b.results.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        for r in a.results {
            guard let s = namesB[r.name] else {
                arrays.append(ArrayDifference(name: r.name, maxDifference: nil, first: nil, shapeProblem: "B has no such array"))
                continue
            }
            guard r.shape == s.shape else {
                arrays.append(ArrayDifference(name: r.name, maxDifference: nil, first: nil,
                                              shapeProblem: "A's is \(formatShape(r.shape)), B's \(formatShape(s.shape))"))
                continue
            }
            arrays.append(Self.difference(r.name, r.shape, r.values, s.values, tolerance: tolerance))
        }
        self.arrays = arrays
        causes = Self.causes(a, b, arrays: arrays, tolerance: tolerance)
    }

    /// The difference of two arrays of `shape` (batch-major): the largest, and the first above `tolerance` in
    /// time order (`[batch, time, units]`) or example order (`[batch, units]`).
    static func difference(_ name: String, _ shape: [Int], _ x: [Double], _ y: [Double], tolerance: Double) -> ArrayDifference {
        var worst = 0.0
        for (p, q) in zip(x, y) { worst = max(worst, abs(p - q)) }
        var first: [Int]?
        if shape.count == 3 {
            let (batch, time, width) = (shape[0], shape[1], shape[2])
            search: for t in 0..<time {
                for e in 0..<batch {
                    let base = (e * time + t) * width
                    if let u = (0..<width).first(where: { abs(x[base + $0] - y[base + $0]) > tolerance }) {
                        first = [e, t, u]
                        break search
                    }
                }
            }
        } else if shape.count == 2 {
            let width = shape[1]
            if let i = x.indices.first(where: { abs(x[$0] - y[$0]) > tolerance }) { first = [i / max(width, 1), i % max(width, 1)] }
        } else if let i = x.indices.first(where: { abs(x[$0] - y[$0]) > tolerance }) {
            first = [i]
        }
        return ArrayDifference(name: name, maxDifference: worst, first: first, shapeProblem: nil)
    }

    // MARK: - Causes

    static func causes(_ a: Run, _ b: Run, arrays: [ArrayDifference], tolerance: Double) -> [String] {
        var out: [String] = []
        let ca = a.spec.convention, cb = b.spec.convention
        if a.spec.dtype != b.spec.dtype {
            out.append("A runs in \(a.spec.dtype.rawValue), B in \(b.spec.dtype.rawValue): they differ by rounding at least")
        }
        // Architecture, then weights per layer and gate.
        let architecture = architectureDifferences(a, b)
        out += architecture
        if architecture.isEmpty {
            var worst: (layer: String, gate: String, value: Double)?
            var perLayer: [String] = []
            for (la, lb) in zip(a.layers, b.layers) {
                // Every gate that differs, largest first.
                let gates = gateDifferences(la.weights, lb.weights).filter { $0.1 > tolerance }.sorted { $0.1 > $1.1 }
                for (gate, value) in gates where value > (worst?.value ?? 0) { worst = (la.title, gate, value) }
                if !gates.isEmpty {
                    perLayer.append("\(la.title): " + gates.map { "\($0.0) \(String(format: "%.6g", $0.1))" }.joined(separator: ", "))
                }
            }
            if let w = worst {
                out.append("the weights differ after conversion to a common form (gates in one order, forget_bias folded into the bias): most in \(w.layer), gate \(w.gate), max |A - B| \(String(format: "%.6g", w.value)); per gate: \(perLayer.joined(separator: "; "))")
            }
        }
        // The initial state each run starts from (zeros where none is given).
        if a.initialStates.count == b.initialStates.count {
            var worst = 0.0
            for (x, y) in zip(a.initialStates, b.initialStates) {
                let n = max(x.count, y.count)
                for i in 0..<n { worst = max(worst, abs((i < x.count ? x[i] : 0) - (i < y.count ? y[i] : 0))) }
            }
            if worst > tolerance {
                out.append("the initial states differ: max |A - B| \(String(format: "%.6g", worst)) (A \(a.initialStateDescription), B \(b.initialStateDescription))")
            }
        }
        // Masking: which steps each run masks.
        if a.maskDescription != b.maskDescription || a.validSteps != b.validSteps {
            var line = "the masking differs: A \(a.maskDescription), B \(b.maskDescription)"
            if let va = a.validSteps, let vb = b.validSteps, let (e, t) = firstDifference(va, vb) {
                line += "; first at example \(e), t=\(t) (valid in \(va[e][t] ? "A" : "B") only)"
            }
            out.append(line)
        }
        // The rules at masked steps.
        let masked = a.validSteps ?? b.validSteps
        if ca != cb, let valid = masked, valid.contains(where: { $0.contains(false) }) {
            let ra = ca.maskedOutput(bidirectional: a.spec.bidirectional), rb = cb.maskedOutput(bidirectional: b.spec.bidirectional)
            if ra != rb {
                out.append("the rules at masked steps differ: \(ca.rawValue): \(ca.maskedStepDescription(bidirectional: a.spec.bidirectional)); \(cb.rawValue): \(cb.maskedStepDescription(bidirectional: b.spec.bidirectional))")
            }
            if ca.emptyRowsEndInZeroState != cb.emptyRowsEndInZeroState, valid.contains(where: { !$0.contains(true) }) {
                let zero = ca.emptyRowsEndInZeroState ? ca : cb, kept = ca.emptyRowsEndInZeroState ? cb : ca
                out.append("a row with no valid step ends in a zero state under \(zero.rawValue) but keeps its initial state under \(kept.rawValue)")
            }
            // Where the outputs differ: only at masked steps, or at valid ones too.
            let outputs = arrays.filter { $0.name.hasPrefix("outputs") && $0.shapeProblem == nil }
            if let w = outputs.compactMap(\.first).first, w.count == 3 {
                let onlyMasked = !valid[w[0]][w[1]]
                out.append(onlyMasked
                    ? "the outputs first differ at a masked step (example \(w[0]), t=\(w[1]))"
                    : "the outputs first differ at a valid step (example \(w[0]), t=\(w[1])): not the masking rules alone")
            }
        }
        if out.isEmpty && !arrays.allSatisfy({ $0.shapeProblem == nil && $0.first == nil }) {
            out.append("none found: the architectures, the weights (within \(String(format: "%g", tolerance))), the masking and the rules at masked steps are the same")
        }
        return out
    }

    /// The first `(example, t)` valid in one and not the other.
    private static func firstDifference(_ a: [[Bool]], _ b: [[Bool]]) -> (Int, Int)? {
        let time = min(a.first?.count ?? 0, b.first?.count ?? 0)
        for t in 0..<time {
            for e in 0..<min(a.count, b.count) where a[e][t] != b[e][t] { return (e, t) }
        }
        return nil
    }

    /// Layers that differ other than in their weights: count, kind, units, options (TF's `forget_bias`, which
    /// folds into the bias, aside) and direction.
    static func architectureDifferences(_ a: Run, _ b: Run) -> [String] {
        if a.spec.bidirectional != b.spec.bidirectional || a.spec.reverse != b.spec.reverse {
            return ["the directions differ: A \(a.directionText), B \(b.directionText)"]
        }
        if a.layers.count != b.layers.count {
            return ["the architectures differ: A has \(a.layers.count) layer(s) (\(a.spec.model.cell.summary)), B \(b.layers.count) (\(b.spec.model.cell.summary))"]
        }
        var out: [String] = []
        for (la, lb) in zip(a.layers, b.layers) where la.cell != lb.cell {
            out.append("\(la.title) differs: A \(la.summary), B \(lb.summary)")
        }
        return out
    }

    /// The largest difference per gate (and per extra: projection, peepholes) of two layers' weights in the
    /// neutral form; empty when their shapes differ.
    static func gateDifferences(_ a: LayerWeights<Double>?, _ b: LayerWeights<Double>?) -> [(String, Double)] {
        guard let a, let b, a.kind.descriptor.neutralGateOrder == b.kind.descriptor.neutralGateOrder else { return [] }
        let gates = a.gates
        let k = max(gates.count, 1)
        func blocks(_ x: Tensor<Double>, _ y: Tensor<Double>, _ into: inout [Double]) {
            guard x.shape == y.shape, let width = x.shape.last, width % k == 0 else { return }
            let units = width / k
            for (i, (p, q)) in zip(x.scalars, y.scalars).enumerated() {
                let g = (i % width) / max(units, 1)
                into[g] = max(into[g], abs(p - q))
            }
        }
        var perGate = [Double](repeating: 0, count: k)
        blocks(a.inputKernel, b.inputKernel, &perGate)
        blocks(a.recurrentKernel, b.recurrentKernel, &perGate)
        blocks(a.bias, b.bias, &perGate)
        if let x = a.recurrentBias, let y = b.recurrentBias { blocks(x, y, &perGate) }
        var out: [(String, Double)] = gates.isEmpty ? [("kernel", perGate[0])] : zip(gates, perGate).map { ($0.0.rawValue, $0.1) }
        func whole(_ name: String, _ x: Tensor<Double>?, _ y: Tensor<Double>?) {
            guard let x, let y, x.shape == y.shape else { return }
            out.append((name, zip(x.scalars, y.scalars).map { abs($0 - $1) }.max() ?? 0))
        }
        whole("projection", a.projection, b.projection)
        for (name, x) in a.peepholes.sorted(by: { $0.key < $1.key }) { whole("peephole \(name)", x, b.peepholes[name]) }
        return out
    }

    // MARK: - One run

    /// One file loaded and run: what the comparison needs of it, as Double.
    struct Run {
        struct Layer {
            let title: String
            /// The layer's cell with `forget_bias` at 0 (it folds into `weights`).
            let cell: CellLayer?
            let summary: String
            let weights: LayerWeights<Double>?
        }

        let spec: ExperimentSpec
        let inputs: NumpyArray
        /// Per result: name, batch-major shape and values.
        let results: [(name: String, shape: [Int], values: [Double])]
        let layers: [Layer]
        /// `[example][t]`, true where a step is valid; nil without masking.
        let validSteps: [[Bool]]?
        let maskDescription: String
        let maskArray: NumpyArray?
        /// Per direction, the initial state's arrays in the state's order, flattened (empty: zeros).
        let initialStates: [[Double]]
        var initialStateDescription: String { spec.initialState == nil ? "starts from zeros" : "gives \(spec.initialState ?? "")" }

        var directionText: String { spec.bidirectional ? "bidirectional" : spec.reverse ? "reverse" : "forward" }

        func handed(name: String) -> ModelFiles.HandedInputs {
            ModelFiles.HandedInputs(name: name, inputs: inputs, timeMajor: spec.timeMajor,
                                    sequenceLength: spec.sequenceLength, mask: spec.sequenceLength == nil ? maskArray : nil)
        }

        static func make(_ opened: ModelFiles.Opened) throws -> Run {
            func run<S: RNNScalar>(_: S.Type) throws -> Run {
                let loaded = try ExperimentLoader.load(opened.spec, file: opened.file, baseDirectory: opened.baseDirectory, as: S.self)
                let result = try loaded.run()
                return try Run(loaded, result)
            }
            return try opened.spec.dtype == .float32 ? run(Float.self) : run(Double.self)
        }

        init<S: RNNScalar>(_ loaded: LoadedExperiment<S>, _ result: ExperimentResult<S>) throws {
            spec = loaded.spec
            inputs = try NumpyArray(loaded.inputs)
            let model = spec.model
            let directions = model.directions
            var results: [(name: String, shape: [Int], values: [Double])] = []
            for (i, d) in directions.enumerated() {
                let suffix = directions.count > 1 ? " (\(d == .forward ? "forward" : "backward"))" : ""
                if i < result.outputs.count {
                    let o = spec.timeMajor && result.outputs[i].rank == 3 ? result.outputs[i].transposedFirstTwo() : result.outputs[i]
                    results.append(("outputs" + suffix, o.shape, o.scalars.map { Double($0) }))
                }
                if i < result.states.count {
                    for (path, t) in result.states[i].flattenedWithPaths(under: "state") {
                        results.append((path + suffix, t.shape, t.scalars.map { Double($0) }))
                    }
                }
            }
            self.results = results
            initialStates = [loaded.initialState, loaded.initialStateBackward].prefix(directions.count).map { state in
                state.map { $0.flattened.flatMap { $0.scalars.map { Double($0) } } } ?? []
            }
            // Each layer's weights in the neutral form, as Double (forget_bias folded in).
            let store = loaded.store
            let shapes = Dictionary(store.requests.map { ($0.name, $0.expectedShape) }, uniquingKeysWith: { x, _ in x })
            let lookup: (String) throws -> Tensor<S>? = { name in
                try shapes[name].map { try store.variable(name, shape: $0, initializer: .zeros) }
            }
            layers = model.layers(inputDepth: loaded.inputDepth).map { layer in
                let title = "layer \(layer.index)" + (directions.count > 1 || layer.direction == .backward ? " \(layer.direction == .forward ? "forward" : "backward")" : "")
                // The cell as a framework without TF's forget_bias term runs it (basic_lstm is then lstm); the
                // forget_bias folds into the weights' bias.
                let forgetBias = layer.spec.unwrappedLayer?.options.forgetBias ?? 0
                var cell = layer.spec.unwrappedLayer.map { $0.descriptor.converted($0, to: .keras) }
                cell?.options.forgetBias = 0
                var weights = try? TensorFlowLayout.read(layer, in: model, from: WeightSource(lookup: lookup)).asDoubles()
                weights?.addToForgetBias(forgetBias)
                return Layer(title: title, cell: cell, summary: layer.spec.summary(for: model.convention), weights: weights)
            }
            // The masking: lengths or a step mask, as valid steps per example.
            let (batch, time) = (loaded.batchSize, loaded.maxTime)
            if let m = loaded.stepMask ?? (try? loaded.trueStepMask()) ?? nil {
                validSteps = (0..<batch).map { b in (0..<time).map { t in m.isValid(example: b, step: t) } }
                maskDescription = spec.maskValue.map { "masks steps whose inputs all equal \($0) (Masking)" } ?? "masks steps with a mask"
            } else if let lengths = spec.sequenceLength {
                validSteps = lengths.map { l in (0..<time).map { $0 < l } }
                maskDescription = "masks with lengths \(lengths)"
            } else {
                validSteps = nil
                maskDescription = "masks no step"
            }
            maskArray = try validSteps.map { v in try NumpyArray(shape: [batch, time], storage: .bool(v.flatMap { $0 }.map { $0 ? 1 : 0 })) }
        }
    }
}

extension LayerWeights {
    /// The same weights as Double.
    func asDoubles() -> LayerWeights<Double> {
        func d(_ t: Tensor<Scalar>) -> Tensor<Double> { WeightMath.tensor(t.shape, scalars: t.scalars.map { Double($0) }) }
        return LayerWeights<Double>(kind: kind, inputKernel: d(inputKernel), recurrentKernel: d(recurrentKernel), bias: d(bias),
                                    recurrentBias: recurrentBias.map(d), projection: projection.map(d), peepholes: peepholes.mapValues(d))
    }
}
