/// ONNX's `GRU` operator as onnxruntime runs it (`{"type": "gru"}` under `"convention": "onnx"`): gates z, r, h,
/// `linear_before_reset`, `clip` on every gate's pre-activation, the `activations` f, g. See `ONNXGRUCell`.
public struct ONNXGRUKind: CellKindDescriptor {
    /// The descriptor (`CellKind.onnxGRU.descriptor`).
    public init() {}
    public var kind: CellKind { .onnxGRU }

    public var jsonType: String { "gru" }
    public var jsonKeys: [String] { ["type", "num_units"] + ONNXKinds.activationKeys + [CellOptions.Key.clip, CellOptions.Key.linearBeforeReset] }
    public var tensorFlowClass: String { "ONNX GRU" }
    public var scopeName: String { "onnx_gru" }
    public var cellLabel: String { "ONNX GRU" }
    public var kerasClass: String? { nil }
    public var kerasCellName: String? { nil }
    public var torchModule: String? { nil }
    public var onlyConvention: Convention? { .onnx }
    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? { nil }

    /// `linear_before_reset` = 1 is the reset-after GRU (Keras' `GRU`, PyTorch's `nn.GRU`), 0 TF 1's `GRUCell`
    /// (Keras' `reset_after=False`; PyTorch has none).
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        guard convention != .onnx else { return layer }
        return ONNXKinds.sharedLayer(layer, kind: layer.options.linearBeforeReset ? .gruResetAfter : .gru,
                                     defaults: defaultActivations, options: CellOptions())
    }
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        guard convention != .onnx else { return nil }
        if let why = ONNXKinds.refusal(layer, defaults: defaultActivations, convention: convention) { return why }
        // Say which GRU linear_before_reset makes it before the target's own reason.
        let target = converted(layer, to: convention)
        return target.descriptor.unsupportedReason(target, convention: convention).map {
            "linear_before_reset = \(layer.options.linearBeforeReset ? 1 : 0) is \(target.descriptor.cellLabel): " + $0
        }
    }

    /// f (z and r), g (the hidden gate h).
    public var defaultActivations: [ONNXActivation] { [.sigmoid, .tanh] }

    /// Named as TF's `GRUCell` names them (ONNX's z is `u`, its hidden gate h is `c`), like the reset-after GRU's.
    public static let gateTable: [GateDescription] = [
        GateDescription(name: "u", title: "update gate (ONNX z)", meaning: "how much of the old H is kept: H' = (1 − z)·h + z·H", activation: "sigmoid"),
        GateDescription(name: "r", title: "reset gate", meaning: "how much of H (linear_before_reset: of H·R_hᵀ + Rb_h) the hidden gate sees", activation: "sigmoid"),
        GateDescription(name: "c", title: "hidden gate (ONNX h)", meaning: "the new state offered", activation: "activation"),
    ]

    public var gates: [GateDescription] { Self.gateTable }
    /// ONNX's `z, r, h` (only ONNX stores this kind).
    public func storedGateOrder(_ framework: Convention) -> [Gate] { neutralGateOrder }
    public var neutralGateOrder: [Gate] { [.update, .reset, .candidate] }
    public var tensorFlowVariables: TensorFlowVariables { .inputAndRecurrent }
    public var blockCount: Int { 3 }

    /// `W [3u, d]`, `R [3u, u]`, `B [6u]`.
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        ONNXKinds.parameters(layer, blocks: 3, inputDepth: d)
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .leaf(layer.numUnits) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.numUnits }
    /// Each gate's pre-activation (before `clip`).
    public func recordedTerms(_ layer: CellLayer) -> [String] { ["u_pre", "r_pre", "c_pre"] }
    public var fusedKernel: FusedKernel? { nil }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try ONNXGRUCell(layer: layer, store: store)
    }
}
