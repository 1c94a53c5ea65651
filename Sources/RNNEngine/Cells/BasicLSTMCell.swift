/// TF's `BasicLSTMCell` (state_is_tuple): gates `i, j, f, o = split([x, h]·W + b, 4)`,
/// `c' = c·σ(f + forget_bias) + σ(i)·act(j)`, `h' = act(c')·σ(o)`; state `LSTMStateTuple(c', h')`.
/// Variables: `kernel [depth + units, 4·units]`, `bias [4·units]`.
public final class BasicLSTMCell<Scalar: RNNScalar>: RNNCell {
    public let numUnits: Int
    public let forgetBias: Double
    public let activation: Activation
    public let store: VariableStore<Scalar>
    var linear: ConcatLinear<Scalar>?

    public init(numUnits: Int, forgetBias: Double = 1.0, activation: Activation = .tanh, store: VariableStore<Scalar>) throws {
        guard numUnits >= 1 else { throw RNNError.invalidCell("BasicLSTMCell: num_units must be at least 1, got \(numUnits)") }
        self.numUnits = numUnits
        self.forgetBias = forgetBias
        self.activation = activation
        self.store = store
    }

    public var name: String { "basic_lstm_cell" }
    public var stateSize: Nest<Int> { .lstm(c: numUnits, h: numUnits) }
    public var outputSize: Int { numUnits }

    public func build(inputDepth: Int, scope: String) throws {
        let prefix = scope + "/" + name
        let (kernelName, biasName) = (prefix + "/kernel", prefix + "/bias")
        let kernel = try store.variable(kernelName, shape: [inputDepth + numUnits, 4 * numUnits], initializer: .glorotUniform)
        let bias = try store.variable(biasName, shape: [4 * numUnits], initializer: .zeros)
        linear = ConcatLinear(kernel: kernel, inputDepth: inputDepth, bias: bias, kernelName: kernelName, biasName: biasName)
    }
}

/// Its step is the shared LSTM step (LSTMStep.swift), which gives its `call` and `tapedCall`.
extension BasicLSTMCell: LSTMStepCell {
    var label: String { "BasicLSTMCell" }

    func stepParameters() throws -> LSTMStepParameters<Scalar> {
        let l = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: label)
        return LSTMStepParameters(linear: l, units: numUnits, forgetBias: forgetBias, activation: activation,
                                  peepholes: nil, cellClip: nil, projection: nil, projClip: nil)
    }
}
