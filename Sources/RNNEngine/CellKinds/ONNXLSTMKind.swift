/// ONNX's `LSTM` operator as onnxruntime runs it (`{"type": "lstm"}` under `"convention": "onnx"`): gates i, o, f, c,
/// peepholes `P` (i, o, f; the output gate reads the new cell), `clip` on every gate's pre-activation,
/// `input_forget` (f = 1 − i) and the `activations` f, g, h. See `ONNXLSTMCell`.
public struct ONNXLSTMKind: CellKindDescriptor {
    /// The descriptor (`CellKind.onnxLSTM.descriptor`).
    public init() {}
    public var kind: CellKind { .onnxLSTM }

    public var jsonType: String { "lstm" }
    public var jsonKeys: [String] { ["type", "num_units"] + ONNXKinds.activationKeys + [CellOptions.Key.clip, CellOptions.Key.inputForget, CellOptions.Key.usePeepholes] }
    public var tensorFlowClass: String { "ONNX LSTM" }
    public var scopeName: String { "onnx_lstm" }
    public var cellLabel: String { "ONNX LSTM" }
    public var kerasClass: String? { nil }
    public var kerasCellName: String? { nil }
    public var torchModule: String? { nil }
    public var onlyConvention: Convention? { .onnx }
    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? { nil }

    /// f (the gates), g (the candidate), h (of the cell state).
    public var defaultActivations: [ONNXActivation] { [.sigmoid, .tanh, .tanh] }

    public static let gateTable: [GateDescription] = [
        GateDescription(name: "i", title: "input gate", meaning: "how much of the candidate c enters the cell state", activation: "sigmoid"),
        GateDescription(name: "o", title: "output gate", meaning: "how much of h(C) leaves as H (its peephole reads the new C)", activation: "sigmoid"),
        GateDescription(name: "f", title: "forget gate", meaning: "how much of the old cell state is kept (1 − i with input_forget)", activation: "sigmoid"),
        GateDescription(name: "c", title: "cell gate", meaning: "the new content offered to the cell state", activation: "activation"),
    ]

    public var gates: [GateDescription] { Self.gateTable }
    /// ONNX's `i, o, f, c` (only ONNX stores this kind).
    public func storedGateOrder(_ framework: Convention) -> [Gate] { neutralGateOrder }
    public var neutralGateOrder: [Gate] { [.input, .output, .forget, .candidate] }
    public var tensorFlowVariables: TensorFlowVariables { .inputAndRecurrent }
    public var blockCount: Int { 4 }

    /// `W [4u, d]`, `R [4u, u]`, `B [8u]`, `P [3u]` with peepholes.
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        ONNXKinds.parameters(layer, blocks: 4, inputDepth: d) + (layer.options.usePeepholes ? 3 * Double(layer.numUnits) : 0)
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .lstm(c: layer.numUnits, h: layer.numUnits) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.numUnits }
    /// Each gate's pre-activation (peephole term included, before `clip`).
    public func recordedTerms(_ layer: CellLayer) -> [String] { ["i_pre", "o_pre", "f_pre", "c_pre"] }
    public var fusedKernel: FusedKernel? { nil }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try ONNXLSTMCell(layer: layer, store: store)
    }
}

/// What the three ONNX kinds share.
enum ONNXKinds {
    /// The keys of an `activations` list and its parameters.
    static let activationKeys = [CellOptions.Key.activations, CellOptions.Key.activationAlpha, CellOptions.Key.activationBeta]

    /// `W [k·u, d]`, `R [k·u, u]` and `B [2·k·u]`.
    static func parameters(_ layer: CellLayer, blocks k: Double, inputDepth d: Double) -> Double {
        let u = Double(layer.numUnits)
        return (d + u) * k * u + 2 * k * u
    }
}
