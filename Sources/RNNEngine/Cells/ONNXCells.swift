// The cells of ONNX's `LSTM`, `GRU` and `RNN` operators, as onnxruntime computes one step of one direction
// (the operator spec's equations, with onnxruntime's measured rules: `clip` bounds every gate's pre-activation
// and nothing else, the output gate's peephole reads the new cell state). The weights are the engine's
// (`kernel [depth, k·units]` = Wᵀ, `recurrent_kernel [units, k·units]` = Rᵀ, `bias [2, k·units]` = Wb, Rb, in the
// operator's gate order, peepholes `w_i_diag`, `w_o_diag`, `w_f_diag`); the onnx weight layout fills them from
// `W`, `R`, `B` and `P`. They run forward only (gradients under onnx are refused) and step by step.

/// `x·Wᵀ + Wb` and `h·Rᵀ + Rb` of an ONNX cell: the input and recurrent products kept apart (the GRU needs
/// them apart, and onnxruntime adds the two biases to them).
struct ONNXLinear<Scalar: RNNScalar> {
    let input: PackedMatrix<Scalar>
    let recurrent: PackedMatrix<Scalar>
    let inputBias: [Scalar], recurrentBias: [Scalar]
    let inputDepth: Int
    /// `k·units`.
    let width: Int

    /// The weights under `prefix` for inputs of depth `inputDepth` and `blocks` gate blocks of `units`.
    static func fetch(from store: VariableStore<Scalar>, prefix: String, inputDepth: Int, units: Int, blocks: Int) throws -> ONNXLinear {
        let w = blocks * units
        let k = try store.variable(prefix + "/kernel", shape: [inputDepth, w], initializer: .glorotUniform)
        let rk = try store.variable(prefix + "/recurrent_kernel", shape: [units, w], initializer: .glorotUniform)
        let b = try store.variable(prefix + "/bias", shape: [2, w], initializer: .zeros)
        return ONNXLinear(input: PackedMatrix(k.scalars, rows: inputDepth, cols: w, rowOffset: 0),
                          recurrent: PackedMatrix(rk.scalars, rows: units, cols: w, rowOffset: 0),
                          inputBias: Array(b.scalars[0..<w]), recurrentBias: Array(b.scalars[w..<(2 * w)]),
                          inputDepth: inputDepth, width: w)
    }

    /// `x·Wᵀ + Wb`, `[rows, width]`.
    func input(_ x: [Scalar], rows: Int) -> [Scalar] { affine(x, rows: rows, input, bias: inputBias) }
    /// `h·Rᵀ + Rb`, `[rows, width]`.
    func recurrent(_ h: [Scalar], rows: Int) -> [Scalar] { affine(h, rows: rows, recurrent, bias: recurrentBias) }

    private func affine(_ a: [Scalar], rows: Int, _ m: PackedMatrix<Scalar>, bias: [Scalar]) -> [Scalar] {
        var out = [Scalar](repeating: 0, count: rows * width)
        for r in 0..<rows { for j in 0..<width { out[r * width + j] = bias[j] } }
        a.withUnsafeBufferPointer { ap in
            out.withUnsafeMutableBufferPointer { o in
                if let ob = o.baseAddress, m.rows > 0 { m.multiply(rows: rows, a: ap.baseAddress, lda: m.rows, into: ob, ldc: width, accumulate: true) }
            }
        }
        return out
    }
}

/// What the three ONNX cells share: their layer, weights, activations and `clip`.
protocol ONNXCell: BuiltInCell {
    var linear: ONNXLinear<Scalar>? { get }
}

extension ONNXCell {
    /// This direction's activations (the operator's defaults when the layer names none).
    var activations: [ONNXActivation] { layer.activationList }

    /// ONNX's `clip` of a pre-activation (unchanged without one).
    func clipped(_ v: Scalar) -> Scalar {
        guard let c = layer.options.clip else { return v }
        return min(max(v, Scalar(-c)), Scalar(c))
    }

    /// The built weights for `x`, or the error for a cell not built for its depth.
    func built(_ x: Tensor<Scalar>) throws -> ONNXLinear<Scalar> {
        guard let l = linear else { throw RNNError.invalidArgument("\(label) was called before it was built") }
        let depth = x.shape.last ?? 0
        guard l.inputDepth == depth else {
            throw RNNError.invalidArgument("\(label) was built for input depth \(l.inputDepth), got input depth \(depth)")
        }
        return l
    }

    /// Records the pre-activations (`terms`, blocks of `[batch, units]` each) and the gates.
    func record(terms: [(String, [Scalar])], gates: [(String, [Scalar])], batch: Int, into rec: StepRecorder<Scalar>?) {
        guard let rec else { return }
        let shape = [batch, numUnits]
        for (name, v) in terms { rec.recordTerm(name, Tensor(unchecked: shape, scalars: v)) }
        for (name, v) in gates { rec.record(name, Tensor(unchecked: shape, scalars: v)) }
    }
}

extension CellLayer {
    /// The layer's ONNX activations: `options.activations`, or its kind's defaults when it names none.
    public var activationList: [ONNXActivation] {
        options.activations.isEmpty ? descriptor.defaultActivations : options.activations
    }
}

/// ONNX's `LSTM` step (gate blocks i, o, f, c; `P` the peepholes):
///
///     i = f(clip(Xi + Hi + Pi⊙C₋))      f = 1 − i with input_forget, else f(clip(Xf + Hf + Pf⊙C₋))
///     C = f⊙C₋ + i⊙g(clip(Xc + Hc))     o = f(clip(Xo + Ho + Po⊙C))      H = o⊙h(C)
///
/// with `X = x·Wᵀ + Wb`, `H = H₋·Rᵀ + Rb`; neither C nor h's input is clipped.
public final class ONNXLSTMCell<Scalar: RNNScalar>: ONNXCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var linear: ONNXLinear<Scalar>?
    var peepholes: (i: [Scalar], o: [Scalar], f: [Scalar])?

    /// The cell of `layer` (an `.onnxLSTM` layer), fetching its weights from `store` when built.
    public init(layer: CellLayer, store: VariableStore<Scalar>) throws {
        guard layer.kind == .onnxLSTM else { throw RNNError.invalidCell("ONNXLSTMCell runs an onnx_lstm layer, got \(layer.kind.rawValue)") }
        self.layer = try layer.validated()
        self.store = store
    }

    public func build(inputDepth: Int, scope: String) throws {
        let prefix = scope + "/" + name, u = numUnits
        linear = try .fetch(from: store, prefix: prefix, inputDepth: inputDepth, units: u, blocks: 4)
        if layer.options.usePeepholes {
            func diag(_ n: String) throws -> [Scalar] { try store.variable(prefix + "/" + n, shape: [u], initializer: .zeros).scalars }
            peepholes = (try diag("w_i_diag"), try diag("w_o_diag"), try diag("w_f_diag"))
        }
    }

    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let x = try input.single(for: label)
        guard case let .lstm(cPrev, hPrev) = state else {
            throw RNNError.badInitialState("\(label) expects an LSTM state (c, h), got \(state.structureDescription)")
        }
        let lin = try built(x)
        let batch = x.shape[0], u = numUnits, w = 4 * u, n = batch * u
        let xs = lin.input(x.scalars, rows: batch), hs = lin.recurrent(hPrev.scalars, rows: batch)
        let acts = activations, (fAct, gAct, hAct) = (acts[0], acts[1], acts[2])
        let inputForget = layer.options.inputForget
        var iPre = [Scalar](repeating: 0, count: n), oPre = iPre, fPre = iPre, cPre = iPre
        var i = iPre, o = iPre, f = iPre, g = iPre, c = iPre, h = iPre
        for b in 0..<batch {
            for j in 0..<u {
                let k = b * u + j, row = b * w
                func gate(_ block: Int) -> Scalar { xs[row + block * u + j] + hs[row + block * u + j] }
                let cp = cPrev.scalars[k]
                iPre[k] = gate(0) + (peepholes.map { $0.i[j] * cp } ?? 0)
                i[k] = fAct(clipped(iPre[k]))
                fPre[k] = gate(2) + (peepholes.map { $0.f[j] * cp } ?? 0)
                f[k] = inputForget ? 1 - i[k] : fAct(clipped(fPre[k]))
                cPre[k] = gate(3)
                g[k] = gAct(clipped(cPre[k]))
                c[k] = f[k] * cp + i[k] * g[k]
                oPre[k] = gate(1) + (peepholes.map { $0.o[j] * c[k] } ?? 0)
                o[k] = fAct(clipped(oPre[k]))
                h[k] = o[k] * hAct(c[k])
            }
        }
        record(terms: [("i_pre", iPre), ("o_pre", oPre), ("f_pre", fPre), ("c_pre", cPre)],
               gates: [("i", i), ("o", o), ("f", f), ("c", g)], batch: batch, into: context.recorder)
        let hOut = Tensor(unchecked: [batch, u], scalars: h)
        return (hOut, .lstm(c: Tensor(unchecked: [batch, u], scalars: c), h: hOut))
    }
}

/// ONNX's `GRU` step (gate blocks z, r, h):
///
///     z = f(clip(Xz + Hz))      r = f(clip(Xr + Hr))
///     h̃ = g(clip(Xh + (r⊙H₋)·R_hᵀ + Rb_h))         (linear_before_reset = 0)
///     h̃ = g(clip(Xh + r⊙(H₋·R_hᵀ + Rb_h)))         (linear_before_reset = 1)
///     H = (1 − z)⊙h̃ + z⊙H₋
public final class ONNXGRUCell<Scalar: RNNScalar>: ONNXCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var linear: ONNXLinear<Scalar>?

    /// The cell of `layer` (an `.onnxGRU` layer), fetching its weights from `store` when built.
    public init(layer: CellLayer, store: VariableStore<Scalar>) throws {
        guard layer.kind == .onnxGRU else { throw RNNError.invalidCell("ONNXGRUCell runs an onnx_gru layer, got \(layer.kind.rawValue)") }
        self.layer = try layer.validated()
        self.store = store
    }

    public func build(inputDepth: Int, scope: String) throws {
        linear = try .fetch(from: store, prefix: scope + "/" + name, inputDepth: inputDepth, units: numUnits, blocks: 3)
    }

    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let x = try input.single(for: label)
        let hPrev = try state.single(for: "\(label) state")
        let lin = try built(x)
        let batch = x.shape[0], u = numUnits, w = 3 * u, n = batch * u
        let xs = lin.input(x.scalars, rows: batch), hs = lin.recurrent(hPrev.scalars, rows: batch)
        let acts = activations, (fAct, gAct) = (acts[0], acts[1])
        var zPre = [Scalar](repeating: 0, count: n), rPre = zPre, hPre = zPre, z = zPre, r = zPre, hh = zPre, out = zPre
        for b in 0..<batch {
            for j in 0..<u {
                let k = b * u + j, row = b * w
                zPre[k] = xs[row + j] + hs[row + j]
                rPre[k] = xs[row + u + j] + hs[row + u + j]
                z[k] = fAct(clipped(zPre[k]))
                r[k] = fAct(clipped(rPre[k]))
            }
        }
        if layer.options.linearBeforeReset {
            for b in 0..<batch { for j in 0..<u { hPre[b * u + j] = xs[b * w + 2 * u + j] + r[b * u + j] * hs[b * w + 2 * u + j] } }
        } else {
            // (r⊙H₋)·Rᵀ + Rb: the h block of the recurrent product of r⊙H₋.
            let rh = lin.recurrent(zip(r, hPrev.scalars).map { $0 * $1 }, rows: batch)
            for b in 0..<batch { for j in 0..<u { hPre[b * u + j] = xs[b * w + 2 * u + j] + rh[b * w + 2 * u + j] } }
        }
        for k in 0..<n {
            hh[k] = gAct(clipped(hPre[k]))
            out[k] = (1 - z[k]) * hh[k] + z[k] * hPrev.scalars[k]
        }
        record(terms: [("u_pre", zPre), ("r_pre", rPre), ("c_pre", hPre)], gates: [("u", z), ("r", r), ("c", hh)],
               batch: batch, into: context.recorder)
        let o = Tensor(unchecked: [batch, u], scalars: out)
        return (o, .leaf(o))
    }
}

/// ONNX's `RNN` step: `H = f(clip(x·Wᵀ + Wb + H₋·Rᵀ + Rb))`.
public final class ONNXRNNCell<Scalar: RNNScalar>: ONNXCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var linear: ONNXLinear<Scalar>?

    /// The cell of `layer` (an `.onnxRNN` layer), fetching its weights from `store` when built.
    public init(layer: CellLayer, store: VariableStore<Scalar>) throws {
        guard layer.kind == .onnxRNN else { throw RNNError.invalidCell("ONNXRNNCell runs an onnx_rnn layer, got \(layer.kind.rawValue)") }
        self.layer = try layer.validated()
        self.store = store
    }

    public func build(inputDepth: Int, scope: String) throws {
        linear = try .fetch(from: store, prefix: scope + "/" + name, inputDepth: inputDepth, units: numUnits, blocks: 1)
    }

    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let x = try input.single(for: label)
        let hPrev = try state.single(for: "\(label) state")
        let lin = try built(x)
        let batch = x.shape[0]
        let xs = lin.input(x.scalars, rows: batch), hs = lin.recurrent(hPrev.scalars, rows: batch)
        let pre = zip(xs, hs).map { $0 + $1 }, f = activations[0]
        let out = pre.map { f(clipped($0)) }
        record(terms: [("h_pre", pre)], gates: [], batch: batch, into: context.recorder)
        let o = Tensor(unchecked: [batch, numUnits], scalars: out)
        return (o, .leaf(o))
    }
}
