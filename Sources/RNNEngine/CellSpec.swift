/// A description of a cell or a stack of cells, by TensorFlow's arguments: what experiment files hold and
/// what the explorer edits. A plain layer is a `CellLayer` (kind, units, activation, options); `multi`,
/// `residual` and `dropout` wrap layers. `makeCell` turns it into a cell that fetches its weights from a store.
public indirect enum CellSpec: Sendable, Equatable {
    /// One built-in cell.
    case layer(CellLayer)
    /// TF's `MultiRNNCell`: the layers in order, each reading the one below.
    case multi([CellSpec])
    /// TF's `ResidualWrapper`: the cell's output plus its input.
    case residual(CellSpec)
    /// TF's `DropoutWrapper`.
    case dropout(CellSpec, DropoutOptions)

    /// TF's `BasicRNNCell`.
    public static func basicRNN(numUnits: Int, activation: Activation) -> CellSpec {
        .layer(CellLayer(kind: .basicRNN, numUnits: numUnits, activation: activation))
    }

    /// TF's `BasicLSTMCell`.
    public static func basicLSTM(numUnits: Int, forgetBias: Double, activation: Activation) -> CellSpec {
        .layer(CellLayer(kind: .basicLSTM, numUnits: numUnits, activation: activation, options: CellOptions(forgetBias: forgetBias)))
    }

    /// TF's `LSTMCell`.
    public static func lstm(numUnits: Int, options: LSTMOptions) -> CellSpec {
        .layer(CellLayer(kind: .lstm, numUnits: numUnits, activation: options.activation, options: CellOptions(options)))
    }

    /// TF 1's `GRUCell` (the reset gate applied before the recurrent product).
    public static func gru(numUnits: Int, activation: Activation) -> CellSpec {
        .layer(CellLayer(kind: .gru, numUnits: numUnits, activation: activation))
    }

    /// The GRU with `reset_after` (Keras' default, PyTorch's GRU, TF 2's `GRUCell(reset_after=True)`); experiment
    /// files write it `{"type": "gru", "reset_after": true}`. See `GRUResetAfterCell`.
    public static func gruResetAfter(numUnits: Int, activation: Activation) -> CellSpec {
        .layer(CellLayer(kind: .gruResetAfter, numUnits: numUnits, activation: activation))
    }

    /// The experiment-file type name (`basic_rnn`, `lstm`, ...).
    public var typeName: String {
        switch self {
        case let .layer(l): return l.descriptor.jsonType
        case .multi: return "multi"
        case .residual: return "residual"
        case .dropout: return "dropout"
        }
    }

    /// The plain layer inside any `residual` and `dropout` wrappers (nil for a stack).
    public var unwrappedLayer: CellLayer? {
        switch self {
        case let .layer(l): return l
        case .multi: return nil
        case let .residual(c), let .dropout(c, _): return c.unwrappedLayer
        }
    }

    /// `num_units` of a plain cell (the wrapped cell's for a wrapper, the last layer's for a stack).
    public var numUnits: Int {
        switch self {
        case let .layer(l): return l.numUnits
        case let .multi(cells): return cells.last?.numUnits ?? 0
        case let .residual(c), let .dropout(c, _): return c.numUnits
        }
    }

    /// The output depth.
    public var outputSize: Int {
        switch self {
        case let .layer(l): return l.descriptor.outputSize(l)
        case let .multi(cells): return cells.last?.outputSize ?? 0
        case let .residual(c), let .dropout(c, _): return c.outputSize
        }
    }

    /// The state structure and sizes.
    public var stateSize: Nest<Int> {
        switch self {
        case let .layer(l): return l.descriptor.stateSize(l)
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
        case let .layer(l): return try l.descriptor.makeCell(l, store: store)
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
        case let .layer(l): return l.descriptor.estimatedParameters(l, inputDepth: d)
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
        switch self {
        case let .layer(l): return l.summary(for: convention)
        case let .multi(cells): return "multi[" + cells.map { $0.summary(for: convention) }.joined(separator: ", ") + "]"
        case let .residual(c): return "residual(" + c.summary(for: convention) + ")"
        case let .dropout(c, o):
            return "dropout(" + c.summary(for: convention) + ", keep in/out/state=\(o.inputKeepProb)/\(o.outputKeepProb)/\(o.stateKeepProb))"
        }
    }
}

/// One built-in cell: its kind, `num_units`, activation and options. Options the kind does not take (see its
/// descriptor's `jsonKeys`) are kept at their defaults, so two layers that build the same cell are equal.
public struct CellLayer: Sendable, Equatable {
    /// Which built-in cell.
    public let kind: CellKind
    /// `num_units`.
    public var numUnits: Int
    /// The cell's activation (`activation`; an LSTM's candidate and output, a GRU's candidate, a basic RNN's step);
    /// `tanh` for a kind that takes none (ONNX's kinds take an `activations` list in `options`).
    public var activation: Activation {
        didSet { if !takesActivation { activation = .tanh } }
    }
    /// The options (set values the kind does not take are reset to the defaults).
    public var options: CellOptions {
        didSet { options = options.restricted(to: kind.descriptor.jsonKeys) }
    }
    /// Keras' `go_backwards` (keras convention, a single layer): the layer reads steps T-1 … 0 (the mask reversed
    /// alike) and returns its outputs in that order. Not part of the cell's equations.
    public var goBackwards: Bool

    /// A layer of `kind`; options the kind does not take are dropped.
    public init(kind: CellKind, numUnits: Int, activation: Activation = .tanh, options: CellOptions = CellOptions(),
                goBackwards: Bool = false) {
        self.kind = kind
        self.numUnits = numUnits
        self.activation = kind.descriptor.jsonKeys.contains("activation") ? activation : .tanh
        self.options = options.restricted(to: kind.descriptor.jsonKeys)
        self.goBackwards = goBackwards
    }

    /// Whether the kind takes TF's `activation`.
    private var takesActivation: Bool { descriptor.jsonKeys.contains("activation") }

    /// A layer of `kind` with `convention`'s default options (`forget_bias` 1 where the framework has that term,
    /// 0 where it has none).
    public static func defaults(_ kind: CellKind, numUnits: Int, activation: Activation, convention: Convention) -> CellLayer {
        CellLayer(kind: kind, numUnits: numUnits, activation: activation,
                  options: CellOptions(forgetBias: convention.hasForgetBiasTerm ? 1 : 0))
    }

    /// The descriptor of `kind`.
    public var descriptor: any CellKindDescriptor { kind.descriptor }

    /// The layer's activation and options as an `LSTMCell` takes them.
    public var lstmOptions: LSTMOptions {
        LSTMOptions(usePeepholes: options.usePeepholes, cellClip: options.cellClip, numProj: options.numProj,
                    projClip: options.projClip, forgetBias: options.forgetBias, activation: activation)
    }

    /// The summary (see `CellSpec.summary(for:)`): the type, the units, then the options and the activation
    /// that differ from `convention`'s defaults.
    public func summary(for convention: Convention) -> String {
        let d = descriptor, keys = d.jsonKeys, o = options
        var parts = ["\(numUnits)"]
        if keys.contains(CellOptions.Key.usePeepholes), o.usePeepholes { parts.append("peepholes") }
        if keys.contains(CellOptions.Key.cellClip), let c = o.cellClip { parts.append("cell_clip=\(c)") }
        if keys.contains(CellOptions.Key.numProj), let p = o.numProj { parts.append("num_proj=\(p)") }
        if keys.contains(CellOptions.Key.projClip), let c = o.projClip { parts.append("proj_clip=\(c)") }
        if keys.contains(CellOptions.Key.forgetBias), o.forgetBias != (convention.hasForgetBiasTerm ? 1 : 0) {
            parts.append("forget_bias=\(o.forgetBias)")
        }
        if let r = d.resetAfter, r != convention.defaultResetAfter { parts.append(r ? "reset_after" : "reset_after=false") }
        if keys.contains(CellOptions.Key.clip), let c = o.clip { parts.append("clip=\(c)") }
        if keys.contains(CellOptions.Key.inputForget), o.inputForget { parts.append("input_forget") }
        if keys.contains(CellOptions.Key.linearBeforeReset), o.linearBeforeReset { parts.append("linear_before_reset") }
        if keys.contains(CellOptions.Key.activations), !o.activations.isEmpty { parts.append(o.activations.map(\.description).joined(separator: "/")) }
        if activation != .tanh { parts.append(activation.rawValue) }
        if goBackwards { parts.append("go_backwards") }
        return d.jsonType + "(" + parts.joined(separator: ", ") + ")"
    }
}

/// The options of a built-in cell beyond `num_units` and the activation, by TF's arguments. A kind takes those
/// its descriptor's `jsonKeys` list (the LSTM all of them, `basic_lstm` only `forget_bias`).
public struct CellOptions: Sendable, Equatable {
    /// The constant added to the forget gate (`forget_bias`).
    public var forgetBias: Double
    /// `use_peepholes`: the diagonal peephole connections `w_i_diag`, `w_f_diag`, `w_o_diag`.
    public var usePeepholes: Bool
    /// `cell_clip`: `c` clipped to ±this (nil: no clip).
    public var cellClip: Double?
    /// `num_proj`: `h = m·P` projected to this depth (nil: no projection).
    public var numProj: Int?
    /// `proj_clip`: the projection clipped to ±this (nil: no clip).
    public var projClip: Double?
    /// ONNX's `clip`: every gate's pre-activation bounded to ±this (nil: no clip); the cell state is not clipped.
    public var clip: Double?
    /// ONNX's `input_forget` (LSTM): the forget gate is `1 - i`.
    public var inputForget: Bool
    /// ONNX's `linear_before_reset` (GRU): `r` multiplies `H·R_hᵀ + Rb_h` after the product.
    public var linearBeforeReset: Bool
    /// ONNX's `activations` of this direction, with their alpha and beta (`ONNXActivation.handOut`); empty: the
    /// operator's defaults (`CellKindDescriptor.defaultActivations`).
    public var activations: [ONNXActivation]

    /// Options by TF's arguments (`forget_bias` 1 as TF's default), and ONNX's attributes.
    public init(forgetBias: Double = 1.0, usePeepholes: Bool = false, cellClip: Double? = nil, numProj: Int? = nil,
                projClip: Double? = nil, clip: Double? = nil, inputForget: Bool = false, linearBeforeReset: Bool = false,
                activations: [ONNXActivation] = []) {
        self.forgetBias = forgetBias
        self.usePeepholes = usePeepholes
        self.cellClip = cellClip
        self.numProj = numProj
        self.projClip = projClip
        self.clip = clip
        self.inputForget = inputForget
        self.linearBeforeReset = linearBeforeReset
        self.activations = activations
    }

    /// The options of an `LSTMCell` (its activation aside).
    public init(_ o: LSTMOptions) {
        self.init(forgetBias: o.forgetBias, usePeepholes: o.usePeepholes, cellClip: o.cellClip, numProj: o.numProj,
                  projClip: o.projClip)
    }

    /// The experiment-file keys of the options.
    public enum Key {
        public static let forgetBias = "forget_bias"
        public static let usePeepholes = "use_peepholes"
        public static let cellClip = "cell_clip"
        public static let numProj = "num_proj"
        public static let projClip = "proj_clip"
        public static let clip = "clip"
        public static let inputForget = "input_forget"
        public static let linearBeforeReset = "linear_before_reset"
        /// `activations`, read with `activation_alpha` and `activation_beta`.
        public static let activations = "activations"
        public static let activationAlpha = "activation_alpha"
        public static let activationBeta = "activation_beta"
    }

    /// These options with every one whose key is not in `keys` back at its default (`forget_bias` at 0: a kind
    /// without the term adds nothing).
    public func restricted(to keys: [String]) -> CellOptions {
        let d = CellOptions()
        return CellOptions(forgetBias: keys.contains(Key.forgetBias) ? forgetBias : 0,
                           usePeepholes: keys.contains(Key.usePeepholes) ? usePeepholes : d.usePeepholes,
                           cellClip: keys.contains(Key.cellClip) ? cellClip : d.cellClip,
                           numProj: keys.contains(Key.numProj) ? numProj : d.numProj,
                           projClip: keys.contains(Key.projClip) ? projClip : d.projClip,
                           clip: keys.contains(Key.clip) ? clip : d.clip,
                           inputForget: keys.contains(Key.inputForget) ? inputForget : d.inputForget,
                           linearBeforeReset: keys.contains(Key.linearBeforeReset) ? linearBeforeReset : d.linearBeforeReset,
                           activations: keys.contains(Key.activations) ? activations : d.activations)
    }
}
