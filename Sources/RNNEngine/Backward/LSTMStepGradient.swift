// The VJP of the LSTM step (Cells/LSTMStep.swift), reading the step's `LSTMStep`.

extension LSTMStepParameters {
    /// Declares the step's variables, so each gets a gradient.
    func registerGradients(in gradients: GradientStore<Scalar>) {
        linear.registerGradients(in: gradients)
        if let p = peepholes {
            for name in [p.names.i, p.names.f, p.names.o] { gradients.register(name, shape: [units]) }
        }
        if let p = projection { gradients.register(p.name, shape: [units, p.packed.cols]) }
    }
}

@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmStepBackward<Scalar: RNNScalar>(_ s: LSTMStep<Scalar>, dOutput: Tensor<Scalar>,
                                         dc dcNext: Tensor<Scalar>, dh dhNext: Tensor<Scalar>,
                                         context: BackwardContext<Scalar>) -> (dx: Tensor<Scalar>, dc: Tensor<Scalar>, dh: Tensor<Scalar>) {
    let p = s.parameters
    let batch = dOutput.shape[0], u = p.units, n = batch * u, hd = p.hDepth
    let x = s.x, hPrev = s.hPrev, cPrev = s.cPrev, gates = s.gates
    let i = s.i, j = s.j, f = s.f, o = s.o, c = s.c, actC = s.actC, m = s.m
    let rec = context.recorder
    // ∂L/∂h in total: from the output and from the next step.
    var dh = [Scalar](repeating: 0, count: batch * hd)
    for k in 0..<dh.count { dh[k] = dOutput.scalars[k] + dhNext.scalars[k] }
    rec?.record("h", Tensor(unchecked: [batch, hd], scalars: dh))
    // Through the projection and its clip.
    var dm = dh
    if let proj = p.projection {
        var dhu = dh
        if let clip = p.projClip {
            let hu = s.hUnclipped, limit = Scalar(clip)
            for k in 0..<dhu.count { dhu[k] = clipBackward(dh[k], hu[k], limit) }
        }
        dm = [Scalar](repeating: 0, count: n)
        dhu.withUnsafeBufferPointer { d in
            dm.withUnsafeMutableBufferPointer { o in
                proj.transposed.multiply(rows: batch, a: d.baseAddress, lda: hd, into: o.baseAddress!, ldc: u, accumulate: false)
            }
            m.withUnsafeBufferPointer { mp in
                if let mb = mp.baseAddress, let db = d.baseAddress {
                    context.gradients.addProduct(kernel: proj.name, bias: nil, left: [(mb, u)], right: db, rows: batch, width: hd,
                                                         parts: ["m"])
                }
            }
        }
        rec?.record("m", Tensor(unchecked: [batch, u], scalars: dm))
    }
    // m = act(c)·o
    var dO = [Scalar](repeating: 0, count: n), dActC = dO, dc = dO
    for k in 0..<n {
        dO[k] = dm[k] * actC[k]
        dActC[k] = dm[k] * o[k]
    }
    dActC.withUnsafeBufferPointer { dy in actC.withUnsafeBufferPointer { y in c.withUnsafeBufferPointer { xp in
        dc.withUnsafeMutableBufferPointer { dx in
            if n > 0 { p.activation.backward(n, dy: dy.baseAddress!, y: y.baseAddress!, x: xp.baseAddress!, into: dx.baseAddress!) }
        }
    }}}
    for k in 0..<n { dc[k] += dcNext.scalars[k] }
    var dGates = [Scalar](repeating: 0, count: batch * 4 * u)
    // o = σ(g_o + w_o·c)
    for b in 0..<batch {
        for k in 0..<u { dGates[b * 4 * u + 3 * u + k] = sigmoidBackward(dO[b * u + k], o[b * u + k]) }
    }
    if let peep = p.peepholes {
        for b in 0..<batch {
            for k in 0..<u { dc[b * u + k] += dGates[b * 4 * u + 3 * u + k] * peep.wo[k] }
        }
    }
    rec?.record("c", Tensor(unchecked: [batch, u], scalars: dc))
    // c = clip(f·c₋ + i·j)
    var dcu = dc
    if let clip = p.cellClip {
        let cu = s.cUnclipped, limit = Scalar(clip)
        for k in 0..<n { dcu[k] = clipBackward(dc[k], cu[k], limit) }
    }
    var dI = [Scalar](repeating: 0, count: n), dJ = dI, dF = dI, dcPrev = dI
    for k in 0..<n {
        dI[k] = dcu[k] * j[k]
        dJ[k] = dcu[k] * i[k]
        dF[k] = dcu[k] * cPrev[k]
        dcPrev[k] = dcu[k] * f[k]
    }
    var jPre = [Scalar](repeating: 0, count: n), dJPre = jPre
    for b in 0..<batch {
        for k in 0..<u {
            let r = b * 4 * u, e = b * u + k
            dGates[r + k] = sigmoidBackward(dI[e], i[e])
            dGates[r + 2 * u + k] = sigmoidBackward(dF[e], f[e])
            jPre[e] = gates[r + u + k]
        }
    }
    dJ.withUnsafeBufferPointer { dy in j.withUnsafeBufferPointer { y in jPre.withUnsafeBufferPointer { xp in
        dJPre.withUnsafeMutableBufferPointer { dx in
            if n > 0 { p.activation.backward(n, dy: dy.baseAddress!, y: y.baseAddress!, x: xp.baseAddress!, into: dx.baseAddress!) }
        }
    }}}
    for b in 0..<batch {
        for k in 0..<u { dGates[b * 4 * u + u + k] = dJPre[b * u + k] }
    }
    if let peep = p.peepholes {
        var dip = [Scalar](repeating: 0, count: n), dfp = dip, dop = dip
        for b in 0..<batch {
            for k in 0..<u {
                let r = b * 4 * u, e = b * u + k
                dip[e] = dGates[r + k]
                dfp[e] = dGates[r + 2 * u + k]
                dop[e] = dGates[r + 3 * u + k]
                dcPrev[e] += dip[e] * peep.wi[k] + dfp[e] * peep.wf[k]
            }
        }
        let g = context.gradients
        g.addRowSumsOfProducts(peep.names.i, dip, cPrev, rows: batch, width: u)
        g.addRowSumsOfProducts(peep.names.f, dfp, cPrev, rows: batch, width: u)
        g.addRowSumsOfProducts(peep.names.o, dop, c, rows: batch, width: u)
    }
    if let rec {
        let shape = [batch, u]
        for (gate, values) in zip(GateTable.lstm, [dI, dJ, dF, dO]) {
            rec.record(gate.name, Tensor(unchecked: shape, scalars: values))
        }
    }
    let (dx, dhPrev) = p.linear.backward(dGates: dGates, x: x, h: hPrev, batch: batch, gradients: context.gradients)
    return (Tensor(unchecked: [batch, p.linear.inputDepth], scalars: dx), Tensor(unchecked: [batch, u], scalars: dcPrev),
            Tensor(unchecked: [batch, hd], scalars: dhPrev))
}
