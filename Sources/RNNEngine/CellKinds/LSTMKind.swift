/// TF's `LSTMCell`: the LSTM with optional peepholes, `cell_clip`, a projection (`num_proj`, `proj_clip`) and a
/// `forget_bias` term (Keras' `LSTM`, PyTorch's `nn.LSTM` without the TF-only options). See `LSTMCell`.
public struct LSTMKind: CellKindDescriptor {
    /// The descriptor (`CellKind.lstm.descriptor`).
    public init() {}
    public var kind: CellKind { .lstm }

    public var jsonType: String { "lstm" }
    public var jsonKeys: [String] {
        ["type", "num_units", "use_peepholes", "cell_clip", "num_proj", "proj_clip", "forget_bias", "activation"]
    }
    public var tensorFlowClass: String { "tf.nn.rnn_cell.LSTMCell" }
    public var scopeName: String { "lstm_cell" }
    public var cellLabel: String { "LSTMCell" }
    public var kerasClass: String? { "keras.layers.LSTM" }
    public var kerasCellName: String? { "lstm_cell" }
    public var torchModule: String? { "torch.nn.LSTM" }

    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? {
        guard convention != .tf else { return nil }
        let keras = convention == .keras, frameworks = convention.frameworkPossessive, o = layer.options
        if o.usePeepholes { return "\(frameworks) LSTM has no peepholes (use_peepholes)" }
        if o.cellClip != nil { return "\(frameworks) LSTM has no cell_clip" }
        if o.projClip != nil { return "\(frameworks) LSTM has no proj_clip" }
        if keras && o.numProj != nil { return "Keras' LSTM has no projection (num_proj); PyTorch's proj_size has one" }
        if !keras, let p = o.numProj, p >= layer.numUnits {
            return "PyTorch's LSTM refuses num_proj = \(p) with num_units = \(layer.numUnits) (proj_size has to be smaller than hidden_size)"
        }
        if o.forgetBias != 0 {
            return "\(frameworks) LSTM has no forget_bias term (got forget_bias = \(o.forgetBias)); it lives in the forget gate's bias"
        }
        if !keras && layer.activation != .tanh { return "nn.LSTM's activation is tanh, got \(layer.activation.rawValue)" }
        return nil
    }

    /// Without a `forget_bias` term the constant moves into the forget gate's bias (the weights' conversion adds it).
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        if convention == .onnx {
            return ONNXKinds.onnxLayer(layer, kind: .onnxLSTM, options: CellOptions(usePeepholes: layer.options.usePeepholes))
        }
        guard !convention.hasForgetBiasTerm else { return layer }
        var l = layer
        l.options.forgetBias = 0
        return l
    }

    /// ONNX's LSTM has peepholes (the same three, the output gate reading the new cell) but no `cell_clip` (its
    /// `clip` bounds the gates) and no projection.
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        guard convention == .onnx else { return nil }
        let o = layer.options
        if let c = o.cellClip { return "ONNX's LSTM has no cell_clip (got \(c); its clip bounds the gates' pre-activations, not the cell state)" }
        if let p = o.numProj { return "ONNX's LSTM has no projection (num_proj = \(p))" }
        if o.projClip != nil { return "ONNX's LSTM has no proj_clip" }
        return ONNXKinds.activationRefusal(layer)
    }

    /// `[x, h]·W + b` splits into `i, j, f, o`, in that order.
    public static let gateTable: [GateDescription] = [
        GateDescription(name: "i", title: "input gate", meaning: "how much of the candidate j enters the cell state",
                        activation: "sigmoid"),
        GateDescription(name: "j", title: "candidate", meaning: "the new content offered to the cell state",
                        activation: "activation"),
        GateDescription(name: "f", title: "forget gate", meaning: "how much of the old cell state c is kept (forget_bias added first)",
                        activation: "sigmoid"),
        GateDescription(name: "o", title: "output gate", meaning: "how much of act(c) leaves as h",
                        activation: "sigmoid"),
    ]

    public var gates: [GateDescription] { Self.gateTable }

    /// TF `i, j, f, o` (the gate table's order); Keras `i, f, c, o`; PyTorch `i, f, g, o`; ONNX `i, o, f, c`.
    public func storedGateOrder(_ framework: Convention) -> [Gate] { Self.storedGateOrder(framework) }

    static func storedGateOrder(_ framework: Convention) -> [Gate] {
        switch framework {
        case .tf: return gateTable.compactMap { Gate(tfName: $0.name) }
        case .keras, .torch: return [.input, .forget, .candidate, .output]
        case .onnx: return [.input, .output, .forget, .candidate]
        }
    }

    public var neutralGateOrder: [Gate] { [.input, .forget, .candidate, .output] }
    public var tensorFlowVariables: TensorFlowVariables { .concatenated }
    public var blockCount: Int { 4 }

    /// `kernel [d + h, 4u]`, `bias [4u]`, peepholes `3u`, `projection/kernel [u, num_proj]`.
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        Self.parameters(layer, inputDepth: d)
    }

    static func parameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        let o = layer.options
        let u = Double(layer.numUnits), h = Double(o.numProj ?? layer.numUnits)
        return (d + h) * 4 * u + 4 * u + (o.usePeepholes ? 3 * u : 0) + (o.numProj.map { u * Double($0) } ?? 0)
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .lstm(c: layer.numUnits, h: outputSize(layer)) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.options.numProj ?? layer.numUnits }

    /// `i_pre j_pre f_pre o_pre`; `peep_i peep_f peep_o` with peepholes; `c_unclipped` with `cell_clip`;
    /// `proj_unclipped` with a projection and `proj_clip`.
    public func recordedTerms(_ layer: CellLayer) -> [String] { Self.recordedTerms(layer) }

    static func recordedTerms(_ layer: CellLayer) -> [String] {
        let o = layer.options
        var terms = ["i_pre", "j_pre", "f_pre", "o_pre"]
        if o.usePeepholes { terms += ["peep_i", "peep_f", "peep_o"] }
        if o.cellClip != nil { terms.append("c_unclipped") }
        if o.numProj != nil, o.projClip != nil { terms.append("proj_unclipped") }
        return terms
    }

    public var fusedKernel: FusedKernel? { .lstm }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try LSTMCell(numUnits: layer.numUnits, options: layer.lstmOptions, store: store)
    }
}
