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

    /// TF's `LSTMCell` (Keras' `LSTM`, PyTorch's `nn.LSTM`) with the peepholes, no `forget_bias`.
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer {
        guard convention != .onnx else { return layer }
        return ONNXKinds.sharedLayer(layer, kind: .lstm, defaults: defaultActivations,
                                     options: CellOptions(forgetBias: 0, usePeepholes: layer.options.usePeepholes))
    }
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? {
        convention == .onnx ? nil : ONNXKinds.refusal(layer, defaults: defaultActivations, convention: convention)
    }

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

    // MARK: Conversions (exact: the equations are the same, only the names and the weights' layout differ)

    /// The ONNX layer of `kind` that runs a tf/keras/torch `layer`: its `activation` in every slot of the operator's
    /// defaults that holds Tanh (LSTM g and h, GRU g, RNN f; the gates' f stays Sigmoid), the list left empty (the
    /// defaults) for tanh. Only where `activationRefusal` is nil.
    static func onnxLayer(_ layer: CellLayer, kind: CellKind, options: CellOptions) -> CellLayer {
        var o = options
        if layer.activation != .tanh, let a = ONNXActivation(engine: layer.activation) {
            o.activations = kind.descriptor.defaultActivations.map { $0 == .tanh ? a : $0 }
        }
        return CellLayer(kind: kind, numUnits: layer.numUnits, options: o, goBackwards: layer.goBackwards)
    }

    /// Why a tf/keras/torch layer's `activation` has no ONNX form (nil: it has).
    static func activationRefusal(_ layer: CellLayer) -> String? {
        guard ONNXActivation(engine: layer.activation) == nil else { return nil }
        return "ONNX's activations have no \(layer.activation.rawValue)"
    }

    /// The one activation an ONNX layer's list (empty: `defaults`) means for TF's, Keras' and PyTorch's cells: the
    /// function in every slot where the defaults hold Tanh, the other slots at their defaults; nil when it is not.
    static func activation(_ layer: CellLayer, defaults: [ONNXActivation]) -> Activation? {
        let list = layer.options.activations.isEmpty ? defaults : layer.options.activations
        guard list.count == defaults.count else { return nil }
        let slots = zip(list, defaults).filter { $0.1 == .tanh }.map(\.0)
        guard let first = slots.first, slots.allSatisfy({ $0 == first }),
              zip(list, defaults).allSatisfy({ $0.1 == .tanh || $0.0 == $0.1 }) else { return nil }
        return first.engineActivation
    }

    /// Why an ONNX layer has no tf/keras/torch form, nil when it has (`kind`'s own facts, e.g. peepholes, are the
    /// target's to refuse).
    static func refusal(_ layer: CellLayer, defaults: [ONNXActivation], convention: Convention) -> String? {
        let o = layer.options, name = convention.frameworkName
        if let c = o.clip {
            return "ONNX's clip = \(c) bounds every gate's pre-activation; \(name) has no such clip (TF's cell_clip bounds the cell state)"
        }
        if o.inputForget { return "ONNX's input_forget (f = 1 − i) has no form in \(name)" }
        if activation(layer, defaults: defaults) == nil {
            let list = (o.activations.isEmpty ? defaults : o.activations).map(\.description).joined(separator: ", ")
            let want = defaults.map { $0 == .tanh ? "A" : $0.description }.joined(separator: ", ")
            return "the activations [\(list)] have no form in \(name): its cells run [\(want)] with A one of \(Activation.allCases.filter { ONNXActivation(engine: $0) != nil }.map(\.rawValue).joined(separator: ", "))"
        }
        return nil
    }

    /// The tf/keras/torch layer of `kind` an ONNX `layer` is (where `refusal` is nil).
    static func sharedLayer(_ layer: CellLayer, kind: CellKind, defaults: [ONNXActivation], options: CellOptions) -> CellLayer {
        CellLayer(kind: kind, numUnits: layer.numUnits, activation: activation(layer, defaults: defaults) ?? .tanh,
                  options: options, goBackwards: layer.goBackwards)
    }
}
