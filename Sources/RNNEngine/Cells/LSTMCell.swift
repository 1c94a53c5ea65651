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
public final class LSTMCell<Scalar: RNNScalar>: BuiltInCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var linear: ConcatLinear<Scalar>?
    var peepholes: Peepholes<Scalar>?
    var projection: PackedMatrix<Scalar>?
    /// The projection's variable name and its transpose (for gradients).
    var projectionKernel: (name: String, transposed: TransposedPack<Scalar>)?

    public init(numUnits: Int, options: LSTMOptions = LSTMOptions(), store: VariableStore<Scalar>) throws {
        layer = try CellLayer(kind: .lstm, numUnits: numUnits, activation: options.activation, options: CellOptions(options)).validated()
        self.store = store
    }

    /// The options as TF's `LSTMCell` takes them.
    public var options: LSTMOptions { layer.lstmOptions }

    public func build(inputDepth: Int, scope: String) throws {
        let prefix = scope + "/" + name
        linear = try .fetch(from: store, prefix: prefix, inputDepth: inputDepth, stateDepth: outputSize, width: 4 * numUnits)
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
