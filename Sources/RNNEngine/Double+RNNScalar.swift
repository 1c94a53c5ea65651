import CRNNKernels

// `Double`'s kernels: each requirement of `RNNScalar` forwards to the C kernel for float64 (rk_d*).

extension Double: RNNScalar {
    public static var dtype: DType { .float64 }
    @inlinable
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool) {
        rk_dgemm(m, n, k, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0)
    }
    @inlinable
    public static func gemmTransposedA(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                                       b: UnsafePointer<Double>, ldb: Int,
                                       c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool) {
        rk_dgemm_at(m, n, k, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0)
    }
    @inlinable
    public static func packedGemmTransposedA(m: Int, a: UnsafePointer<Double>, lda: Int, packed: OpaquePointer,
                                             c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool) {
        rk_dpacked_gemm_at(m, a, lda, packed, c, ldc, accumulate ? 1 : 0)
    }
    public static func pack(k: Int, n: Int, b: UnsafePointer<Double>, ldb: Int) -> OpaquePointer? {
        rk_dpack(k, n, b, ldb)
    }
    @inlinable
    public static func packedGemmFromBias(m: Int, a: UnsafePointer<Double>, lda: Int, packed: OpaquePointer,
                                          bias: UnsafePointer<Double>?, c: UnsafeMutablePointer<Double>, ldc: Int) {
        rk_dpacked_gemm_bias(m, a, lda, packed, bias, c, ldc)
    }
    @inlinable
    public static func packedGemm(m: Int, a: UnsafePointer<Double>, lda: Int, packed: OpaquePointer,
                                  c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool) {
        rk_dpacked_gemm(m, a, lda, packed, c, ldc, accumulate ? 1 : 0)
    }
    @inlinable
    public static func vectorTanh(_ n: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
        rk_dtanh(n, x, y)
    }
    @inlinable
    public static func vectorSigmoid(_ n: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
        rk_dsigmoid(n, x, y)
    }
    @inlinable
    public static func vectorActivation(_ n: Int, _ x: UnsafeMutablePointer<Double>, _ act: Int32) {
        rk_dact(n, x, act)
    }
    @inlinable
    public static func vectorAdd(_ n: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
        rk_dadd(n, a, b, y)
    }
    @inlinable
    public static func addRows(_ rows: Int, _ n: Int, _ src: UnsafePointer<Double>, _ ld: Int, _ y: UnsafeMutablePointer<Double>) {
        rk_dadd_rows(rows, n, src, ld, y)
    }
    @inlinable
    public static func vectorClip(_ n: Int, _ x: UnsafeMutablePointer<Double>, _ limit: Double) {
        rk_dclip(n, x, limit)
    }
    @inlinable
    public static func lstmStep(batch: Int, units: Int, gates: UnsafePointer<Double>, ldg: Int, cPrev: UnsafePointer<Double>,
                                forgetBias: Double, wi: UnsafePointer<Double>?, wf: UnsafePointer<Double>?, wo: UnsafePointer<Double>?,
                                cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<Double>,
                                hOut: UnsafeMutablePointer<Double>, ldh: Int,
                                gi: UnsafeMutablePointer<Double>?, gj: UnsafeMutablePointer<Double>?,
                                gf: UnsafeMutablePointer<Double>?, go: UnsafeMutablePointer<Double>?) {
        rk_dlstm_step(batch, units, gates, ldg, cPrev, forgetBias, wi, wf, wo, cellClip, act, cOut, hOut, ldh, gi, gj, gf, go)
    }
    @inlinable
    public static func gruGates(batch: Int, units: Int, gates: UnsafeMutablePointer<Double>, ldg: Int,
                                h: UnsafePointer<Double>, rh: UnsafeMutablePointer<Double>) {
        rk_dgru_gates(batch, units, gates, ldg, h, rh)
    }
    @inlinable
    public static func gruFinish(batch: Int, units: Int, gates: UnsafePointer<Double>, ldg: Int,
                                 cand: UnsafeMutablePointer<Double>, h: UnsafePointer<Double>,
                                 hOut: UnsafeMutablePointer<Double>, act: Int32) {
        rk_dgru_finish(batch, units, gates, ldg, cand, h, hOut, act)
    }
    @inlinable
    public static func lstmRecurrent(wh: OpaquePointer, batch: Int, hPrev: UnsafePointer<Double>, ldhp: Int,
                                     gates: UnsafeMutablePointer<Double>, ldg: Int, units: Int, cPrev: UnsafePointer<Double>,
                                     forgetBias: Double, wi: UnsafePointer<Double>?, wf: UnsafePointer<Double>?, wo: UnsafePointer<Double>?,
                                     cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<Double>,
                                     hOut: UnsafeMutablePointer<Double>, ldh: Int,
                                     gi: UnsafeMutablePointer<Double>?, gj: UnsafeMutablePointer<Double>?,
                                     gf: UnsafeMutablePointer<Double>?, go: UnsafeMutablePointer<Double>?) {
        rk_dlstm_recurrent(wh, batch, hPrev, ldhp, gates, ldg, units, cPrev, forgetBias, wi, wf, wo, cellClip, act, cOut, hOut, ldh, gi, gj, gf, go)
    }
    @inlinable
    public static func lstmBackwardStep(wt: OpaquePointer?, batch: Int, units: Int, dgNext: UnsafePointer<Double>?,
                                        finNext: UnsafePointer<UInt8>?, dh: UnsafeMutablePointer<Double>,
                                        dhNew: UnsafeMutablePointer<Double>, elementwise: Bool, fin: UnsafePointer<UInt8>?,
                                        dout: UnsafePointer<Double>?, c: UnsafePointer<Double>?, cPrev: UnsafePointer<Double>?,
                                        gi: UnsafePointer<Double>?, gj: UnsafePointer<Double>?, gf: UnsafePointer<Double>?,
                                        go: UnsafePointer<Double>?, dc: UnsafeMutablePointer<Double>?, dg: UnsafeMutablePointer<Double>?,
                                        norms: UnsafeMutablePointer<Double>?, normChunks: Int) -> Int {
        rk_dlstm_backward_step(wt, batch, units, dgNext, finNext, dh, dhNew, elementwise ? 1 : 0, fin, dout, c, cPrev,
                               gi, gj, gf, go, dc, dg, norms, normChunks)
    }
    @inlinable
    public static func gruRecurrent(wg: OpaquePointer, wc: OpaquePointer, batch: Int, hPrev: UnsafePointer<Double>,
                                    gates: UnsafeMutablePointer<Double>, ldg: Int, cand: UnsafeMutablePointer<Double>,
                                    rh: UnsafeMutablePointer<Double>, units: Int, act: Int32, hOut: UnsafeMutablePointer<Double>) {
        rk_dgru_recurrent(wg, wc, batch, hPrev, gates, ldg, cand, rh, units, act, hOut)
    }
    @inlinable
    public static func rnnRecurrent(wh: OpaquePointer, batch: Int, hPrev: UnsafePointer<Double>, ldhp: Int,
                                    gates: UnsafeMutablePointer<Double>, ldg: Int, units: Int, act: Int32,
                                    hOut: UnsafeMutablePointer<Double>, ldh: Int) {
        rk_drnn_recurrent(wh, batch, hPrev, ldhp, gates, ldg, units, act, hOut, ldh)
    }
}
