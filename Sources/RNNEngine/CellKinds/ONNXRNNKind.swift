/// ONNX's `RNN` operator as onnxruntime runs it (`{"type": "basic_rnn"}` under `"convention": "onnx"`):
/// `H' = f(clip(X·Wᵀ + H·Rᵀ + Wb + Rb))`. See `ONNXRNNCell`.
public struct ONNXRNNKind: CellKindDescriptor {
    /// The descriptor (`CellKind.onnxRNN.descriptor`).
    public init() {}
    public var kind: CellKind { .onnxRNN }

    public var jsonType: String { "basic_rnn" }
    public var jsonKeys: [String] { ["type", "num_units"] + ONNXKinds.activationKeys + [CellOptions.Key.clip] }
    public var tensorFlowClass: String { "ONNX RNN" }
    public var scopeName: String { "onnx_rnn" }
    public var cellLabel: String { "ONNX RNN" }
    public var kerasClass: String? { nil }
    public var kerasCellName: String? { nil }
    public var torchModule: String? { nil }
    public var onlyConvention: Convention? { .onnx }
    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? { nil }

    /// TF's `BasicRNNCell` (Keras' `SimpleRNN`, PyTorch's `nn.RNN`).
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        guard convention != .onnx else { return layer }
        return ONNXKinds.sharedLayer(layer, kind: .basicRNN, defaults: defaultActivations, options: CellOptions())
    }
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        convention == .onnx ? nil : ONNXKinds.refusal(layer, defaults: defaultActivations, convention: convention)
    }

    /// f.
    public var defaultActivations: [ONNXActivation] { [.tanh] }

    /// No gates: one block.
    public var gates: [GateDescription] { [] }
    public func storedGateOrder(_ framework: Convention) -> [Gate] { [.candidate] }
    public var neutralGateOrder: [Gate] { [.candidate] }
    public var tensorFlowVariables: TensorFlowVariables { .inputAndRecurrent }
    public var blockCount: Int { 1 }

    /// `W [u, d]`, `R [u, u]`, `B [2u]`.
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        ONNXKinds.parameters(layer, blocks: 1, inputDepth: d)
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .leaf(layer.numUnits) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.numUnits }
    public func recordedTerms(_ layer: CellLayer) -> [String] { ["h_pre"] }
    public var fusedKernel: FusedKernel? { nil }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try ONNXRNNCell(layer: layer, store: store)
    }
}
