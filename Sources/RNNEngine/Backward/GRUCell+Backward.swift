// GRUCell: r, u = σ([x, h]·W_g + b_g); c = act([x, r·h]·W_c + b_c); h' = u·h + (1 − u)·c.
// Tape: x, h, the activated gates [r | u] per row, r·h, the candidate before and after its activation.

extension GRUCell: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        gatesLinear?.registerGradients(in: gradients)
        candidateLinear?.registerGradients(in: gradients)
    }

    private func linears(inputDepth: Int?) throws -> (ConcatLinear<Scalar>, ConcatLinear<Scalar>) {
        let depth = inputDepth ?? gatesLinear?.inputDepth ?? 0
        return (try builtLinear(gatesLinear, inputDepth: depth, cell: "GRUCell"),
                try builtLinear(candidateLinear, inputDepth: depth, cell: "GRUCell"))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let h = try state.single(for: "GRUCell state")
        let (gl, cl) = try linears(inputDepth: input.shape.last ?? 0)
        let batch = input.shape[0], u = numUnits, n = batch * u
        var gates = gl.apply(input, h)
        var rh = [Scalar](repeating: 0, count: n)
        gates.scalars.withUnsafeMutableBufferPointer { g in
            h.scalars.withUnsafeBufferPointer { hp in
                rh.withUnsafeMutableBufferPointer { r in
                    if n > 0 { Fused.gruGates(batch: batch, units: u, gates: g.baseAddress!, ldg: 2 * u, h: hp.baseAddress!, rh: r.baseAddress!) }
                }
            }
        }
        let candidatePre = cl.apply(input, Tensor(unchecked: [batch, u], scalars: rh))
        var candidate = candidatePre.scalars
        var newH = [Scalar](repeating: 0, count: n)
        candidate.withUnsafeMutableBufferPointer { cp in
            gates.scalars.withUnsafeBufferPointer { g in
                h.scalars.withUnsafeBufferPointer { hp in
                    newH.withUnsafeMutableBufferPointer { o in
                        if n > 0 {
                            Fused.gruFinish(batch: batch, units: u, gates: g.baseAddress!, ldg: 2 * u, cand: cp.baseAddress!,
                                            h: hp.baseAddress!, hOut: o.baseAddress!, act: activation.fusedCode)
                        }
                    }
                }
            }
        }
        let tape = StepTape<Scalar>()
        tape.values = [input.scalars, h.scalars, gates.scalars, rh, candidatePre.scalars, candidate]
        let out = Tensor(unchecked: [batch, u], scalars: newH)
        return (out, .leaf(out), tape)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        let (gl, cl) = try linears(inputDepth: nil)
        let dNext = try stateGradient.single(for: "GRUCell state gradient")
        let batch = outputGradient.shape[0], u = numUnits, n = batch * u
        let (x, h, gates, rh, cPre, c) = (tape.values[0], tape.values[1], tape.values[2], tape.values[3], tape.values[4], tape.values[5])
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
