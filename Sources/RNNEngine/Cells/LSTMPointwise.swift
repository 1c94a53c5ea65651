/// Peephole weights of an `LSTMCell` (`w_i_diag`, `w_f_diag`, `w_o_diag`).
struct Peepholes<Scalar: RNNScalar> {
    let wi: [Scalar], wf: [Scalar], wo: [Scalar]
}

/// The element-wise half of an LSTM step, shared by `BasicLSTMCell` and `LSTMCell`.
/// `gates` is `[batch, 4·units]` in TF's order `i, j, f, o`; returns the new `c` and the un-projected `h`.
func lstmPointwise<Scalar: RNNScalar>(gates: Tensor<Scalar>, cPrev: Tensor<Scalar>, units: Int, forgetBias: Scalar,
                                      activation: Activation, peepholes: Peepholes<Scalar>?, cellClip: Scalar?,
                                      recorder: StepRecorder<Scalar>?) -> (c: Tensor<Scalar>, h: Tensor<Scalar>) {
    let batch = gates.shape[0]
    let n = batch * units
    var i = [Scalar](repeating: 0, count: n), j = i, f = i, o = i, c = i, actC = i
    gates.scalars.withUnsafeBufferPointer { g in
        cPrev.scalars.withUnsafeBufferPointer { cp in
            for r in 0..<batch {
                let row = r * 4 * units
                for u in 0..<units {
                    let k = r * units + u
                    i[k] = g[row + u]
                    j[k] = g[row + units + u]
                    f[k] = g[row + 2 * units + u] + forgetBias
                    o[k] = g[row + 3 * units + u]
                    if let p = peepholes {
                        i[k] += p.wi[u] * cp[k]
                        f[k] += p.wf[u] * cp[k]
                    }
                }
            }
        }
    }
    sigmoidInPlace(&i); sigmoidInPlace(&f)
    j.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { activation.apply(b, count: n) } }
    for k in 0..<n {
        var v = f[k] * cPrev.scalars[k] + i[k] * j[k]
        if let clip = cellClip { v = clipValue(v, clip) }
        c[k] = v
    }
    if let p = peepholes {
        for r in 0..<batch { for u in 0..<units { o[r * units + u] += p.wo[u] * c[r * units + u] } }
    }
    sigmoidInPlace(&o)
    actC = c
    actC.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { activation.apply(b, count: n) } }
    var h = actC
    for k in 0..<n { h[k] = actC[k] * o[k] }
    let shape = [batch, units]
    if let rec = recorder {
        rec.record("i", Tensor(unchecked: shape, scalars: i))
        rec.record("j", Tensor(unchecked: shape, scalars: j))
        rec.record("f", Tensor(unchecked: shape, scalars: f))
        rec.record("o", Tensor(unchecked: shape, scalars: o))
    }
    return (Tensor(unchecked: shape, scalars: c), Tensor(unchecked: shape, scalars: h))
}

/// `clip_by_value(v, -limit, limit)`; NaN stays NaN.
@inline(__always)
func clipValue<Scalar: RNNScalar>(_ v: Scalar, _ limit: Scalar) -> Scalar {
    if v > limit { return limit }
    if v < -limit { return -limit }
    return v
}

@inline(__always)
func sigmoidInPlace<Scalar: RNNScalar>(_ a: inout [Scalar]) {
    let n = a.count
    a.withUnsafeMutableBufferPointer { if let b = $0.baseAddress { Scalar.vectorSigmoid(n, b, b) } }
}
