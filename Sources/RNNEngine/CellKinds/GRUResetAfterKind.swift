/// The GRU with `reset_after`: the reset gate multiplies the recurrent product after it is taken, bias included
/// (`{"type": "gru", "reset_after": true}`; Keras' `GRU`, PyTorch's `nn.GRU`, TF 2's `GRUCell(reset_after=True)`).
/// See `GRUResetAfterCell`.
public struct GRUResetAfterKind: CellKindDescriptor {
    /// The descriptor (`CellKind.gruResetAfter.descriptor`).
    public init() {}
    public var kind: CellKind { .gruResetAfter }

    public var jsonType: String { "gru" }
    public var resetAfter: Bool? { true }
    public var jsonKeys: [String] { ["type", "num_units", "activation", "reset_after"] }
    public var tensorFlowClass: String { "tf.keras.layers.GRUCell(reset_after=True)" }
    public var scopeName: String { "gru_cell" }
    public var cellLabel: String { "GRUCell(reset_after)" }
    public var kerasClass: String? { "keras.layers.GRU" }
    public var kerasCellName: String? { "gru_cell" }
    public var torchModule: String? { "torch.nn.GRU" }

    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? {
        let a = layer.activation
        if convention == .torch && a != .tanh { return "nn.GRU's activation is tanh, got \(a.rawValue)" }
        return nil
    }

    /// The same gate names as TF 1's GRU, but the candidate differs: the reset gate multiplies the recurrent
    /// product after it is taken, bias included. Frames and gradient records list `r`, `u`, `c`; the kernels'
    /// column blocks are `u` (Keras' `z`), `r`, `c` (Keras' `h`).
    public static let gateTable: [GateDescription] = [
        GateDescription(name: "r", title: "reset gate", meaning: "how much of the recurrent product h·U_c + b_rec,c the candidate sees",
                        activation: "sigmoid"),
        GateDescription(name: "u", title: "update gate", meaning: "how much of the old h is kept: h' = u·h + (1 − u)·c",
                        activation: "sigmoid"),
        GateDescription(name: "c", title: "candidate", meaning: "the new state offered: x·W_c + b_in,c + r·(h·U_c + b_rec,c)",
                        activation: "activation"),
    ]

    /// ONNX's operator (linear_before_reset = 1).
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        convention == .onnx ? ONNXKinds.onnxLayer(layer, kind: .onnxGRU, options: CellOptions(linearBeforeReset: true)) : layer
    }
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        convention == .onnx ? ONNXKinds.activationRefusal(layer) : nil
    }

    public var gates: [GateDescription] { Self.gateTable }

    /// TF 2 and Keras `z, r, h`; PyTorch `r, z, n`; ONNX `z, r, h`.
    public func storedGateOrder(_ framework: Convention) -> [Gate] {
        switch framework {
        case .tf, .keras: return [.update, .reset, .candidate]
        case .torch: return [.reset, .update, .candidate]
        case .onnx: return [.update, .reset, .candidate]
        }
    }

    public var neutralGateOrder: [Gate] { [.update, .reset, .candidate] }
    public var tensorFlowVariables: TensorFlowVariables { .inputAndRecurrent }
    public var blockCount: Int { 3 }

    /// `kernel [d, 3u]`, `recurrent_kernel [u, 3u]`, `bias [2, 3u]`.
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        let u = Double(layer.numUnits)
        return (d + u) * 3 * u + 6 * u
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .leaf(layer.numUnits) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.numUnits }
    /// `x̂ = x·W + b_in` and `ĥ = h·U + b_rec` per block.
    public func recordedTerms(_ layer: CellLayer) -> [String] { ["u_x", "r_x", "c_x", "u_h", "r_h", "c_h"] }
    /// None: it runs step by step.
    public var fusedKernel: FusedKernel? { nil }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try GRUResetAfterCell(numUnits: layer.numUnits, activation: layer.activation, store: store)
    }
}
