import CRNNKernels

// The element-wise kernels by role, for any `RNNScalar` (each forwards to the scalar type's kernel,
// chosen at compile time: Float+RNNScalar.swift, Double+RNNScalar.swift).

extension Activation {
    /// The code `rnn_fused.h` uses for this activation.
    var fusedCode: Int32 {
        switch self {
        case .tanh: return Int32(RK_ACT_TANH)
        case .relu: return Int32(RK_ACT_RELU)
        case .sigmoid: return Int32(RK_ACT_SIGMOID)
        case .softsign: return Int32(RK_ACT_SOFTSIGN)
        case .elu: return Int32(RK_ACT_ELU)
        }
    }
}

/// Element-wise kernels (`rnn_fused.h`), named as the cells and the fused run use them.
enum Fused {
    /// `x = act(x)` over `n` elements, in place (`act`: an `Activation.fusedCode`).
    @inline(__always)
    static func act<S: RNNScalar>(_ n: Int, _ x: UnsafeMutablePointer<S>, _ act: Int32) { S.vectorActivation(n, x, act) }

    /// `y = a + b` over `n` elements.
    @inline(__always)
    static func add<S: RNNScalar>(_ n: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>) { S.vectorAdd(n, a, b, y) }

    /// `x = clip_by_value(x, -limit, limit)` over `n` elements, in place.
    @inline(__always)
    static func clip<S: RNNScalar>(_ n: Int, _ x: UnsafeMutablePointer<S>, _ limit: Double) { S.vectorClip(n, x, limit) }

    /// One LSTM element-wise step (see `RNNScalar.lstmStep`). `cellClip < 0` means no clipping.
    @inline(__always)
    static func lstmStep<S: RNNScalar>(batch: Int, units: Int, gates: UnsafePointer<S>, ldg: Int, cPrev: UnsafePointer<S>,
                                       forgetBias: Double, wi: UnsafePointer<S>?, wf: UnsafePointer<S>?, wo: UnsafePointer<S>?,
                                       cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<S>,
                                       hOut: UnsafeMutablePointer<S>, ldh: Int,
                                       gi: UnsafeMutablePointer<S>? = nil, gj: UnsafeMutablePointer<S>? = nil,
                                       gf: UnsafeMutablePointer<S>? = nil, go: UnsafeMutablePointer<S>? = nil) {
        S.lstmStep(batch: batch, units: units, gates: gates, ldg: ldg, cPrev: cPrev, forgetBias: forgetBias, wi: wi, wf: wf, wo: wo,
                   cellClip: cellClip, act: act, cOut: cOut, hOut: hOut, ldh: ldh, gi: gi, gj: gj, gf: gf, go: go)
    }

    /// GRU, first half (see `RNNScalar.gruGates`).
    @inline(__always)
    static func gruGates<S: RNNScalar>(batch: Int, units: Int, gates: UnsafeMutablePointer<S>, ldg: Int,
                                       h: UnsafePointer<S>, rh: UnsafeMutablePointer<S>) {
        S.gruGates(batch: batch, units: units, gates: gates, ldg: ldg, h: h, rh: rh)
    }

    /// GRU, second half (see `RNNScalar.gruFinish`).
    @inline(__always)
    static func gruFinish<S: RNNScalar>(batch: Int, units: Int, gates: UnsafePointer<S>, ldg: Int,
                                        cand: UnsafeMutablePointer<S>, h: UnsafePointer<S>,
                                        hOut: UnsafeMutablePointer<S>, act: Int32) {
        S.gruFinish(batch: batch, units: units, gates: gates, ldg: ldg, cand: cand, h: h, hOut: hOut, act: act)
    }
}
