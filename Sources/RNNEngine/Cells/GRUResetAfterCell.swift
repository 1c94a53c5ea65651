/// The GRU with `reset_after` (Keras' default, PyTorch's only GRU, TF 2's `GRUCell(reset_after=True)`): the reset
/// gate multiplies the recurrent product *after* it is taken, bias included:
///
///     x̂ = x·W + b_in            ĥ = h·U + b_rec            (split into update z, reset r, candidate parts)
///     z = σ(x̂_z + ĥ_z)         r = σ(x̂_r + ĥ_r)           c = act(x̂_c + r · ĥ_c)
///     h' = z·h + (1 − z)·c
///
/// Variables (TF 2 / Keras names and layout, column blocks in the order z, r, c): `kernel [depth, 3·units]`,
/// `recurrent_kernel [units, 3·units]`, `bias [2, 3·units]` (row 0 the input bias, row 1 the recurrent one).
/// Recorded gates: `r`, `u` (the update gate, Keras' `z`, named as TF's `GRUCell` names it) and `c`.
/// This cell runs on the step-by-step path (the fused path plans only TF 1's cells).
public final class GRUResetAfterCell<Scalar: RNNScalar>: BuiltInCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var inputKernel: PackedMatrix<Scalar>?
    var recurrentKernel: PackedMatrix<Scalar>?
    var inputBias: [Scalar] = []
    var recurrentBias: [Scalar] = []
    var builtDepth = -1
    /// `Wᵀ` and `Uᵀ` for the backward pass (packed on first use), and the variables' names (for gradients).
    var inputKernelT: TransposedPack<Scalar>?
    var recurrentKernelT: TransposedPack<Scalar>?
    var variableNames: (kernel: String, recurrentKernel: String, bias: String)?

    public init(numUnits: Int, activation: Activation = .tanh, store: VariableStore<Scalar>) throws {
        layer = try CellLayer(kind: .gruResetAfter, numUnits: numUnits, activation: activation).validated()
        self.store = store
    }

    public func build(inputDepth: Int, scope: String) throws {
        let prefix = scope + "/" + name
        let u = numUnits
        let k = try store.variable(prefix + "/kernel", shape: [inputDepth, 3 * u], initializer: .glorotUniform)
        let rk = try store.variable(prefix + "/recurrent_kernel", shape: [u, 3 * u], initializer: .glorotUniform)
        let b = try store.variable(prefix + "/bias", shape: [2, 3 * u], initializer: .zeros)
        inputKernel = PackedMatrix(k.scalars, rows: inputDepth, cols: 3 * u, rowOffset: 0)
        recurrentKernel = PackedMatrix(rk.scalars, rows: u, cols: 3 * u, rowOffset: 0)
        inputBias = Array(b.scalars[0..<(3 * u)])
        recurrentBias = Array(b.scalars[(3 * u)..<(6 * u)])
        builtDepth = inputDepth
        inputKernelT = TransposedPack(k.scalars, rows: inputDepth, cols: 3 * u)
        recurrentKernelT = TransposedPack(rk.scalars, rows: u, cols: 3 * u)
        variableNames = (prefix + "/kernel", prefix + "/recurrent_kernel", prefix + "/bias")
    }

    /// `a·m + bias` for `rows` rows of `a` (`[rows, m.rows]`), `[rows, 3·units]`.
    private func affine(_ a: [Scalar], rows: Int, _ m: PackedMatrix<Scalar>, bias: [Scalar]) -> [Scalar] {
        let width = 3 * numUnits
        var out = [Scalar](repeating: 0, count: rows * width)
        for r in 0..<rows { for j in 0..<width { out[r * width + j] = bias[j] } }
        a.withUnsafeBufferPointer { ap in
            out.withUnsafeMutableBufferPointer { o in
                if let ob = o.baseAddress { m.multiply(rows: rows, a: ap.baseAddress, lda: m.rows, into: ob, ldc: width, accumulate: true) }
            }
        }
        return out
    }
}

extension GRUResetAfterCell: StepFunctionCell {
    /// What one step computes (each `[batch, units]` unless noted): the one place the step's equations live,
    /// for `call` and for the backward pass's recomputation. It keeps the same values for every use.
    struct Step: SingleStateStep {
        /// The step's input and previous state.
        var x: [Scalar], h: [Scalar]
        /// `x·W + b_in` and `h·U + b_rec`, `[batch, 3·units]` (blocks z, r, c).
        var xs: [Scalar], hs: [Scalar]
        var z: [Scalar], r: [Scalar]
        /// The candidate before and after its activation.
        var cPre: [Scalar], c: [Scalar]
        var out: [Scalar]

        var scalarCount: Int { RNNEngine.scalarCount(x, h, xs, hs, z, r, cPre, c, out) }
    }

    func step(_ x: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, for use: StepUse) throws -> Step {
        let h = try state.single(for: "GRUCell(reset_after) state")
        guard let inputKernel, let recurrentKernel else {
            throw RNNError.invalidArgument("GRUCell(reset_after) was called before it was built")
        }
        let depth = x.shape.last ?? 0
        guard depth == builtDepth else {
            throw RNNError.invalidArgument("GRUCell(reset_after) was built for input depth \(builtDepth), got input depth \(depth)")
        }
        let batch = x.shape[0], u = numUnits, w = 3 * u
        let xs = affine(x.scalars, rows: batch, inputKernel, bias: inputBias)
        let hs = affine(h.scalars, rows: batch, recurrentKernel, bias: recurrentBias)
        var z = [Scalar](repeating: 0, count: batch * u), r = z, c = z, out = z
        for b in 0..<batch {
            for j in 0..<u {
                z[b * u + j] = xs[b * w + j] + hs[b * w + j]
                r[b * u + j] = xs[b * w + u + j] + hs[b * w + u + j]
            }
        }
        let n = batch * u
        z.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { Activation.sigmoid.apply(p, count: n) } }
        r.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { Activation.sigmoid.apply(p, count: n) } }
        for b in 0..<batch {
            for j in 0..<u {
                c[b * u + j] = xs[b * w + 2 * u + j] + r[b * u + j] * hs[b * w + 2 * u + j]
            }
        }
        let cPre = c
        c.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { activation.apply(p, count: n) } }
        for i in 0..<n {
            out[i] = z[i] * h.scalars[i] + (1 - z[i]) * c[i]
        }
        return Step(x: x.scalars, h: h.scalars, xs: xs, hs: hs, z: z, r: r, cPre: cPre, c: c, out: out)
    }

    func record(_ s: Step, batch: Int, into rec: StepRecorder<Scalar>) {
        // What goes into the activations: x̂ = x·W + b_in and ĥ = h·U + b_rec, per gate (z is named u).
        let shape = [batch, numUnits], w = 3 * numUnits
        rec.recordColumnBlocks(["u_x", "r_x", "c_x"], of: Tensor(unchecked: [batch, w], scalars: s.xs), units: numUnits)
        rec.recordColumnBlocks(["u_h", "r_h", "c_h"], of: Tensor(unchecked: [batch, w], scalars: s.hs), units: numUnits)
        rec.record("r", Tensor(unchecked: shape, scalars: s.r))
        rec.record("u", Tensor(unchecked: shape, scalars: s.z))
        rec.record("c", Tensor(unchecked: shape, scalars: s.c))
    }
}
