/// Recording of the values that go into a cell's activations, so a front-end can show each equation with its
/// numbers (`f = σ(W_f·[x, h] + b_f + forget_bias) = σ(0.412 + 1.0)`) without redoing any arithmetic.
/// Names: `<gate>_pre` for a gate's `W·[x, h] + b` (LSTM `i_pre j_pre f_pre o_pre`, GRU `r_pre u_pre c_pre`,
/// BasicRNN `h_pre`), `peep_i peep_f peep_o` for peephole terms, `c_unclipped` and `proj_unclipped` for values
/// before `cell_clip` / `proj_clip`.
extension StepRecorder {
    /// Records column blocks `k·units ..< (k+1)·units` of a `[batch, names.count·units]` tensor as `names[k]`.
    func recordColumnBlocks(_ names: [String], of t: Tensor<Scalar>, units: Int) {
        let batch = t.shape.first ?? 0
        let width = names.count * units
        guard t.count == batch * width else { return }
        for (k, name) in names.enumerated() {
            var out = [Scalar]()
            out.reserveCapacity(batch * units)
            for b in 0..<batch {
                out.append(contentsOf: t.scalars[(b * width + k * units)..<(b * width + (k + 1) * units)])
            }
            recordTerm(name, Tensor(unchecked: [batch, units], scalars: out))
        }
    }
}

/// `a ⊙ b` by row: `w[k] · v[b, k]` (peephole terms), as `[batch, units]`.
func rowScaled<Scalar: RNNScalar>(_ v: Tensor<Scalar>, by w: [Scalar]) -> Tensor<Scalar> {
    let units = w.count
    var out = v.scalars
    for i in out.indices { out[i] *= w[i % max(1, units)] }
    return Tensor(unchecked: v.shape, scalars: out)
}
