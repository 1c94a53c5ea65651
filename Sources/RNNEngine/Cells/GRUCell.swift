/// TF's `GRUCell`: `r, u = split(σ([x, h]·Wg + bg), 2)`, `c = act([x, r·h]·Wc + bc)`, `h' = u·h + (1 − u)·c`.
/// The reset gate multiplies `h` before the candidate product (TF's variant).
/// Variables: `gates/kernel [depth + units, 2·units]`, `gates/bias` (default 1.0), `candidate/kernel [depth + units, units]`,
/// `candidate/bias` (default 0).
public final class GRUCell<Scalar: RNNScalar>: RNNCell {
    public let numUnits: Int
    public let activation: Activation
    public let store: VariableStore<Scalar>
    var gatesLinear: ConcatLinear<Scalar>?
    var candidateLinear: ConcatLinear<Scalar>?

    public init(numUnits: Int, activation: Activation = .tanh, store: VariableStore<Scalar>) throws {
        guard numUnits >= 1 else { throw RNNError.invalidCell("GRUCell: num_units must be at least 1, got \(numUnits)") }
        self.numUnits = numUnits
        self.activation = activation
        self.store = store
    }

    public var name: String { "gru_cell" }
    public var stateSize: Nest<Int> { .leaf(numUnits) }
    public var outputSize: Int { numUnits }

    public func build(inputDepth: Int, scope: String) throws {
        let prefix = scope + "/" + name
        let gk = try store.variable(prefix + "/gates/kernel", shape: [inputDepth + numUnits, 2 * numUnits], initializer: .glorotUniform)
        let gb = try store.variable(prefix + "/gates/bias", shape: [2 * numUnits], initializer: .constant(1.0))
        let ck = try store.variable(prefix + "/candidate/kernel", shape: [inputDepth + numUnits, numUnits], initializer: .glorotUniform)
        let cb = try store.variable(prefix + "/candidate/bias", shape: [numUnits], initializer: .zeros)
        gatesLinear = ConcatLinear(kernel: gk, inputDepth: inputDepth, bias: gb)
        candidateLinear = ConcatLinear(kernel: ck, inputDepth: inputDepth, bias: cb)
    }

    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let x = try input.single(for: "GRUCell")
        let h = try state.single(for: "GRUCell state")
        let depth = x.shape.last ?? 0
        let gl = try builtLinear(gatesLinear, inputDepth: depth, cell: "GRUCell")
        let cl = try builtLinear(candidateLinear, inputDepth: depth, cell: "GRUCell")
        var value = gl.apply(x, h)
        let batch = x.shape[0], units = numUnits
        let total = value.count
        value.scalars.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { Scalar.vectorSigmoid(total, b, b) } }
        var r = [Scalar](repeating: 0, count: batch * units), u = r, rh = r
        for b in 0..<batch {
            for k in 0..<units {
                r[b * units + k] = value.scalars[b * 2 * units + k]
                u[b * units + k] = value.scalars[b * 2 * units + units + k]
                rh[b * units + k] = r[b * units + k] * h.scalars[b * units + k]
            }
        }
        let shape = [batch, units]
        var c = cl.apply(x, Tensor(unchecked: shape, scalars: rh))
        let n = c.count
        c.scalars.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { activation.apply(p, count: n) } }
        var newH = [Scalar](repeating: 0, count: n)
        for k in 0..<n { newH[k] = u[k] * h.scalars[k] + (1 - u[k]) * c.scalars[k] }
        if let rec = context.recorder {
            rec.record("r", Tensor(unchecked: shape, scalars: r))
            rec.record("u", Tensor(unchecked: shape, scalars: u))
            rec.record("c", c)
        }
        let out = Tensor(unchecked: shape, scalars: newH)
        return (out, .leaf(out))
    }
}
