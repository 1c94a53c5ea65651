/// Peephole weights of an `LSTMCell` (`w_i_diag`, `w_f_diag`, `w_o_diag`).
struct Peepholes<Scalar: RNNScalar> {
    let wi: [Scalar], wf: [Scalar], wo: [Scalar]
    /// Their variable names.
    var names = (i: "w_i_diag", f: "w_f_diag", o: "w_o_diag")
}

/// The element-wise half of an LSTM step, shared by `BasicLSTMCell` and `LSTMCell` (the C kernel
/// `rk_slstm_step` / `rk_dlstm_step`, as the fused path uses).
/// `gates` is `[batch, 4·units]` in TF's order `i, j, f, o`; returns the new `c` and the un-projected `h`.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmPointwise<Scalar: RNNScalar>(gates: Tensor<Scalar>, cPrev: Tensor<Scalar>, units: Int, forgetBias: Double,
                                      activation: Activation, peepholes: Peepholes<Scalar>?, cellClip: Double?,
                                      recorder: StepRecorder<Scalar>?) -> (c: Tensor<Scalar>, h: Tensor<Scalar>) {
    let batch = gates.shape[0]
    let n = batch * units
    var c = [Scalar](repeating: 0, count: n), h = c
    let recording = recorder != nil
    var gi = recording ? c : [], gj = gi, gf = gi, go = gi
    let empty: [Scalar] = []
    gates.scalars.withUnsafeBufferPointer { g in
    cPrev.scalars.withUnsafeBufferPointer { cp in
    (peepholes?.wi ?? empty).withUnsafeBufferPointer { wi in
    (peepholes?.wf ?? empty).withUnsafeBufferPointer { wf in
    (peepholes?.wo ?? empty).withUnsafeBufferPointer { wo in
    c.withUnsafeMutableBufferPointer { co in
    h.withUnsafeMutableBufferPointer { ho in
    gi.withUnsafeMutableBufferPointer { pi in
    gj.withUnsafeMutableBufferPointer { pj in
    gf.withUnsafeMutableBufferPointer { pf in
    go.withUnsafeMutableBufferPointer { po in
        let peep = peepholes != nil
        Fused.lstmStep(batch: batch, units: units, gates: g.baseAddress!, ldg: 4 * units, cPrev: cp.baseAddress!,
                       forgetBias: forgetBias, wi: peep ? wi.baseAddress : nil, wf: peep ? wf.baseAddress : nil,
                       wo: peep ? wo.baseAddress : nil, cellClip: cellClip ?? -1, act: activation.fusedCode,
                       cOut: co.baseAddress!, hOut: ho.baseAddress!, ldh: units,
                       gi: recording ? pi.baseAddress : nil, gj: recording ? pj.baseAddress : nil,
                       gf: recording ? pf.baseAddress : nil, go: recording ? po.baseAddress : nil)
    }}}}}}}}}}}
    let shape = [batch, units]
    if let rec = recorder {
        rec.recordColumnBlocks(["i_pre", "j_pre", "f_pre", "o_pre"], of: gates, units: units)
        if let p = peepholes {
            rec.recordTerm("peep_i", rowScaled(cPrev, by: p.wi))
            rec.recordTerm("peep_f", rowScaled(cPrev, by: p.wf))
            // The output gate's peephole looks at the new (clipped) c, as in TF.
            rec.recordTerm("peep_o", rowScaled(Tensor(unchecked: shape, scalars: c), by: p.wo))
        }
        for (gate, values) in zip(GateTable.lstm, [gi, gj, gf, go]) {
            rec.record(gate.name, Tensor(unchecked: shape, scalars: values))
        }
        if cellClip != nil {
            // c before clip_by_value: f·c_prev + i·j, from the same recorded gates.
            var raw = [Scalar](repeating: 0, count: n)
            cPrev.scalars.withUnsafeBufferPointer { cp in
                for e in 0..<n { raw[e] = gf[e] * cp[e] + gi[e] * gj[e] }
            }
            rec.recordTerm("c_unclipped", Tensor(unchecked: shape, scalars: raw))
        }
    }
    return (Tensor(unchecked: shape, scalars: c), Tensor(unchecked: shape, scalars: h))
}
