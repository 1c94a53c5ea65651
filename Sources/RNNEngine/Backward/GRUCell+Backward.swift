// GRUCell: r, u = σ([x, h]·W_g + b_g); c = act([x, r·h]·W_c + b_c); h' = u·h + (1 − u)·c.
// Tape: its `Step` (x, h, the activated gates [r | u] per row, r·h, the candidate before and after its activation).

extension GRUCell: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        gatesLinear?.registerGradients(in: gradients)
        candidateLinear?.registerGradients(in: gradients)
    }

    /// The built kernels, or an error when the cell was not built.
    private func linears() throws -> (ConcatLinear<Scalar>, ConcatLinear<Scalar>) {
        let depth = gatesLinear?.inputDepth ?? 0
        return (try builtLinear(gatesLinear, inputDepth: depth, cell: "GRUCell"),
                try builtLinear(candidateLinear, inputDepth: depth, cell: "GRUCell"))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        let (gl, cl) = try linears()
        let dNext = try stateGradient.single(for: "GRUCell state gradient")
        let batch = outputGradient.shape[0], u = numUnits, n = batch * u
        let s = try tapedStep(tape)
        let (x, h, gates, rh, cPre, c) = (s.x, s.h, s.gates, s.rh, s.cPre, s.c)
        var dh = [Scalar](repeating: 0, count: n)
        for k in 0..<n { dh[k] = outputGradient.scalars[k] + dNext.scalars[k] }
        // h' = u·h + (1 − u)·c
        var dHPrev = dh, dU = dh, dC = dh
        for b in 0..<batch {
            for k in 0..<u {
                let e = b * u + k, ug = gates[b * 2 * u + u + k]
                dHPrev[e] = dh[e] * ug
                dU[e] = dh[e] * (h[e] - c[e])
                dC[e] = dh[e] * (1 - ug)
            }
        }
        // c = act(c_pre), c_pre = [x, r·h]·W_c + b_c
        let dCPre = activation.backward(dy: dC, y: c, x: cPre)
        let (dxC, dRH) = cl.backward(dGates: dCPre, x: x, h: rh, batch: batch, gradients: context.gradients)
        // r·h, then σ of both gates
        var dR = [Scalar](repeating: 0, count: n)
        var dGates = [Scalar](repeating: 0, count: batch * 2 * u)
        for b in 0..<batch {
            for k in 0..<u {
                let e = b * u + k, r = gates[b * 2 * u + k], ug = gates[b * 2 * u + u + k]
                dR[e] = dRH[e] * h[e]
                dHPrev[e] += dRH[e] * r
                dGates[b * 2 * u + k] = sigmoidBackward(dR[e], r)
                dGates[b * 2 * u + u + k] = sigmoidBackward(dU[e], ug)
            }
        }
        let (dxG, dhG) = gl.backward(dGates: dGates, x: x, h: h, batch: batch, gradients: context.gradients)
        var dx = dxG
        for k in 0..<dx.count { dx[k] += dxC[k] }
        for k in 0..<n { dHPrev[k] += dhG[k] }
        if let rec = context.recorder {
            let shape = [batch, u]
            rec.record("h", Tensor(unchecked: shape, scalars: dh))
            for (gate, values) in zip(GateTable.gru, [dR, dU, dC]) {
                rec.record(gate.name, Tensor(unchecked: shape, scalars: values))
            }
        }
        return (Tensor(unchecked: [batch, gl.inputDepth], scalars: dx), .leaf(Tensor(unchecked: [batch, u], scalars: dHPrev)))
    }
}
