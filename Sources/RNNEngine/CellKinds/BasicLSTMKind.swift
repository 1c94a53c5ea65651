/// TF's `BasicLSTMCell`: the LSTM with a `forget_bias` term and nothing else (Keras and PyTorch have none; under
/// their conventions it is an `lstm` with the constant in the forget gate's bias). See `BasicLSTMCell`.
public struct BasicLSTMKind: CellKindDescriptor {
    /// The descriptor (`CellKind.basicLSTM.descriptor`).
    public init() {}
    public var kind: CellKind { .basicLSTM }

    public var jsonType: String { "basic_lstm" }
    public var jsonKeys: [String] { ["type", "num_units", "forget_bias", "activation"] }
    public var tensorFlowClass: String { "tf.nn.rnn_cell.BasicLSTMCell" }
    public var scopeName: String { "basic_lstm_cell" }
    public var cellLabel: String { "BasicLSTMCell" }
    public var kerasClass: String? { nil }
    public var kerasCellName: String? { nil }
    public var torchModule: String? { nil }

    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? {
        guard convention != .tf else { return nil }
        return "\(convention.frameworkName) has no BasicLSTMCell; use \"lstm\" (the same equations without a forget_bias term)"
    }

    /// Without a `forget_bias` term: the `lstm` with the constant in the forget gate's bias.
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        if convention == .onnx { return ONNXKinds.onnxLayer(layer, kind: .onnxLSTM, options: CellOptions()) }
        guard !convention.hasForgetBiasTerm else { return layer }
        return CellLayer(kind: .lstm, numUnits: layer.numUnits, activation: layer.activation, options: CellOptions(forgetBias: 0))
    }

    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        convention == .onnx ? ONNXKinds.activationRefusal(layer) : nil
    }

    public var gates: [GateDescription] { LSTMKind.gateTable }
    public func storedGateOrder(_ framework: Convention) -> [Gate] { LSTMKind.storedGateOrder(framework) }
    public var neutralGateOrder: [Gate] { LSTMKind().neutralGateOrder }
    public var tensorFlowVariables: TensorFlowVariables { .concatenated }
    public var blockCount: Int { 4 }

    /// `kernel [d + u, 4u]`, `bias [4u]` (the LSTM's count without its options).
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        LSTMKind.parameters(layer, inputDepth: d)
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .lstm(c: layer.numUnits, h: layer.numUnits) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.numUnits }
    public func recordedTerms(_ layer: CellLayer) -> [String] { LSTMKind.recordedTerms(layer) }
    public var fusedKernel: FusedKernel? { .lstm }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try BasicLSTMCell(numUnits: layer.numUnits, forgetBias: layer.options.forgetBias, activation: layer.activation, store: store)
    }
}
