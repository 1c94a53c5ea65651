import CRNNKernels

// Swift entry points to the fused element-wise C kernels (rnn_fused.h), for Float and Double.

@inline(__always)
func rebound<S, T>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func rebound<S, T>(_ p: UnsafePointer<S>) -> UnsafePointer<T> {
    UnsafeRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func reboundOrNil<S, T>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<T>? {
    p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: T.self) }
}

@inline(__always)
func reboundOrNil<S, T>(_ p: UnsafePointer<S>?) -> UnsafePointer<T>? {
    p.map { UnsafeRawPointer($0).assumingMemoryBound(to: T.self) }
}

extension Activation {
    /// The code `rnn_fused.h` uses for this activation.
    var fusedCode: Int32 {
        switch self {
        case .tanh: return 0
        case .relu: return 1
        case .sigmoid: return 2
        case .softsign: return 3
        case .elu: return 4
        }
    }
}

/// Element-wise kernels for `Float` and `Double` (`rnn_fused.h`).
enum Fused {
    /// Whether `S` is `Float` (else it must be `Double`: the kernels exist for those two only).
    @inline(__always)
    static func isFloat<S>(_: S.Type) -> Bool {
        if S.self == Float.self { return true }
        precondition(S.self == Double.self, "the engine's kernels support Float and Double only")
        return false
    }

    @inline(__always)
    static func act<S: RNNScalar>(_ n: Int, _ x: UnsafeMutablePointer<S>, _ act: Int32) {
        if isFloat(S.self) { rk_sact(n, rebound(x), act) } else { rk_dact(n, rebound(x), act) }
    }

    @inline(__always)
    static func add<S: RNNScalar>(_ n: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>) {
        if isFloat(S.self) { rk_sadd(n, rebound(a), rebound(b), rebound(y)) } else { rk_dadd(n, rebound(a), rebound(b), rebound(y)) }
    }

    @inline(__always)
    static func clip<S: RNNScalar>(_ n: Int, _ x: UnsafeMutablePointer<S>, _ limit: Double) {
        if isFloat(S.self) { rk_sclip(n, rebound(x), Float(limit)) } else { rk_dclip(n, rebound(x), limit) }
    }

    /// One LSTM element-wise step (see `rk_slstm_step`). `cellClip < 0` means no clipping.
    @inline(__always)
    static func lstmStep<S: RNNScalar>(batch: Int, units: Int, gates: UnsafePointer<S>, ldg: Int, cPrev: UnsafePointer<S>,
                                       forgetBias: Double, wi: UnsafePointer<S>?, wf: UnsafePointer<S>?, wo: UnsafePointer<S>?,
                                       cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<S>,
                                       hOut: UnsafeMutablePointer<S>, ldh: Int,
                                       gi: UnsafeMutablePointer<S>? = nil, gj: UnsafeMutablePointer<S>? = nil,
                                       gf: UnsafeMutablePointer<S>? = nil, go: UnsafeMutablePointer<S>? = nil,
                                       scratch: UnsafeMutablePointer<S>) {
        if isFloat(S.self) {
            rk_slstm_step(batch, units, rebound(gates), ldg, rebound(cPrev), Float(forgetBias), reboundOrNil(wi), reboundOrNil(wf),
                          reboundOrNil(wo), Float(cellClip), act, rebound(cOut), rebound(hOut), ldh,
                          reboundOrNil(gi), reboundOrNil(gj), reboundOrNil(gf), reboundOrNil(go), rebound(scratch))
        } else {
            rk_dlstm_step(batch, units, rebound(gates), ldg, rebound(cPrev), forgetBias, reboundOrNil(wi), reboundOrNil(wf),
                          reboundOrNil(wo), cellClip, act, rebound(cOut), rebound(hOut), ldh,
                          reboundOrNil(gi), reboundOrNil(gj), reboundOrNil(gf), reboundOrNil(go), rebound(scratch))
        }
    }

    @inline(__always)
    static func gruGates<S: RNNScalar>(batch: Int, units: Int, gates: UnsafeMutablePointer<S>, ldg: Int,
                                       h: UnsafePointer<S>, rh: UnsafeMutablePointer<S>) {
        if isFloat(S.self) {
            rk_sgru_gates(batch, units, rebound(gates), ldg, rebound(h), rebound(rh))
        } else {
            rk_dgru_gates(batch, units, rebound(gates), ldg, rebound(h), rebound(rh))
        }
    }

    @inline(__always)
    static func gruFinish<S: RNNScalar>(batch: Int, units: Int, gates: UnsafePointer<S>, ldg: Int,
                                        cand: UnsafeMutablePointer<S>, h: UnsafePointer<S>,
                                        hOut: UnsafeMutablePointer<S>, act: Int32) {
        if isFloat(S.self) {
            rk_sgru_finish(batch, units, rebound(gates), ldg, rebound(cand), rebound(h), rebound(hOut), act)
        } else {
            rk_dgru_finish(batch, units, rebound(gates), ldg, rebound(cand), rebound(h), rebound(hOut), act)
        }
    }
}
