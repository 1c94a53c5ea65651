/// TF's `BasicLSTMCell` (state_is_tuple): gates `i, j, f, o = split([x, h]·W + b, 4)`,
/// `c' = c·σ(f + forget_bias) + σ(i)·act(j)`, `h' = act(c')·σ(o)`; state `LSTMStateTuple(c', h')`.
/// Variables: `kernel [depth + units, 4·units]`, `bias [4·units]`.
public final class BasicLSTMCell<Scalar: RNNScalar>: BuiltInCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var linear: ConcatLinear<Scalar>?

    public init(numUnits: Int, forgetBias: Double = 1.0, activation: Activation = .tanh, store: VariableStore<Scalar>) throws {
        layer = try CellLayer(kind: .basicLSTM, numUnits: numUnits, activation: activation,
                              options: CellOptions(forgetBias: forgetBias)).validated()
        self.store = store
    }

    /// `forget_bias`.
    public var forgetBias: Double { layer.options.forgetBias }

    public func build(inputDepth: Int, scope: String) throws {
        linear = try .fetch(from: store, prefix: scope + "/" + name, inputDepth: inputDepth, stateDepth: numUnits, width: 4 * numUnits)
    }
}

/// Its step is the shared LSTM step (LSTMStep.swift), which gives its `call` and `tapedCall`.
extension BasicLSTMCell: LSTMStepCell {
    func stepParameters() throws -> LSTMStepParameters<Scalar> {
        let l = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: label)
        return LSTMStepParameters(linear: l, units: numUnits, forgetBias: forgetBias, activation: activation,
                                  peepholes: nil, cellClip: nil, projection: nil, projClip: nil)
    }
}
