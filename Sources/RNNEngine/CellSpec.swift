/// A description of a cell or a stack of cells, by TensorFlow's arguments: what experiment files hold and
/// what the explorer edits. `makeCell` turns it into a cell that fetches its weights from a store.
public indirect enum CellSpec: Sendable, Equatable {
    case basicRNN(numUnits: Int, activation: Activation)
    case basicLSTM(numUnits: Int, forgetBias: Double, activation: Activation)
    case lstm(numUnits: Int, options: LSTMOptions)
    case gru(numUnits: Int, activation: Activation)
    /// The GRU with `reset_after` (Keras' default, PyTorch's GRU, TF 2's `GRUCell(reset_after=True)`); experiment
    /// files write it `{"type": "gru", "reset_after": true}`. See `GRUResetAfterCell`.
    case gruResetAfter(numUnits: Int, activation: Activation)
    case multi([CellSpec])
    case residual(CellSpec)
    case dropout(CellSpec, DropoutOptions)

    /// The experiment-file type name (`basic_rnn`, `lstm`, ...).
    public var typeName: String {
        switch self {
        case .basicRNN: return "basic_rnn"
        case .basicLSTM: return "basic_lstm"
        case .lstm: return "lstm"
        case .gru, .gruResetAfter: return "gru"
        case .multi: return "multi"
        case .residual: return "residual"
        case .dropout: return "dropout"
        }
    }

    /// `num_units` of a plain cell (the wrapped cell's for a wrapper, the last layer's for a stack).
    public var numUnits: Int {
        switch self {
        case let .basicRNN(n, _), let .basicLSTM(n, _, _), let .lstm(n, _), let .gru(n, _), let .gruResetAfter(n, _): return n
        case let .multi(cells): return cells.last?.numUnits ?? 0
        case let .residual(c), let .dropout(c, _): return c.numUnits
        }
    }

    /// The output depth.
    public var outputSize: Int {
        switch self {
        case let .lstm(n, o): return o.numProj ?? n
        case .basicRNN, .basicLSTM, .gru, .gruResetAfter: return numUnits
        case let .multi(cells): return cells.last?.outputSize ?? 0
        case let .residual(c), let .dropout(c, _): return c.outputSize
        }
    }

    /// The state structure and sizes.
    public var stateSize: Nest<Int> {
        switch self {
        case let .basicRNN(n, _), let .gru(n, _), let .gruResetAfter(n, _): return .leaf(n)
        case let .basicLSTM(n, _, _): return .lstm(c: n, h: n)
        case let .lstm(n, o): return .lstm(c: n, h: o.numProj ?? n)
        case let .multi(cells): return .tuple(cells.map(\.stateSize))
        case let .residual(c), let .dropout(c, _): return c.stateSize
        }
    }

    /// The layers of a stack (a single cell is one layer).
    public var layers: [CellSpec] {
        if case let .multi(cells) = self { return cells }
        return [self]
    }

    /// The cell this spec describes, fetching weights from `store` when it is built.
    public func makeCell<Scalar: RNNScalar>(store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        switch self {
        case let .basicRNN(n, a): return try BasicRNNCell(numUnits: n, activation: a, store: store)
        case let .basicLSTM(n, fb, a): return try BasicLSTMCell(numUnits: n, forgetBias: fb, activation: a, store: store)
        case let .lstm(n, o): return try LSTMCell(numUnits: n, options: o, store: store)
        case let .gru(n, a): return try GRUCell(numUnits: n, activation: a, store: store)
        case let .gruResetAfter(n, a): return try GRUResetAfterCell(numUnits: n, activation: a, store: store)
        case let .multi(cells): return try MultiRNNCell(cells.map { try $0.makeCell(store: store) })
        case let .residual(c): return ResidualWrapper(try c.makeCell(store: store))
        case let .dropout(c, o): return try DropoutWrapper(try c.makeCell(store: store), options: o)
        }
    }

    /// Number of trainable scalars for inputs of depth `inputDepth` (`Int.max` past what an `Int` holds).
    public func parameterCount(inputDepth: Int) -> Int {
        let n = estimatedParameters(inputDepth: Double(inputDepth))
        return n < 0x1p63 ? Int(n) : Int.max
    }

    /// The parameter count in floating point, so absurd sizes can be judged without overflowing
    /// (exact below 2^53, far beyond anything that fits in memory).
    public func estimatedParameters(inputDepth d: Double) -> Double {
        switch self {
        case let .basicRNN(n, _):
            let u = Double(n)
            return (d + u) * u + u
        case let .basicLSTM(n, _, _):
            let u = Double(n)
            return (d + u) * 4 * u + 4 * u
        case let .lstm(n, o):
            let u = Double(n), h = Double(o.numProj ?? n)
            return (d + h) * 4 * u + 4 * u + (o.usePeepholes ? 3 * u : 0) + (o.numProj.map { u * Double($0) } ?? 0)
        case let .gru(n, _):
            let u = Double(n)
            return (d + u) * 3 * u + 3 * u
        case let .gruResetAfter(n, _):
            let u = Double(n)
            return (d + u) * 3 * u + 6 * u
        case let .multi(cells):
            var depth = d, total = 0.0
            for c in cells {
                total += c.estimatedParameters(inputDepth: depth)
                depth = Double(c.outputSize)
            }
            return total
        case let .residual(c), let .dropout(c, _):
            return c.estimatedParameters(inputDepth: d)
        }
    }

    /// A one-line summary, e.g. `lstm(64, peepholes, cell_clip=3)`.
    public var summary: String { summary(for: .tf) }

    /// The summary as experiment files of `convention` read: arguments at that convention's defaults left out
    /// (`forget_bias` 1 for tf and 0 for keras and torch; `reset_after` false for tf and true for keras and torch).
    public func summary(for convention: Convention) -> String {
        let defaultForgetBias: Double = convention.hasForgetBiasTerm ? 1 : 0
        func act(_ a: Activation) -> String { a == .tanh ? "" : ", " + a.rawValue }
        func gru(_ n: Int, _ a: Activation, resetAfter: Bool) -> String {
            let note = resetAfter == convention.defaultResetAfter ? "" : (resetAfter ? ", reset_after" : ", reset_after=false")
            return "gru(\(n)\(note)\(act(a)))"
        }
        switch self {
        case let .basicRNN(n, a): return "basic_rnn(\(n)\(act(a)))"
        case let .basicLSTM(n, fb, a):
            return "basic_lstm(\(n)\(fb == defaultForgetBias ? "" : ", forget_bias=\(fb)")\(act(a)))"
        case let .lstm(n, o):
            var parts = ["\(n)"]
            if o.usePeepholes { parts.append("peepholes") }
            if let c = o.cellClip { parts.append("cell_clip=\(c)") }
            if let p = o.numProj { parts.append("num_proj=\(p)") }
            if let c = o.projClip { parts.append("proj_clip=\(c)") }
            if o.forgetBias != defaultForgetBias { parts.append("forget_bias=\(o.forgetBias)") }
            if o.activation != .tanh { parts.append(o.activation.rawValue) }
            return "lstm(" + parts.joined(separator: ", ") + ")"
        case let .gru(n, a): return gru(n, a, resetAfter: false)
        case let .gruResetAfter(n, a): return gru(n, a, resetAfter: true)
        case let .multi(cells): return "multi[" + cells.map { $0.summary(for: convention) }.joined(separator: ", ") + "]"
        case let .residual(c): return "residual(" + c.summary(for: convention) + ")"
        case let .dropout(c, o):
            return "dropout(" + c.summary(for: convention) + ", keep in/out/state=\(o.inputKeepProb)/\(o.outputKeepProb)/\(o.stateKeepProb))"
        }
    }
}
