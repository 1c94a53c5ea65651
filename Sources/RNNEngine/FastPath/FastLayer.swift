/// One layer of a stack the fused path can run: a built-in cell, possibly inside a `ResidualWrapper` and
/// identity `DropoutWrapper`s.
final class FastLayer<Scalar: RNNScalar> {
    /// The fused kernel its step runs (its kind's `CellKindDescriptor.fusedKernel`).
    let kind: FusedKernel
    let units: Int
    /// Output (and `h`) depth.
    let outWidth: Int
    let inDepth: Int
    let residual: Bool
    let act: Int32
    /// The gates product (LSTM `4u`, RNN `u`, GRU `r, u`: `2u`).
    let linear: ConcatLinear<Scalar>
    /// GRU candidate product.
    let candidate: ConcatLinear<Scalar>?
    /// The packed recurrent blocks the fused steps take (`linear`'s and `candidate`'s state blocks).
    let recurrent: OpaquePointer
    let candidateRecurrent: OpaquePointer?
    let forgetBias: Double
    /// Peephole diagonals `w_i, w_f, w_o` (owned copies) or nil.
    let wi: UnsafeMutablePointer<Scalar>?, wf: UnsafeMutablePointer<Scalar>?, wo: UnsafeMutablePointer<Scalar>?
    let cellClip: Double
    let projection: PackedMatrix<Scalar>?
    let projClip: Double?

    var gateWidth: Int { linear.width }
    var candidateWidth: Int { candidate?.width ?? 0 }

    /// Nil when a recurrent block is empty (no state depth): the step-by-step path runs such a cell.
    init?(kind: FusedKernel, units: Int, outWidth: Int, residual: Bool, act: Activation, linear: ConcatLinear<Scalar>,
          candidate: ConcatLinear<Scalar>? = nil, forgetBias: Double = 0, peepholes: Peepholes<Scalar>? = nil,
          cellClip: Double? = nil, projection: PackedMatrix<Scalar>? = nil, projClip: Double? = nil) {
        guard let recurrent = linear.stateBlock.handle else { return nil }
        if let candidate {
            guard let h = candidate.stateBlock.handle else { return nil }
            candidateRecurrent = h
        } else {
            candidateRecurrent = nil
        }
        self.recurrent = recurrent
        self.kind = kind
        self.units = units
        self.outWidth = outWidth
        self.inDepth = linear.inputDepth
        self.residual = residual
        self.act = act.fusedCode
        self.linear = linear
        self.candidate = candidate
        self.forgetBias = forgetBias
        if let p = peepholes {
            func copy(_ a: [Scalar]) -> UnsafeMutablePointer<Scalar> {
                let q = UnsafeMutablePointer<Scalar>.allocate(capacity: max(1, a.count))
                _ = UnsafeMutableBufferPointer(start: q, count: a.count).initialize(from: a)
                return q
            }
            (wi, wf, wo) = (copy(p.wi), copy(p.wf), copy(p.wo))
        } else {
            (wi, wf, wo) = (nil, nil, nil)
        }
        self.cellClip = cellClip ?? -1
        self.projection = projection
        self.projClip = projClip
    }

    deinit {
        wi?.deallocate(); wf?.deallocate(); wo?.deallocate()
    }

    /// The layer for `cell`, or nil when the fused path cannot run it.
    static func make(_ cell: any RNNCell<Scalar>, residual: Bool = false) -> FastLayer? {
        if let d = cell as? DropoutWrapper<Scalar> {
            let o = d.options
            guard o.inputKeepProb == 1, o.outputKeepProb == 1, o.stateKeepProb == 1 else { return nil }
            return make(d.cell, residual: residual)
        }
        if let r = cell as? ResidualWrapper<Scalar> {
            guard !residual else { return nil }
            return make(r.cell, residual: true)
        }
        if let c = cell as? BasicRNNCell<Scalar>, let l = c.linear, l.width == c.numUnits {
            return FastLayer(kind: .rnn, units: c.numUnits, outWidth: c.numUnits, residual: residual,
                             act: c.activation, linear: l)
        }
        if let c = cell as? BasicLSTMCell<Scalar>, let l = c.linear, l.width == 4 * c.numUnits, l.stateDepth == c.numUnits {
            return FastLayer(kind: .lstm, units: c.numUnits, outWidth: c.numUnits, residual: residual,
                             act: c.activation, linear: l, forgetBias: c.forgetBias)
        }
        if let c = cell as? LSTMCell<Scalar>, let l = c.linear, l.width == 4 * c.numUnits {
            let o = c.options
            let hDepth = o.numProj ?? c.numUnits
            guard l.stateDepth == hDepth, o.usePeepholes == (c.peepholes != nil), (o.numProj != nil) == (c.projection != nil)
            else { return nil }
            return FastLayer(kind: .lstm, units: c.numUnits, outWidth: hDepth, residual: residual, act: o.activation,
                             linear: l, forgetBias: o.forgetBias, peepholes: c.peepholes, cellClip: o.cellClip,
                             projection: c.projection, projClip: o.projClip)
        }
        if let c = cell as? GRUCell<Scalar>, let g = c.gatesLinear, let cand = c.candidateLinear,
           g.width == 2 * c.numUnits, cand.width == c.numUnits, g.inputDepth == cand.inputDepth {
            return FastLayer(kind: .gru, units: c.numUnits, outWidth: c.numUnits, residual: residual,
                             act: c.activation, linear: g, candidate: cand)
        }
        return nil
    }
}
