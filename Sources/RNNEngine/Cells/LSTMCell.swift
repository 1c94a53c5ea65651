/// Options of TF's `LSTMCell` beyond `num_units`.
public struct LSTMOptions: Sendable, Equatable {
    public var usePeepholes: Bool
    public var cellClip: Double?
    public var numProj: Int?
    public var projClip: Double?
    public var forgetBias: Double
    public var activation: Activation

    public init(usePeepholes: Bool = false, cellClip: Double? = nil, numProj: Int? = nil, projClip: Double? = nil,
                forgetBias: Double = 1.0, activation: Activation = .tanh) {
        self.usePeepholes = usePeepholes
        self.cellClip = cellClip
        self.numProj = numProj
        self.projClip = projClip
        self.forgetBias = forgetBias
        self.activation = activation
    }
}

/// TF's `LSTMCell`: like `BasicLSTMCell`, plus optional peepholes (`w_i_diag`, `w_f_diag`, `w_o_diag`),
/// `cell_clip` on `c`, and a projection `h = m·P` (`projection/kernel [units, num_proj]`) clipped by `proj_clip`.
/// State `LSTMStateTuple(c [units], h [num_proj or units])`.
public final class LSTMCell<Scalar: RNNScalar>: RNNCell {
    public let numUnits: Int
    public let options: LSTMOptions
    public let store: VariableStore<Scalar>
    var linear: ConcatLinear<Scalar>?
    var peepholes: Peepholes<Scalar>?
    var projection: PackedMatrix<Scalar>?
    /// The projection's variable name and its transpose (for gradients).
    var projectionKernel: (name: String, transposed: TransposedPack<Scalar>)?

    public init(numUnits: Int, options: LSTMOptions = LSTMOptions(), store: VariableStore<Scalar>) throws {
        guard numUnits >= 1 else { throw RNNError.invalidCell("LSTMCell: num_units must be at least 1, got \(numUnits)") }
        if let p = options.numProj, p < 1 {
            throw RNNError.invalidCell("LSTMCell: num_proj must be at least 1, got \(p)")
        }
        if let c = options.cellClip, !(c >= 0) { throw RNNError.invalidCell("LSTMCell: cell_clip must be non-negative, got \(c)") }
        if let c = options.projClip, !(c >= 0) { throw RNNError.invalidCell("LSTMCell: proj_clip must be non-negative, got \(c)") }
        self.numUnits = numUnits
        self.options = options
        self.store = store
    }

    public var name: String { "lstm_cell" }
    private var hDepth: Int { options.numProj ?? numUnits }
    public var stateSize: Nest<Int> { .lstm(c: numUnits, h: hDepth) }
    public var outputSize: Int { hDepth }

    public func build(inputDepth: Int, scope: String) throws {
        let prefix = scope + "/" + name
        let (kernelName, biasName) = (prefix + "/kernel", prefix + "/bias")
        let kernel = try store.variable(kernelName, shape: [inputDepth + hDepth, 4 * numUnits], initializer: .glorotUniform)
        let bias = try store.variable(biasName, shape: [4 * numUnits], initializer: .zeros)
        linear = ConcatLinear(kernel: kernel, inputDepth: inputDepth, bias: bias, kernelName: kernelName, biasName: biasName)
        if options.usePeepholes {
            let names = (i: prefix + "/w_i_diag", f: prefix + "/w_f_diag", o: prefix + "/w_o_diag")
            let wf = try store.variable(names.f, shape: [numUnits], initializer: .glorotUniform)
            let wi = try store.variable(names.i, shape: [numUnits], initializer: .glorotUniform)
            let wo = try store.variable(names.o, shape: [numUnits], initializer: .glorotUniform)
            peepholes = Peepholes(wi: wi.scalars, wf: wf.scalars, wo: wo.scalars, names: names)
        }
        if let p = options.numProj {
            let name = prefix + "/projection/kernel"
            let proj = try store.variable(name, shape: [numUnits, p], initializer: .glorotUniform)
            projection = PackedMatrix(proj.scalars, rows: numUnits, cols: p, rowOffset: 0)
            projectionKernel = (name, TransposedPack(proj.scalars, rows: numUnits, cols: p))
        }
    }
}

/// Its step is the shared LSTM step (LSTMStep.swift), which gives its `call` and `tapedCall`.
extension LSTMCell: LSTMStepCell {
    var label: String { "LSTMCell" }

    func stepParameters() throws -> LSTMStepParameters<Scalar> {
        let l = try builtLinear(linear, inputDepth: linear?.inputDepth ?? 0, cell: label)
        var proj: (packed: PackedMatrix<Scalar>, transposed: PackedMatrix<Scalar>, name: String)?
        if let packed = projection, let kernel = projectionKernel {
            proj = (packed, kernel.transposed.packed, kernel.name)
        }
        return LSTMStepParameters(linear: l, units: numUnits, forgetBias: options.forgetBias, activation: options.activation,
                                  peepholes: peepholes, cellClip: options.cellClip, projection: proj, projClip: options.projClip)
    }
}
