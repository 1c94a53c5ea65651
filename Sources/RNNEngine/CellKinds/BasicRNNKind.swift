/// TF's `BasicRNNCell`: `h' = act([x, h]·W + b)` (Keras' `SimpleRNN`, PyTorch's `nn.RNN`). See `BasicRNNCell`.
public struct BasicRNNKind: CellKindDescriptor {
    /// The descriptor (`CellKind.basicRNN.descriptor`).
    public init() {}
    public var kind: CellKind { .basicRNN }

    public var jsonType: String { "basic_rnn" }
    public var jsonKeys: [String] { ["type", "num_units", "activation"] }
    public var tensorFlowClass: String { "tf.nn.rnn_cell.BasicRNNCell" }
    public var scopeName: String { "basic_rnn_cell" }
    public var cellLabel: String { "BasicRNNCell" }
    public var kerasClass: String? { "keras.layers.SimpleRNN" }
    public var kerasCellName: String? { "simple_rnn_cell" }
    public var torchModule: String? { "torch.nn.RNN" }

    public func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String? {
        let a = layer.activation
        if convention == .torch && a != .tanh && a != .relu { return "nn.RNN's nonlinearity is tanh or relu, got \(a.rawValue)" }
        return nil
    }

    /// ONNX's operator.
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        convention == .onnx ? ONNXKinds.onnxLayer(layer, kind: .onnxRNN, options: CellOptions()) : layer
    }
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        convention == .onnx ? ONNXKinds.activationRefusal(layer) : nil
    }

    /// No gates: the step is `act(x·W + b)`, one block.
    public var gates: [GateDescription] { [] }
    public func storedGateOrder(_ framework: Convention) -> [Gate] { [.candidate] }
    public var neutralGateOrder: [Gate] { [.candidate] }
    public var tensorFlowVariables: TensorFlowVariables { .concatenated }
    public var blockCount: Int { 1 }

    /// `kernel [d + u, u]`, `bias [u]`.
    public func estimatedParameters(_ layer: CellLayer, inputDepth d: Double) -> Double {
        let u = Double(layer.numUnits)
        return (d + u) * u + u
    }

    public func stateSize(_ layer: CellLayer) -> Nest<Int> { .leaf(layer.numUnits) }
    public func outputSize(_ layer: CellLayer) -> Int { layer.numUnits }
    public func recordedTerms(_ layer: CellLayer) -> [String] { ["h_pre"] }
    public var fusedKernel: FusedKernel? { .rnn }

    public func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar> {
        try BasicRNNCell(numUnits: layer.numUnits, activation: layer.activation, store: store)
    }
}
