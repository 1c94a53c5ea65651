/// TF's `BasicRNNCell`: `output = new_state = act([x, h]·W + b)`.
/// Variables: `kernel [depth + units, units]`, `bias [units]`.
public final class BasicRNNCell<Scalar: RNNScalar>: BuiltInCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var linear: ConcatLinear<Scalar>?

    public init(numUnits: Int, activation: Activation = .tanh, store: VariableStore<Scalar>) throws {
        layer = try CellLayer(kind: .basicRNN, numUnits: numUnits, activation: activation).validated()
        self.store = store
    }

    public func build(inputDepth: Int, scope: String) throws {
        linear = try .fetch(from: store, prefix: scope + "/" + name, inputDepth: inputDepth, stateDepth: numUnits, width: numUnits)
    }
}

extension BasicRNNCell: StepFunctionCell {
    /// What one step computes (each `[batch, units]`): the one place the step's equations live.
    struct Step: SingleStateStep {
        /// The step's input and previous state.
        var x: [Scalar], h: [Scalar]
        /// `[x, h]·W + b` (for `.record` and `.tape`), and the new state (and output) `act` of it.
        var pre: [Scalar], out: [Scalar]

        var scalarCount: Int { RNNEngine.scalarCount(x, h, pre, out) }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func step(_ x: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, for use: StepUse) throws -> Step {
        let h = try state.single(for: "BasicRNNCell state")
        let linear = try builtLinear(linear, inputDepth: x.shape.last ?? 0, cell: label)
        var out = linear.apply(x, h).scalars
        let pre = use == .run ? [] : out
        let n = out.count
        out.withUnsafeMutableBufferPointer { p in if let b = p.baseAddress { activation.apply(b, count: n) } }
        return Step(x: x.scalars, h: h.scalars, pre: pre, out: out)
    }

    func record(_ s: Step, batch: Int, into rec: StepRecorder<Scalar>) {
        rec.recordTerm("h_pre", Tensor(unchecked: [batch, numUnits], scalars: s.pre))
    }
}

/// The built kernel, or an error when the cell was not built for this input depth.
func builtLinear<S>(_ linear: ConcatLinear<S>?, inputDepth: Int, cell: String) throws -> ConcatLinear<S> {
    guard let l = linear else { throw RNNError.invalidArgument("\(cell) was called before it was built") }
    guard l.inputDepth == inputDepth else {
        throw RNNError.invalidArgument("\(cell) was built for input depth \(l.inputDepth), got input depth \(inputDepth)")
    }
    return l
}
