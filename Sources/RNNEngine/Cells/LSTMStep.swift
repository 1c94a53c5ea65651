// The LSTM step shared by BasicLSTMCell and LSTMCell:
//   i = σ(g_i + w_i·c₋), f = σ(g_f + forget_bias + w_f·c₋), j = act(g_j)
//   c = clip(f·c₋ + i·j, ±cell_clip), o = σ(g_o + w_o·c), m = act(c)·o, h = clip(m·P, ±proj_clip)
// with g = [x, h₋]·W + b split i, j, f, o (GateTable.lstm), peepholes, clips and the projection optional.
// Its element-wise part is the C kernel `rk_slstm_step` / `rk_dlstm_step`, as the fused path uses.

/// Peephole weights of an `LSTMCell` (`w_i_diag`, `w_f_diag`, `w_o_diag`).
struct Peepholes<Scalar: RNNScalar> {
    let wi: [Scalar], wf: [Scalar], wo: [Scalar]
    /// Their variable names.
    var names = (i: "w_i_diag", f: "w_f_diag", o: "w_o_diag")
}

/// An LSTM step's weights and options.
struct LSTMStepParameters<Scalar: RNNScalar> {
    let linear: ConcatLinear<Scalar>
    let units: Int
    let forgetBias: Double
    let activation: Activation
    let peepholes: Peepholes<Scalar>?
    let cellClip: Double?
    /// The projection packed, its transpose packed, its variable name.
    let projection: (packed: PackedMatrix<Scalar>, transposed: PackedMatrix<Scalar>, name: String)?
    let projClip: Double?

    var hDepth: Int { projection?.packed.cols ?? units }
}

/// What one LSTM step computes (each `[batch, units]` unless noted): the one place the step's equations live,
/// for the recorded forward (`call`) and for the backward pass's recomputation (`tapedCall`).
struct LSTMStep<Scalar: RNNScalar>: StepIntermediates {
    /// The weights and options it ran with.
    var parameters: LSTMStepParameters<Scalar>
    /// The step's input and previous state (`h₋` is `[batch, hDepth]`).
    var x: [Scalar], hPrev: [Scalar], cPrev: [Scalar]
    /// `[x, h₋]·W + b`, `[batch, 4·units]` (blocks i, j, f, o).
    var gates: [Scalar]
    /// The activated gates (for `.record` and `.tape`).
    var i: [Scalar], j: [Scalar], f: [Scalar], o: [Scalar]
    /// `f·c₋ + i·j` before `cell_clip` (with a clip, for `.record` and `.tape`).
    var cUnclipped: [Scalar]
    /// The new cell state.
    var c: [Scalar]
    /// `act(c)` (for `.tape`).
    var actC: [Scalar]
    /// `act(c)·o`, the output before the projection.
    var m: [Scalar]
    /// `m·P` before `proj_clip` (with both, for `.record` and `.tape`), `[batch, hDepth]`.
    var hUnclipped: [Scalar]
    /// The new `h` (and output): `m`, or `m·P` clipped; `[batch, hDepth]`.
    var h: [Scalar]

    var scalarCount: Int {
        // Without a projection `h` is `m` (the same storage).
        RNNEngine.scalarCount(x, hPrev, cPrev, gates, i, j, f, o, cUnclipped, c, actC, m, hUnclipped)
            + (parameters.projection == nil ? 0 : h.count)
    }
}

/// The LSTM step from `x`, `c₋` and `h₋` with the weights and options `p` (the caller checks `x`'s depth).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmStep<Scalar: RNNScalar>(_ p: LSTMStepParameters<Scalar>, x: Tensor<Scalar>, c cPrev: Tensor<Scalar>,
                                 h hPrev: Tensor<Scalar>, for use: StepUse) -> LSTMStep<Scalar> {
    let batch = x.shape[0], u = p.units, n = batch * u
    let gates = p.linear.apply(x, hPrev).scalars
    var c = [Scalar](repeating: 0, count: n), m = c
    // Without the activated gates the kernel runs in one pass where it can (same bits).
    let keepGates = use != .run
    var gi = keepGates ? c : [], gj = gi, gf = gi, go = gi
    let empty: [Scalar] = []
    gates.withUnsafeBufferPointer { g in
    cPrev.scalars.withUnsafeBufferPointer { cp in
    (p.peepholes?.wi ?? empty).withUnsafeBufferPointer { wi in
    (p.peepholes?.wf ?? empty).withUnsafeBufferPointer { wf in
    (p.peepholes?.wo ?? empty).withUnsafeBufferPointer { wo in
    c.withUnsafeMutableBufferPointer { co in
    m.withUnsafeMutableBufferPointer { mo in
    gi.withUnsafeMutableBufferPointer { pi in
    gj.withUnsafeMutableBufferPointer { pj in
    gf.withUnsafeMutableBufferPointer { pf in
    go.withUnsafeMutableBufferPointer { po in
        guard n > 0 else { return }
        let peep = p.peepholes != nil
        Fused.lstmStep(batch: batch, units: u, gates: g.baseAddress!, ldg: 4 * u, cPrev: cp.baseAddress!,
                       forgetBias: p.forgetBias, wi: peep ? wi.baseAddress : nil, wf: peep ? wf.baseAddress : nil,
                       wo: peep ? wo.baseAddress : nil, cellClip: p.cellClip ?? -1, act: p.activation.fusedCode,
                       cOut: co.baseAddress!, hOut: mo.baseAddress!, ldh: u,
                       gi: keepGates ? pi.baseAddress : nil, gj: keepGates ? pj.baseAddress : nil,
                       gf: keepGates ? pf.baseAddress : nil, go: keepGates ? po.baseAddress : nil)
    }}}}}}}}}}}
    var cUnclipped: [Scalar] = []
    if keepGates, p.cellClip != nil {
        // c before clip_by_value, from the activated gates.
        cUnclipped = [Scalar](repeating: 0, count: n)
        for k in 0..<n { cUnclipped[k] = gf[k] * cPrev.scalars[k] + gi[k] * gj[k] }
    }
    var actC: [Scalar] = []
    if use == .tape {
        actC = c
        actC.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { p.activation.apply(b, count: n) } }
    }
    var h = m, hUnclipped: [Scalar] = []
    if let proj = p.projection {
        let w = proj.packed.cols
        h = [Scalar](repeating: 0, count: batch * w)
        m.withUnsafeBufferPointer { a in
            h.withUnsafeMutableBufferPointer { o in
                if let ob = o.baseAddress { proj.packed.multiply(rows: batch, a: a.baseAddress, lda: u, into: ob, ldc: w, accumulate: false) }
            }
        }
        if let clip = p.projClip {
            if keepGates { hUnclipped = h }
            let count = h.count
            h.withUnsafeMutableBufferPointer { if count > 0 { Fused.clip(count, $0.baseAddress!, clip) } }
        }
    }
    return LSTMStep(parameters: p, x: x.scalars, hPrev: hPrev.scalars, cPrev: cPrev.scalars, gates: gates, i: gi, j: gj, f: gf, o: go,
                    cUnclipped: cUnclipped, c: c, actC: actC, m: m, hUnclipped: hUnclipped, h: h)
}

/// A cell whose step is the shared LSTM step, given its weights and options (`BasicLSTMCell`, `LSTMCell`).
protocol LSTMStepCell: StepFunctionCell where Step == LSTMStep<Scalar> {
    /// The step's weights and options, or an error when the cell was not built.
    func stepParameters() throws -> LSTMStepParameters<Scalar>
}

extension LSTMStepCell {
    func step(_ x: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, for use: StepUse) throws -> LSTMStep<Scalar> {
        guard case let .lstm(c, h) = state else {
            throw RNNError.badInitialState("\(label) expects an LSTMStateTuple(c, h) state, got \(state.structureDescription)")
        }
        let p = try stepParameters()
        _ = try builtLinear(p.linear, inputDepth: x.shape.last ?? 0, cell: label)
        return lstmStep(p, x: x, c: c, h: h, for: use)
    }

    /// The step's output `h` and new state `LSTMStateTuple(c, h)`.
    func result(of s: LSTMStep<Scalar>, batch: Int) -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let h = Tensor(unchecked: [batch, s.parameters.hDepth], scalars: s.h)
        return (h, .lstm(c: Tensor(unchecked: [batch, s.parameters.units], scalars: s.c), h: h))
    }

    /// Records a `.record` step: the gates' pre-activations, peephole terms, the gates, the values before the clips
    /// and, with a projection, `m`.
    func record(_ s: LSTMStep<Scalar>, batch: Int, into rec: StepRecorder<Scalar>) {
        let p = s.parameters, shape = [batch, p.units]
        rec.recordColumnBlocks(["i_pre", "j_pre", "f_pre", "o_pre"], of: Tensor(unchecked: [batch, 4 * p.units], scalars: s.gates),
                               units: p.units)
        if let peep = p.peepholes {
            rec.recordTerm("peep_i", rowScaled(Tensor(unchecked: shape, scalars: s.cPrev), by: peep.wi))
            rec.recordTerm("peep_f", rowScaled(Tensor(unchecked: shape, scalars: s.cPrev), by: peep.wf))
            // The output gate's peephole looks at the new (clipped) c, as in TF.
            rec.recordTerm("peep_o", rowScaled(Tensor(unchecked: shape, scalars: s.c), by: peep.wo))
        }
        for (gate, values) in zip(GateTable.lstm, [s.i, s.j, s.f, s.o]) {
            rec.record(gate.name, Tensor(unchecked: shape, scalars: values))
        }
        if p.cellClip != nil { rec.recordTerm("c_unclipped", Tensor(unchecked: shape, scalars: s.cUnclipped)) }
        if p.projection != nil {
            rec.record("m", Tensor(unchecked: shape, scalars: s.m))
            if p.projClip != nil {
                rec.recordTerm("proj_unclipped", Tensor(unchecked: [batch, p.hDepth], scalars: s.hUnclipped))
            }
        }
    }
}
