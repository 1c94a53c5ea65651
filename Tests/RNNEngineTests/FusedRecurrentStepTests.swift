import Foundation
import CRNNKernels
import RNNEngine
import XCTest

/// The whole-step kernels (`rk_slstm_recurrent`, `rk_sgru_recurrent`, `rk_srnn_recurrent` and their double twins),
/// which split a step by units across threads, against the same step done in parts: the packed product on the
/// whole matrix, then the element-wise routine on every unit. Both sum each product in the same order, so the
/// results must be identical bit for bit, on every instruction-set path, at odd sizes, with 1, 2 and 3 threads.
final class FusedRecurrentStepTests: XCTestCase {
    override func tearDown() {
        _ = rk_force_kernel("auto")
        rk_set_threads(0)
        super.tearDown()
    }

    /// (batch, units, state depth): units that do not fill a panel, straddle the split, or split unevenly.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (3, 17, 17), (7, 33, 5), (2, 100, 100), (64, 257, 257), (5, 130, 47), (257, 40, 40), (32, 256, 256),
    ]

    private struct Rng {
        var s: UInt64
        mutating func next<S: RNNScalar>() -> S {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return S(Double(Int64(bitPattern: s >> 11) % 2_000_001 - 1_000_000) / 700_000)
        }
        mutating func array<S: RNNScalar>(_ n: Int) -> [S] { (0..<n).map { _ in next() } }
    }

    /// Bit-for-bit equality, reporting the first element that differs (not both whole arrays).
    private func assertIdentical<S: RNNScalar>(_ a: [S], _ b: [S], _ what: String, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, line: line)
        if let i = a.indices.first(where: { i in i < b.count && a[i] != b[i] && !(a[i].isNaN && b[i].isNaN) }) {
            XCTFail("\(what): element \(i) of \(a.count) is \(a[i]) expected (in parts), \(b[i]) got (whole)", line: line)
        }
    }

    private func packed<S: RNNScalar>(_ w: [S], k: Int, n: Int) -> OpaquePointer {
        w.withUnsafeBufferPointer { S.pack(k: k, n: n, b: $0.baseAddress!, ldb: n)! }
    }

    private func checkLSTM<S: RNNScalar>(_: S.Type, batch b: Int, units u: Int, depth k: Int, peepholes: Bool,
                                         clip: Double, act: Int32, rng: inout Rng, label: String) {
        let w: [S] = rng.array(k * 4 * u), h: [S] = rng.array(b * k), c: [S] = rng.array(b * u)
        let gates0: [S] = rng.array(b * 4 * u)
        let wi: [S] = rng.array(u), wf: [S] = rng.array(u), wo: [S] = rng.array(u)
        let wp = packed(w, k: k, n: 4 * u)
        defer { rk_packed_free(wp) }
        // In parts.
        var g1 = gates0, c1 = [S](repeating: 0, count: b * u), h1 = [S](repeating: 0, count: b * u)
        S.packedGemm(m: b, a: h, lda: k, packed: wp, c: &g1, ldc: 4 * u, accumulate: true)
        let zeros = [S](repeating: 0, count: b * u)
        var (i1, j1, f1, o1) = (zeros, zeros, zeros, zeros), (i2, j2, f2, o2) = (zeros, zeros, zeros, zeros)
        S.lstmStep(batch: b, units: u, gates: g1, ldg: 4 * u, cPrev: c, forgetBias: 0.5,
                   wi: peepholes ? wi : nil, wf: peepholes ? wf : nil, wo: peepholes ? wo : nil, cellClip: clip, act: act,
                   cOut: &c1, hOut: &h1, ldh: u, gi: &i1, gj: &j1, gf: &f1, go: &o1)
        // Whole.
        var g2 = gates0, c2 = [S](repeating: 0, count: b * u), h2 = [S](repeating: 0, count: b * u)
        S.lstmRecurrent(wh: wp, batch: b, hPrev: h, ldhp: k, gates: &g2, ldg: 4 * u, units: u, cPrev: c, forgetBias: 0.5,
                        wi: peepholes ? wi : nil, wf: peepholes ? wf : nil, wo: peepholes ? wo : nil, cellClip: clip,
                        act: act, cOut: &c2, hOut: &h2, ldh: u, gi: nil, gj: nil, gf: nil, go: nil)
        assertIdentical(g1, g2, "LSTM gates " + label)
        // With the activated gates copied out (the tape a backward pass keeps): the same c and h, and the gates.
        var g3 = gates0, c3 = [S](repeating: 0, count: b * u), h3 = c3
        S.lstmRecurrent(wh: wp, batch: b, hPrev: h, ldhp: k, gates: &g3, ldg: 4 * u, units: u, cPrev: c, forgetBias: 0.5,
                        wi: peepholes ? wi : nil, wf: peepholes ? wf : nil, wo: peepholes ? wo : nil, cellClip: clip,
                        act: act, cOut: &c3, hOut: &h3, ldh: u, gi: &i2, gj: &j2, gf: &f2, go: &o2)
        assertIdentical(c1, c3, "LSTM c with the gates taped " + label)
        assertIdentical(h1, h3, "LSTM h with the gates taped " + label)
        for (gate, a, b) in [("i", i1, i2), ("j", j1, j2), ("f", f1, f2), ("o", o1, o2)] {
            assertIdentical(a, b, "LSTM taped \(gate) " + label)
        }
        assertIdentical(c1, c2, "LSTM c " + label)
        assertIdentical(h1, h2, "LSTM h " + label)
    }

    private func checkGRU<S: RNNScalar>(_: S.Type, batch b: Int, units u: Int, act: Int32, rng: inout Rng, label: String) {
        let wg: [S] = rng.array(u * 2 * u), wc: [S] = rng.array(u * u), h: [S] = rng.array(b * u)
        let gates0: [S] = rng.array(b * 2 * u), cand0: [S] = rng.array(b * u)
        let gp = packed(wg, k: u, n: 2 * u), cp = packed(wc, k: u, n: u)
        defer { rk_packed_free(gp); rk_packed_free(cp) }
        var g1 = gates0, cand1 = cand0, rh1 = [S](repeating: 0, count: b * u), h1 = [S](repeating: 0, count: b * u)
        S.packedGemm(m: b, a: h, lda: u, packed: gp, c: &g1, ldc: 2 * u, accumulate: true)
        S.gruGates(batch: b, units: u, gates: &g1, ldg: 2 * u, h: h, rh: &rh1)
        S.packedGemm(m: b, a: rh1, lda: u, packed: cp, c: &cand1, ldc: u, accumulate: true)
        S.gruFinish(batch: b, units: u, gates: g1, ldg: 2 * u, cand: &cand1, h: h, hOut: &h1, act: act)
        var g2 = gates0, cand2 = cand0, rh2 = [S](repeating: 0, count: b * u), h2 = [S](repeating: 0, count: b * u)
        S.gruRecurrent(wg: gp, wc: cp, batch: b, hPrev: h, gates: &g2, ldg: 2 * u, cand: &cand2, rh: &rh2, units: u,
                       act: act, hOut: &h2)
        assertIdentical(g1, g2, "GRU gates " + label)
        assertIdentical(rh1, rh2, "GRU r·h " + label)
        assertIdentical(cand1, cand2, "GRU candidate " + label)
        assertIdentical(h1, h2, "GRU h " + label)
    }

    private func checkRNN<S: RNNScalar>(_: S.Type, batch b: Int, units u: Int, depth k: Int, act: Int32, rng: inout Rng,
                                        label: String) {
        let w: [S] = rng.array(k * u), h: [S] = rng.array(b * k), gates0: [S] = rng.array(b * u)
        let wp = packed(w, k: k, n: u)
        defer { rk_packed_free(wp) }
        var g1 = gates0
        S.packedGemm(m: b, a: h, lda: k, packed: wp, c: &g1, ldc: u, accumulate: true)
        S.vectorActivation(b * u, &g1, act)
        var g2 = gates0, h2 = [S](repeating: 0, count: b * u)
        S.rnnRecurrent(wh: wp, batch: b, hPrev: h, ldhp: k, gates: &g2, ldg: u, units: u, act: act, hOut: &h2, ldh: u)
        assertIdentical(g1, h2, "RNN h " + label)
    }

    private func sweep<S: RNNScalar>(_ type: S.Type) {
        var rng = Rng(s: 42)
        for path in KernelTests.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            for threads in [1, 2, 3] {
                rk_set_threads(Int32(threads))
                for (i, (b, u, k)) in Self.shapes.enumerated() {
                    let label = "\(S.self) \(path) threads=\(threads) batch=\(b) units=\(u) depth=\(k)"
                    let act = Int32(i % 5) // every activation code in turn
                    checkLSTM(type, batch: b, units: u, depth: k, peepholes: i % 2 == 0, clip: i % 3 == 0 ? 0.4 : -1,
                              act: act, rng: &rng, label: label)
                    checkGRU(type, batch: b, units: u, act: act, rng: &rng, label: label)
                    checkRNN(type, batch: b, units: u, depth: k, act: act, rng: &rng, label: label)
                }
            }
        }
    }

    /// The float LSTM element-wise part with tanh runs in one pass over registers where the path has one (AVX2, AVX-512),
    /// with or without copies of the activated gates (a backward pass's tape). Both must give the bits of the cell's
    /// formulas written out here with the path's own vectorised activations (`i = σ(g_i + w_i·c)`, `f = σ(g_f + 1 +
    /// w_f·c)`, `j = tanh(g_j)`, `c' = f·c + i·j` clipped, `o = σ(g_o + w_o·c')`, `h = tanh(c')·o`), with and without
    /// peepholes and clipping, for unit counts that do and do not fill whole vectors, on every path.
    func testOnePassLSTMCellFollowsTheFormulas() {
        var rng = Rng(s: 7)
        for path in KernelTests.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            for (b, u) in [(1, 1), (3, 8), (5, 17), (2, 64), (4, 71), (9, 130)] {
                for variant in 0..<4 {
                    let peep = variant & 1 == 1, clip: Float = variant & 2 == 2 ? 0.3 : -1
                    let g: [Float] = rng.array(b * 4 * u), c: [Float] = rng.array(b * u)
                    let wi: [Float] = rng.array(u), wf: [Float] = rng.array(u), wo: [Float] = rng.array(u)
                    // The formulas, element by element, activations by the path's vector routines.
                    var ri = [Float](repeating: 0, count: b * u), rf = ri, rj = ri, ro = ri, rc = ri, rh = ri
                    for r in 0..<b {
                        for k in 0..<u {
                            let e = r * u, cp = c[e + k]
                            let gi = g[r * 4 * u + k], gf = g[r * 4 * u + 2 * u + k] + 1
                            ri[e + k] = peep ? gi + wi[k] * cp : gi
                            rf[e + k] = peep ? gf + wf[k] * cp : gf
                            rj[e + k] = g[r * 4 * u + u + k]
                        }
                    }
                    Float.vectorActivation(b * u, &ri, Int32(RK_ACT_SIGMOID))
                    Float.vectorActivation(b * u, &rf, Int32(RK_ACT_SIGMOID))
                    Float.vectorActivation(b * u, &rj, Int32(RK_ACT_TANH))
                    for e in 0..<(b * u) {
                        var v = rf[e] * c[e] + ri[e] * rj[e]
                        if clip >= 0 { v = v > clip ? clip : (v < -clip ? -clip : v) }
                        rc[e] = v
                        let go = g[(e / u) * 4 * u + 3 * u + e % u]
                        ro[e] = peep ? go + wo[e % u] * v : go
                    }
                    Float.vectorActivation(b * u, &ro, Int32(RK_ACT_SIGMOID))
                    rh = rc
                    Float.vectorActivation(b * u, &rh, Int32(RK_ACT_TANH))
                    for e in 0..<(b * u) { rh[e] = rh[e] * ro[e] }

                    var c1 = [Float](repeating: 0, count: b * u), h1 = c1, c2 = c1, h2 = c1
                    var gi = c1, gj = c1, gf = c1, go = c1
                    Float.lstmStep(batch: b, units: u, gates: g, ldg: 4 * u, cPrev: c, forgetBias: 1,
                                   wi: peep ? wi : nil, wf: peep ? wf : nil, wo: peep ? wo : nil, cellClip: Double(clip),
                                   act: Int32(RK_ACT_TANH), cOut: &c1, hOut: &h1, ldh: u, gi: nil, gj: nil, gf: nil, go: nil)
                    Float.lstmStep(batch: b, units: u, gates: g, ldg: 4 * u, cPrev: c, forgetBias: 1,
                                   wi: peep ? wi : nil, wf: peep ? wf : nil, wo: peep ? wo : nil, cellClip: Double(clip),
                                   act: Int32(RK_ACT_TANH), cOut: &c2, hOut: &h2, ldh: u, gi: &gi, gj: &gj, gf: &gf, go: &go)
                    let label = "\(path) batch=\(b) units=\(u) peepholes=\(peep) clip=\(clip)"
                    assertIdentical(rc, c1, "c " + label)
                    assertIdentical(rh, h1, "h " + label)
                    assertIdentical(rc, c2, "c with gate copies " + label)
                    assertIdentical(rh, h2, "h with gate copies " + label)
                    assertIdentical(ri, gi, "i " + label)
                    assertIdentical(rj, gj, "j " + label)
                    assertIdentical(rf, gf, "f " + label)
                    assertIdentical(ro, go, "o " + label)
                }
            }
        }
    }

    func testFloatStepsEqualTheirParts() { sweep(Float.self) }

    func testDoubleStepsEqualTheirParts() { sweep(Double.self) }

    /// The LSTM backward step's element-wise part (`rk_s/dlstm_backward_step` without the recurrent product), which
    /// the AVX2 and AVX-512 paths run from their own compiled copy: on every path, split across 1 to 3 threads, the
    /// bits of the formulas written out here with the path's own vectorised tanh (`dh = dout + dh`, `y = tanh(c)`,
    /// `dc' = dh·o·(1 − y²) + dc`, `dO = dh·y·o·(1 − o)`, `dI = dc'·j·i·(1 − i)`, `dF = dc'·c₋·f·(1 − f)`,
    /// `dJ = dc'·i·(1 − j²)`, `dc = dc'·f`); finished rows get zero gate gradients and keep dc; and each row's
    /// squared norms of the incoming dc and dh (summed over the threads' unit ranges) within rounding.
    func testLSTMBackwardElementwiseFollowsTheFormulas() {
        backwardElementwise(Float.self, tolerance: 1e-5)
        backwardElementwise(Double.self, tolerance: 1e-12)
    }

    private func backwardElementwise<S: RNNScalar>(_: S.Type, tolerance: Double) {
        var rng = Rng(s: 99)
        for path in KernelTests.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            for threads in [1, 2, 3] {
                rk_set_threads(Int32(threads))
                for (b, u) in [(1, 1), (3, 8), (5, 17), (2, 64), (4, 71), (3, 130), (2, 512)] {
                    let label = "\(S.self) \(path) threads=\(threads) batch=\(b) units=\(u)"
                    let dout: [S] = rng.array(b * u), c: [S] = rng.array(b * u), cp: [S] = rng.array(b * u)
                    let dh0: [S] = rng.array(b * u), dc0: [S] = rng.array(b * u)
                    let sig = { (x: S) -> S in 1 / (1 + S(Foundation.exp(-Double(x)))) }
                    let gi = (rng.array(b * u) as [S]).map(sig), gf = (rng.array(b * u) as [S]).map(sig)
                    let go = (rng.array(b * u) as [S]).map(sig), gj: [S] = rng.array(b * u).map { S(Foundation.tanh(Double($0 as S))) }
                    let fin: [UInt8] = (0..<b).map { $0 == 1 ? 1 : 0 }
                    // The formulas, element by element, tanh by the path's vector routine.
                    var y = [S](repeating: 0, count: b * u)
                    S.vectorTanh(b * u, c, &y)
                    var wantDg = [S](repeating: 0, count: b * 4 * u), wantDc = dc0
                    for r in 0..<b where fin[r] == 0 {
                        for k in 0..<u {
                            let e = r * u + k, g = r * 4 * u + k
                            let dhv = dout[e] + dh0[e], yv = y[e]
                            let dcv = (dhv * go[e]) * (1 - yv * yv) + dc0[e]
                            wantDg[g + 3 * u] = (dhv * yv) * go[e] * (1 - go[e])
                            wantDg[g] = (dcv * gj[e]) * gi[e] * (1 - gi[e])
                            wantDg[g + 2 * u] = (dcv * cp[e]) * gf[e] * (1 - gf[e])
                            wantDg[g + u] = (dcv * gi[e]) * (1 - gj[e] * gj[e])
                            wantDc[e] = dcv * gf[e]
                        }
                    }
                    var dh = dh0, dhNew = [S](repeating: 0, count: b * u), dc = dc0
                    var dg = [S](repeating: .nan, count: b * 4 * u), norms = [S](repeating: .nan, count: 64 * b * 2)
                    let chunks = S.lstmBackwardStep(wt: nil, batch: b, units: u, dgNext: nil, finNext: nil, dh: &dh, dhNew: &dhNew,
                                                    elementwise: true, fin: fin, dout: dout, c: c, cPrev: cp, gi: gi, gj: gj,
                                                    gf: gf, go: go, dc: &dc, dg: &dg, norms: &norms, normChunks: 64)
                    XCTAssertGreaterThan(chunks, 0, label)
                    assertIdentical(wantDg, dg, "gate gradients " + label)
                    assertIdentical(wantDc, dc, "dc " + label)
                    assertIdentical(dh0, dh, "dh unchanged " + label)
                    for r in 0..<b {
                        var sc = 0.0, sh = 0.0, wc = 0.0, wh = 0.0
                        for k in 0..<chunks {
                            sc += Double(norms[(k * b + r) * 2])
                            sh += Double(norms[(k * b + r) * 2 + 1])
                        }
                        for k in 0..<u {
                            wc += Double(dc0[r * u + k]) * Double(dc0[r * u + k])
                            wh += Double(dh0[r * u + k]) * Double(dh0[r * u + k])
                        }
                        XCTAssertEqual(sc, wc, accuracy: tolerance * max(1, wc), "dc norm row \(r) " + label)
                        XCTAssertEqual(sh, wh, accuracy: tolerance * max(1, wh), "dh norm row \(r) " + label)
                    }
                }
            }
        }
    }
}
