import CRNNKernels

// `Float`'s kernels: each requirement of `RNNScalar` forwards to the C kernel for float32 (rk_s*).

extension Float: RNNScalar {
    public static var dtype: DType { .float32 }
    @inlinable
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        rk_sgemm(m, n, k, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0)
    }
    @inlinable
    public static func gemmTransposedA(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                       b: UnsafePointer<Float>, ldb: Int,
                                       c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        rk_sgemm_at(m, n, k, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0)
    }
    @inlinable
    public static func packedGemmTransposedA(m: Int, a: UnsafePointer<Float>, lda: Int, packed: OpaquePointer,
                                             c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        rk_spacked_gemm_at(m, a, lda, packed, c, ldc, accumulate ? 1 : 0)
    }
    public static func pack(k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) -> OpaquePointer? {
        rk_spack(k, n, b, ldb)
    }
    @inlinable
    public static func packedGemmFromBias(m: Int, a: UnsafePointer<Float>, lda: Int, packed: OpaquePointer,
                                          bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int) {
        rk_spacked_gemm_bias(m, a, lda, packed, bias, c, ldc)
    }
    @inlinable
    public static func packedGemm(m: Int, a: UnsafePointer<Float>, lda: Int, packed: OpaquePointer,
                                  c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        rk_spacked_gemm(m, a, lda, packed, c, ldc, accumulate ? 1 : 0)
    }
    @inlinable
    public static func vectorTanh(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_stanh(n, x, y)
    }
    @inlinable
    public static func vectorSigmoid(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_ssigmoid(n, x, y)
    }
    @inlinable
    public static func vectorActivation(_ n: Int, _ x: UnsafeMutablePointer<Float>, _ act: Int32) {
        rk_sact(n, x, act)
    }
    @inlinable
    public static func vectorAdd(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        rk_sadd(n, a, b, y)
    }
    @inlinable
    public static func addRows(_ rows: Int, _ n: Int, _ src: UnsafePointer<Float>, _ ld: Int, _ y: UnsafeMutablePointer<Float>) {
        rk_sadd_rows(rows, n, src, ld, y)
    }
    @inlinable
    public static func vectorClip(_ n: Int, _ x: UnsafeMutablePointer<Float>, _ limit: Double) {
        rk_sclip(n, x, Float(limit))
    }
    @inlinable
    public static func lstmStep(batch: Int, units: Int, gates: UnsafePointer<Float>, ldg: Int, cPrev: UnsafePointer<Float>,
                                forgetBias: Double, wi: UnsafePointer<Float>?, wf: UnsafePointer<Float>?, wo: UnsafePointer<Float>?,
                                cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<Float>,
                                hOut: UnsafeMutablePointer<Float>, ldh: Int,
                                gi: UnsafeMutablePointer<Float>?, gj: UnsafeMutablePointer<Float>?,
                                gf: UnsafeMutablePointer<Float>?, go: UnsafeMutablePointer<Float>?) {
        rk_slstm_step(batch, units, gates, ldg, cPrev, Float(forgetBias), wi, wf, wo, Float(cellClip), act, cOut, hOut, ldh, gi, gj, gf, go)
    }
    @inlinable
    public static func gruGates(batch: Int, units: Int, gates: UnsafeMutablePointer<Float>, ldg: Int,
                                h: UnsafePointer<Float>, rh: UnsafeMutablePointer<Float>) {
        rk_sgru_gates(batch, units, gates, ldg, h, rh)
    }
    @inlinable
    public static func gruFinish(batch: Int, units: Int, gates: UnsafePointer<Float>, ldg: Int,
                                 cand: UnsafeMutablePointer<Float>, h: UnsafePointer<Float>,
                                 hOut: UnsafeMutablePointer<Float>, act: Int32) {
        rk_sgru_finish(batch, units, gates, ldg, cand, h, hOut, act)
    }
    @inlinable
    public static func lstmRecurrent(wh: OpaquePointer, batch: Int, hPrev: UnsafePointer<Float>, ldhp: Int,
                                     gates: UnsafeMutablePointer<Float>, ldg: Int, units: Int, cPrev: UnsafePointer<Float>,
                                     forgetBias: Double, wi: UnsafePointer<Float>?, wf: UnsafePointer<Float>?, wo: UnsafePointer<Float>?,
                                     cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<Float>,
                                     hOut: UnsafeMutablePointer<Float>, ldh: Int,
                                     gi: UnsafeMutablePointer<Float>?, gj: UnsafeMutablePointer<Float>?,
                                     gf: UnsafeMutablePointer<Float>?, go: UnsafeMutablePointer<Float>?) {
        rk_slstm_recurrent(wh, batch, hPrev, ldhp, gates, ldg, units, cPrev, Float(forgetBias), wi, wf, wo, Float(cellClip), act, cOut, hOut, ldh, gi, gj, gf, go)
    }
    @inlinable
    public static func lstmBackwardStep(wt: OpaquePointer?, batch: Int, units: Int, dgNext: UnsafePointer<Float>?,
                                        finNext: UnsafePointer<UInt8>?, dh: UnsafeMutablePointer<Float>,
                                        dhNew: UnsafeMutablePointer<Float>, elementwise: Bool, fin: UnsafePointer<UInt8>?,
                                        dout: UnsafePointer<Float>?, c: UnsafePointer<Float>?, cPrev: UnsafePointer<Float>?,
                                        gi: UnsafePointer<Float>?, gj: UnsafePointer<Float>?, gf: UnsafePointer<Float>?,
                                        go: UnsafePointer<Float>?, dc: UnsafeMutablePointer<Float>?, dg: UnsafeMutablePointer<Float>?,
                                        norms: UnsafeMutablePointer<Float>?, normChunks: Int) -> Int {
        rk_slstm_backward_step(wt, batch, units, dgNext, finNext, dh, dhNew, elementwise ? 1 : 0, fin, dout, c, cPrev,
                               gi, gj, gf, go, dc, dg, norms, normChunks)
    }
    @inlinable
    public static func gruRecurrent(wg: OpaquePointer, wc: OpaquePointer, batch: Int, hPrev: UnsafePointer<Float>,
                                    gates: UnsafeMutablePointer<Float>, ldg: Int, cand: UnsafeMutablePointer<Float>,
                                    rh: UnsafeMutablePointer<Float>, units: Int, act: Int32, hOut: UnsafeMutablePointer<Float>) {
        rk_sgru_recurrent(wg, wc, batch, hPrev, gates, ldg, cand, rh, units, act, hOut)
    }
    @inlinable
    public static func rnnRecurrent(wh: OpaquePointer, batch: Int, hPrev: UnsafePointer<Float>, ldhp: Int,
                                    gates: UnsafeMutablePointer<Float>, ldg: Int, units: Int, act: Int32,
                                    hOut: UnsafeMutablePointer<Float>, ldh: Int) {
        rk_srnn_recurrent(wh, batch, hPrev, ldhp, gates, ldg, units, act, hOut, ldh)
    }
}
