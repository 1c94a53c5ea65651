// GRUResetAfterCell: x̂ = x·W + b_in, ĥ = h·U + b_rec (blocks z, r, c); z = σ(x̂_z + ĥ_z), r = σ(x̂_r + ĥ_r),
// c = act(x̂_c + r·ĥ_c), h' = z·h + (1 − z)·c. Backward:
//   dz = dh'·(h − c), dc = dh'·(1 − z), dh = dh'·z
//   dc_pre = act′(dc);  dx̂ = [σ′(dz), σ′(dr), dc_pre],  dĥ = [σ′(dz), σ′(dr), r·dc_pre],  dr = dc_pre·ĥ_c
//   dx = dx̂·Wᵀ, dh += dĥ·Uᵀ;  dW += xᵀ·dx̂, dU += hᵀ·dĥ;  d bias = [Σ dx̂; Σ dĥ] (row 0 input, row 1 recurrent).
// Tape: its `Step` (x, h, x̂, ĥ, z, r, the candidate before and after its activation).

extension GRUResetAfterCell: DifferentiableCell {
    public func registerGradients(in gradients: GradientStore<Scalar>) {
        guard let names = variableNames, builtDepth >= 0 else { return }
        let u = numUnits
        gradients.register(names.kernel, shape: [builtDepth, 3 * u])
        gradients.register(names.recurrentKernel, shape: [u, 3 * u])
        gradients.register(names.bias, shape: [2, 3 * u])
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(_ tape: StepTape<Scalar>, outputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>,
                         context: BackwardContext<Scalar>) throws -> (inputGradient: Tensor<Scalar>, stateGradient: Nest<Tensor<Scalar>>) {
        guard let inputKernelT, let recurrentKernelT, let names = variableNames else {
            throw RNNError.invalidArgument("GRUCell(reset_after) was differentiated before it was built")
        }
        let dNext = try stateGradient.single(for: "GRUCell(reset_after) state gradient")
        let batch = outputGradient.shape[0], u = numUnits, w = 3 * u, n = batch * u, depth = builtDepth
        let s = try tapedStep(tape)
        let (x, h, z, r, cPre, c, hs) = (s.x, s.h, s.z, s.r, s.cPre, s.c, s.hs)
        var dh = [Scalar](repeating: 0, count: n)
        for k in 0..<n { dh[k] = outputGradient.scalars[k] + dNext.scalars[k] }
        // h' = z·h + (1 − z)·c
        var dHPrev = dh, dZ = dh, dC = dh
        for k in 0..<n {
            dHPrev[k] = dh[k] * z[k]
            dZ[k] = dh[k] * (h[k] - c[k])
            dC[k] = dh[k] * (1 - z[k])
        }
        // c = act(c_pre), c_pre = x̂_c + r·ĥ_c
        let dCPre = activation.backward(dy: dC, y: c, x: cPre)
        var dR = [Scalar](repeating: 0, count: n)
        var dXs = [Scalar](repeating: 0, count: batch * w), dHs = dXs
        for b in 0..<batch {
            for j in 0..<u {
                let e = b * u + j, row = b * w
                dR[e] = dCPre[e] * hs[row + 2 * u + j]
                let dz = sigmoidBackward(dZ[e], z[e]), dr = sigmoidBackward(dR[e], r[e])
                dXs[row + j] = dz; dHs[row + j] = dz
                dXs[row + u + j] = dr; dHs[row + u + j] = dr
                dXs[row + 2 * u + j] = dCPre[e]; dHs[row + 2 * u + j] = dCPre[e] * r[e]
            }
        }
        // dx = dx̂·Wᵀ, dh += dĥ·Uᵀ, and the weights' products dW += xᵀ·dx̂, dU += hᵀ·dĥ.
        func product(_ d: [Scalar], _ transposed: TransposedPack<Scalar>, left: [Scalar], width k: Int, kernel: String, part: String) -> [Scalar] {
            var out = [Scalar](repeating: 0, count: batch * k)
            guard k > 0, batch > 0 else { return out }
            d.withUnsafeBufferPointer { g in
                out.withUnsafeMutableBufferPointer { o in
                    transposed.packed.multiply(rows: batch, a: g.baseAddress, lda: w, into: o.baseAddress!, ldc: k, accumulate: false)
                }
                left.withUnsafeBufferPointer { l in
                    context.gradients.addProduct(kernel: kernel, bias: nil, left: [(l.baseAddress!, k)], right: g.baseAddress!, rows: batch, width: w,
                                                 parts: [part])
                }
            }
            return out
        }
        let dx = product(dXs, inputKernelT, left: x, width: depth, kernel: names.kernel, part: "x")
        let dhU = product(dHs, recurrentKernelT, left: h, width: u, kernel: names.recurrentKernel, part: "h")
        for k in 0..<n { dHPrev[k] += dhU[k] }
        var dBias = [Scalar](repeating: 0, count: 2 * w)
        for b in 0..<batch {
            for j in 0..<w {
                dBias[j] += dXs[b * w + j]
                dBias[w + j] += dHs[b * w + j]
            }
        }
        context.gradients.add(names.bias, Tensor(unchecked: [2, w], scalars: dBias))
        if let rec = context.recorder {
            let shape = [batch, u]
            rec.record("h", Tensor(unchecked: shape, scalars: dh))
            for (gate, values) in zip(GateTable.gruResetAfter, [dR, dZ, dC]) {
                rec.record(gate.name, Tensor(unchecked: shape, scalars: values))
            }
        }
        return (Tensor(unchecked: [batch, depth], scalars: dx), .leaf(Tensor(unchecked: [batch, u], scalars: dHPrev)))
    }
}
