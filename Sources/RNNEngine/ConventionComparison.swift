/// The same cells, weights and inputs run under two conventions' rules, and where their outputs differ: exactly
/// zero where the frameworks agree (the cells compute the same numbers; only what the rules emit differs).
public struct ConventionComparison<Scalar: RNNScalar>: Sendable {
    /// Where two runs first differ: the earliest time step, then the lowest example, direction and unit.
    public struct Location: Sendable, Equatable {
        public let time: Int
        public let example: Int
        public let direction: Direction
        public let unit: Int
    }

    public let conventions: (Convention, Convention)
    public let results: (ModelResult<Scalar>, ModelResult<Scalar>)
    /// `|first − second|` of the outputs, one tensor per direction, in the inputs' layout.
    public let difference: [Tensor<Scalar>]
    /// The first place the outputs differ, or nil when they agree everywhere.
    public let firstDifference: Location?
    /// The first difference (or the agreement) in words, naming what each framework does there.
    public let summary: String

    /// Runs `model`'s cells under the rules of `first` and `second` (the model's own convention is ignored; its
    /// cells need not exist in either framework). Throws when a convention cannot run the model's composition, e.g.
    /// a bidirectional stack between tf and torch (PyTorch's layer 1 reads both directions: other weights), or when
    /// a framework refuses the inputs (PyTorch and a length of 0).
    public init(model: RNNModel, _ first: Convention, _ second: Convention, store: VariableStore<Scalar>, inputs: Tensor<Scalar>,
                sequenceLength: [Int]? = nil, initialStates: [Nest<Tensor<Scalar>>?] = [], timeMajor: Bool = false) throws {
        if model.bidirectional, model.cell.layers.count > 1, first.bidirectionalStacking != second.bidirectionalStacking {
            throw RNNError.invalidArgument(
                "\(first.rawValue) and \(second.rawValue) compose a bidirectional stack differently (PyTorch's next layer reads both directions, TF's runs each direction's stack on its own): the same weights do not fit both")
        }
        func run(_ c: Convention) throws -> ModelResult<Scalar> {
            var m = model
            m.convention = c
            return try m.run(store: try Self.store(store, of: model, for: m, inputDepth: inputs.shape.last ?? 0), inputs: inputs,
                             sequenceLength: sequenceLength, initialStates: initialStates, timeMajor: timeMajor, rulesOnly: true)
        }
        let a = try run(first), b = try run(second)
        conventions = (first, second)
        results = (a, b)
        difference = Self.differences(a, b)
        let found = Self.firstDifference(difference, directions: model.directions, timeMajor: timeMajor)
        let time = (difference.first?.shape ?? [0, 0, 0])[timeMajor ? 0 : 1]
        firstDifference = found
        guard let at = found else {
            summary = "\(first.frameworkName) and \(second.frameworkName) give the same outputs here"
            return
        }
        let length = sequenceLength.map { at.example < $0.count ? $0[at.example] : time } ?? time
        func says(_ c: Convention) -> String {
            switch c.maskedOutput(bidirectional: model.bidirectional).sourceStep(time: at.time, length: length) {
            case nil: return "\(c.frameworkName) emits zeros"
            case let s? where s == at.time: return "\(c.frameworkName) emits the step's output"
            case let s?: return "\(c.frameworkName) repeats the output of t=\(s)"
            }
        }
        let place = "t=\(at.time), example \(at.example)\(model.bidirectional ? " (\(at.direction.name))" : "")"
        summary = at.time >= length
            ? "first difference at \(place): past the example's length \(length), \(says(first)), \(says(second))"
            : "first difference at \(place), a valid step (length \(length)): the runs differ before any masking"
    }

    /// Two runs of the same inputs by two experiments (other cells or weights, each under its own convention's
    /// rules: `results.0` and `.1` as `RNNModel.run` returns them), compared as two conventions are: `|first −
    /// second|` and where it is first non-zero. `names` name the two in the summary. Throws when the outputs do not
    /// have the same shapes (other widths, lengths or directions: nothing to compare element by element).
    public init(results first: ModelResult<Scalar>, _ second: ModelResult<Scalar>, names: (String, String),
                sequenceLength: [Int]? = nil, timeMajor: Bool = false) throws {
        guard first.outputs.map(\.shape) == second.outputs.map(\.shape) else {
            throw RNNError.invalidArgument(
                "\(names.0)'s outputs \(first.outputs.map(\.shape)) and \(names.1)'s \(second.outputs.map(\.shape)) differ in shape: nothing to compare element by element")
        }
        conventions = (first.model.convention, second.model.convention)
        results = (first, second)
        difference = Self.differences(first, second)
        let found = Self.firstDifference(difference, directions: first.model.directions, timeMajor: timeMajor)
        firstDifference = found
        guard let at = found else {
            summary = "\(names.0) and \(names.1) give the same outputs here"
            return
        }
        let time = (difference.first?.shape ?? [0, 0, 0])[timeMajor ? 0 : 1]
        let length = sequenceLength.map { at.example < $0.count ? $0[at.example] : time } ?? time
        let place = "t=\(at.time), example \(at.example)\(first.model.bidirectional ? " (\(at.direction.name))" : "")"
        summary = at.time >= length
            ? "first difference at \(place): past the example's length \(length), where each emits what its rules say"
            : "first difference at \(place), unit \(at.unit): the two experiments' cells or weights compute other numbers from the same inputs"
    }

    /// `|a − b|` of the outputs, per direction.
    static func differences(_ a: ModelResult<Scalar>, _ b: ModelResult<Scalar>) -> [Tensor<Scalar>] {
        zip(a.outputs, b.outputs).map { x, y in
            Tensor(unchecked: x.shape, scalars: zip(x.scalars, y.scalars).map { abs($0 - $1) })
        }
    }

    /// The earliest step, then the lowest example, direction and unit where `difference` is not zero.
    static func firstDifference(_ difference: [Tensor<Scalar>], directions: [Direction], timeMajor: Bool) -> Location? {
        let shape = difference.first?.shape ?? [0, 0, 0]
        guard shape.count == 3 else { return nil }
        let (time, batch) = timeMajor ? (shape[0], shape[1]) : (shape[1], shape[0])
        for t in 0..<time {
            for e in 0..<batch {
                for (d, diff) in zip(directions, difference) {
                    // Each direction has its own width (a bidirectional run's cells may differ in size).
                    let width = diff.shape.last ?? 0
                    let base = timeMajor ? (t * batch + e) * width : (e * time + t) * width
                    if let u = (0..<width).first(where: { diff.scalars[base + $0] != 0 }) {
                        return Location(time: t, example: e, direction: d, unit: u)
                    }
                }
            }
        }
        return nil
    }

    /// `store` for `target`, whose layers may live under other scopes than `model`'s (PyTorch's bidirectional layer is
    /// `stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw`, TF's `bidirectional_rnn/fw`): the same arrays, renamed
    /// layer by layer (seeded defaults are made under `model`'s names first, so both runs share them).
    static func store(_ store: VariableStore<Scalar>, of model: RNNModel, for target: RNNModel, inputDepth: Int) throws -> VariableStore<Scalar> {
        let from = model.layers(inputDepth: inputDepth), to = target.layers(inputDepth: inputDepth)
        guard from.map(\.scope) != to.map(\.scope) else { return store }
        for layer in from { try layer.spec.makeCell(store: store).build(inputDepth: layer.inputDepth, scope: layer.scope) }
        var arrays: [String: Tensor<Scalar>] = [:]
        for r in store.requests {
            let t = try store.variable(r.name, shape: r.expectedShape, initializer: .zeros)
            for (a, b) in zip(from, to) where r.name.hasPrefix(a.scope + "/") {
                arrays[b.scope + r.name.dropFirst(a.scope.count)] = t
            }
        }
        return VariableStore(arrays: arrays, missing: .fail)
    }
}
