/// TF 1's `GRUCell`: the reset gate multiplies `h` before the candidate's product (`{"type": "gru",
/// "reset_after": false}`; Keras' `GRU(reset_after=False)`; PyTorch has none). See `GRUCell`.
public struct GRUKind: CellKindDescriptor {
    /// The descriptor (`CellKind.gru.descriptor`).
    public init() {}
    public var kind: CellKind { .gru }

    public var jsonType: String { "gru" }
    public var resetAfter: Bool? { false }
    public var jsonKeys: [String] { ["type", "num_units", "activation", "reset_after"] }
    public var tensorFlowClass: String { "tf.nn.rnn_cell.GRUCell" }
    public var scopeName: String { "gru_cell" }
    public var cellLabel: String { "GRUCell" }
    public var kerasClass: String? { "keras.layers.GRU(reset_after=False)" }
    public var kerasCellName: String? { "gru_cell" }
    public var torchModule: String? { nil }

    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? {
        guard convention == .torch else { return nil }
        return "PyTorch's GRU always applies the reset gate after the recurrent product: it needs \"reset_after\": true"
    }

    /// The gates product splits into `r, u`; the candidate `c` is a second product over `[x, r·h]`.
    public static let gateTable: [GateDescription] = [
        GateDescription(name: "r", title: "reset gate", meaning: "how much of h the candidate sees (r·h)",
                        activation: "sigmoid"),
        GateDescription(name: "u", title: "update gate", meaning: "how much of the old h is kept: h' = u·h + (1 − u)·c",
                        activation: "sigmoid"),
        GateDescription(name: "c", title: "candidate", meaning: "the new state offered, from x and r·h",
                        activation: "activation"),
    ]

    /// ONNX's operator (linear_before_reset = 0).
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        convention == .onnx ? ONNXKinds.onnxLayer(layer, kind: .onnxGRU, options: CellOptions(linearBeforeReset: false)) : layer
    }
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        convention == .onnx ? ONNXKinds.activationRefusal(layer) : nil
    }

    public var gates: [GateDescription] { Self.gateTable }

    /// TF 1: `gates/kernel` `r, u`, then `candidate/kernel` (the gate table's order); Keras `z, r, h`; PyTorch's
    /// order `r, z, n` (PyTorch has no such GRU: `converted` never yields it); ONNX `z, r, h`.
    public func storedGateOrder(_ framework: Convention) -> [Gate] {
        switch framework {
        case .tf: return Self.gateTable.compactMap { Gate(tfName: $0.name) }
        case .keras: return [.update, .reset, .candidate]
        case .torch: return [.reset, .update, .candidate]
        case .onnx: return [.update, .reset, .candidate]
        }
    }

    public var neutralGateOrder: [Gate] { [.update, .reset, .candidate] }
    public var tensorFlowVariables: TensorFlowVariables { .gatesAndCandidate }
    public var blockCount: Int { 3 }

    /// `gates/kernel [d + u, 2u]`, `gates/bias [2u]`, `candidate/kernel [d + u, u]`, `candidate/bias [u]`.
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        let u = Double(layer.numUnits)
        return (d + u) * 3 * u + 3 * u
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .leaf(layer.numUnits) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.numUnits }
    public func recordedTerms(_ layer: CellLayer) -> [String] { ["r_pre", "u_pre", "c_pre"] }
    public var fusedKernel: FusedKernel? { .gru }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try GRUCell(numUnits: layer.numUnits, activation: layer.activation, store: store)
    }
}
