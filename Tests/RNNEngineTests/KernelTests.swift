import CRNNKernels
import Foundation
import RNNEngine
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Checks the C kernels (every instruction-set path this CPU can run) against plain references.
final class KernelTests: XCTestCase {
    /// Paths to exercise: always "portable", plus "avx2" / "avx512" when the CPU has them.
    static var paths: [String] {
        ["portable", "avx2", "avx512"].filter { rk_kernel_supported($0) != 0 }
    }

    override func tearDown() {
        _ = rk_force_kernel("auto")
        rk_set_threads(0)
        super.tearDown()
    }

    // MARK: - GEMM

    /// (m, n, k) shapes: the cartesian product of {1, 3, 17, 33} plus cases with 257 and a few
    /// large enough to be split across threads (by columns and by rows).
    static let shapes: [(Int, Int, Int)] = {
        var s: [(Int, Int, Int)] = []
        let small = [1, 3, 17, 33]
        for m in small { for n in small { for k in small { s.append((m, n, k)) } } }
        s += [(257, 3, 17), (1, 257, 33), (17, 33, 257), (3, 257, 257), (257, 17, 1), (33, 257, 17),
              (257, 257, 33),  // ~2.2M multiply-adds: threaded, split over columns
              (257, 17, 257),  // one column panel: threaded, split over rows
              (64, 1000, 48),  // uneven column panels per thread
              (4, 33, 129), (12, 257, 17)]  // a last row sliver of 4 (a batch of 4)
        return s
    }()

    struct Case<T: BinaryFloatingPoint> {
        let m, n, k, lda, ldb, ldc: Int
        var a, b, c0: [T]
        var ref: [Double]      // A·B in double
        var absSum: [Double]   // Σ|a||b| per element, for the rounding bound
    }

    static func makeCase<T: BinaryFloatingPoint>(_ m: Int, _ n: Int, _ k: Int, pad: Int,
                                                 _: T.Type, seed: inout UInt64) -> Case<T> {
        func rnd() -> T {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return T(Double(Int64(bitPattern: seed >> 11) % 2_000_001 - 1_000_000) / 1_000_000)
        }
        let lda = k + pad, ldb = n + pad, ldc = n + 2 * pad
        let a = (0..<max(m * lda, 1)).map { _ in rnd() }
        let b = (0..<max(k * ldb, 1)).map { _ in rnd() }
        let c0 = (0..<max(m * ldc, 1)).map { _ in rnd() }
        var ref = [Double](repeating: 0, count: m * n)
        var absSum = [Double](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<m {
                    for p in 0..<k {
                        let av = Double(a[i * lda + p])
                        for j in 0..<n {
                            let bv = Double(b[p * ldb + j])
                            ref[i * n + j] += av * bv
                            absSum[i * n + j] += abs(av * bv)
                        }
                    }
                }
            }
        }
        return Case(m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, a: a, b: b, c0: c0, ref: ref, absSum: absSum)
    }

    /// Runs one product and returns a description of the first problem, or nil.
    /// With `transposedA`, A is handed over transposed (`k×m`, rows `m + 2` apart) to `gemmTransposedA`.
    static func run<T: RNNScalar>(_ cs: Case<T>, accumulate: Bool, packed: Bool, transposedA: Bool = false) -> String? {
        var c = cs.c0
        let ldat = cs.m + 2
        var at = [T](repeating: .nan, count: max(1, cs.k * ldat))
        for i in 0..<cs.m { for p in 0..<cs.k { at[p * ldat + i] = cs.a[i * cs.lda + p] } }
        cs.a.withUnsafeBufferPointer { a in
            cs.b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    if transposedA && packed {
                        let p = T.pack(k: cs.k, n: cs.n, b: b.baseAddress!, ldb: cs.ldb)!
                        T.packedGemmTransposedA(m: cs.m, a: at, lda: ldat, packed: p, c: c.baseAddress!, ldc: cs.ldc,
                                                accumulate: accumulate)
                        rk_packed_free(p)
                    } else if transposedA {
                        T.gemmTransposedA(m: cs.m, n: cs.n, k: cs.k, a: at, lda: ldat, b: b.baseAddress!, ldb: cs.ldb,
                                          c: c.baseAddress!, ldc: cs.ldc, accumulate: accumulate)
                    } else if packed {
                        let p = T.pack(k: cs.k, n: cs.n, b: b.baseAddress!, ldb: cs.ldb)!
                        XCTAssertEqual(rk_packed_rows(p), cs.k)
                        XCTAssertEqual(rk_packed_cols(p), cs.n)
                        T.packedGemm(m: cs.m, a: a.baseAddress!, lda: cs.lda, packed: p,
                                     c: c.baseAddress!, ldc: cs.ldc, accumulate: accumulate)
                        rk_packed_free(p)
                    } else {
                        T.gemm(m: cs.m, n: cs.n, k: cs.k, a: a.baseAddress!, lda: cs.lda, b: b.baseAddress!,
                               ldb: cs.ldb, c: c.baseAddress!, ldc: cs.ldc, accumulate: accumulate)
                    }
                }
            }
        }
        let eps = Double(T.ulpOfOne)
        for i in 0..<cs.m {
            for j in 0..<cs.ldc where i * cs.ldc + j < c.count {
                let got = Double(c[i * cs.ldc + j])
                if j < cs.n {
                    let c0 = accumulate ? Double(cs.c0[i * cs.ldc + j]) : 0
                    let want = c0 + cs.ref[i * cs.n + j]
                    // Rounding bound of a length-k dot product plus the final addition.
                    let tol = eps * Double(cs.k + 2) * (cs.absSum[i * cs.n + j] + abs(c0)) + Double(T.leastNormalMagnitude)
                    if !(abs(got - want) <= tol) {
                        return "C[\(i),\(j)] = \(got), want \(want) (tol \(tol))"
                    }
                } else if got != Double(cs.c0[i * cs.ldc + j]) {
                    return "padding C[\(i),\(j)] was overwritten"
                }
            }
        }
        return nil
    }

    func checkGemm<T: RNNScalar>(_: T.Type) {
        var seed: UInt64 = 42
        var count = 0
        for (si, (m, n, k)) in Self.shapes.enumerated() {
            // Leading dimensions equal to the width for some cases, wider for the others.
            let cs = Self.makeCase(m, n, k, pad: si % 3 == 0 ? 0 : 3 + si % 5, T.self, seed: &seed)
            for path in Self.paths {
                XCTAssertEqual(rk_force_kernel(path), 0)
                for threads in [1, 2] {
                    Kernels.threads = threads
                    for accumulate in [false, true] {
                        for (packed, transposedA) in [(false, false), (true, false), (false, true), (true, true)] {
                            count += 1
                            if let err = Self.run(cs, accumulate: accumulate, packed: packed, transposedA: transposedA) {
                                XCTFail("\(T.self) \(path) m=\(m) n=\(n) k=\(k) lda=\(cs.lda) ldb=\(cs.ldb) ldc=\(cs.ldc) "
                                        + "threads=\(threads) accumulate=\(accumulate) packed=\(packed) transposedA=\(transposedA): \(err)")
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(count, 500)
    }

    func testFloatGemmAllPaths() { checkGemm(Float.self) }
    func testDoubleGemmAllPaths() { checkGemm(Double.self) }

    /// More threads than cores (and than chunks for the smaller shapes) give the same results.
    func testManyThreads() {
        var seed: UInt64 = 7
        for (m, n, k) in [(257, 257, 33), (257, 17, 257), (64, 1000, 48), (33, 257, 17)] {
            let cs = Self.makeCase(m, n, k, pad: 2, Float.self, seed: &seed)
            for path in Self.paths {
                XCTAssertEqual(rk_force_kernel(path), 0)
                for threads in [3, 4, 7] {
                    Kernels.threads = threads
                    XCTAssertEqual(Kernels.threads, threads)
                    for packed in [false, true] {
                        if let err = Self.run(cs, accumulate: true, packed: packed) {
                            XCTFail("\(path) m=\(m) n=\(n) k=\(k) threads=\(threads) packed=\(packed): \(err)")
                        }
                    }
                }
            }
        }
    }

    func testPathNamesAndForcing() {
        XCTAssertEqual(rk_force_kernel("portable"), 0)
        XCTAssertEqual(Kernels.name, "portable")
        if rk_kernel_supported("avx2") != 0 {
            XCTAssertEqual(rk_force_kernel("avx2"), 0)
            XCTAssertEqual(Kernels.name, "avx2+fma")
        } else {
            XCTAssertEqual(rk_force_kernel("avx2"), -1)
        }
        if rk_kernel_supported("avx512") != 0 {
            XCTAssertEqual(rk_force_kernel("avx512"), 0)
            XCTAssertEqual(Kernels.name, "avx512")
        } else {
            XCTAssertEqual(rk_force_kernel("avx512"), -1)
        }
        XCTAssertEqual(rk_force_kernel("no-such-path"), -1)
        XCTAssertEqual(rk_force_kernel("auto"), 0)
        XCTAssertTrue(["avx512", "avx2+fma", "portable"].contains(Kernels.name))
    }

    func testThreadSetting() {
        Kernels.threads = 1
        XCTAssertEqual(Kernels.threads, 1)
        Kernels.threads = 2
        XCTAssertEqual(Kernels.threads, 2)
        Kernels.threads = 0
        XCTAssertGreaterThanOrEqual(Kernels.threads, 1)
    }

    /// k = 0 sets C to zero (or leaves it when accumulating); m = 0 or n = 0 writes nothing.
    func testEmptyProducts() {
        for path in Self.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
            var c = [Float](repeating: 9, count: 12)
            rk_sgemm(3, 3, 0, a, 1, b, 3, &c, 4, 0)
            XCTAssertEqual(c, [0, 0, 0, 9, 0, 0, 0, 9, 0, 0, 0, 9], path)
            c = [Float](repeating: 9, count: 12)
            rk_sgemm(3, 3, 0, a, 1, b, 3, &c, 4, 1)
            XCTAssertEqual(c, [Float](repeating: 9, count: 12), path)
            rk_sgemm(0, 3, 2, a, 2, b, 3, &c, 4, 0)
            rk_sgemm(3, 0, 2, a, 2, b, 3, &c, 4, 0)
            XCTAssertEqual(c, [Float](repeating: 9, count: 12), path)
            var d = [Double](repeating: 9, count: 6)
            let p = rk_dpack(0, 2, [Double](), 2)!
            rk_dpacked_gemm(3, [1.0, 2, 3], 1, p, &d, 2, 0)
            XCTAssertEqual(d, [0, 0, 0, 0, 0, 0], path)
            rk_packed_free(p)
        }
    }

    /// Matrices placed against an inaccessible page: any read or write past the end (or before the
    /// start) of A, B or C crashes the test.
    func testNoOutOfBoundsAccess() throws {
        #if canImport(Glibc)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        struct Guarded {
            let base: UnsafeMutableRawPointer
            let length: Int
            let data: UnsafeMutableRawPointer
        }
        // `bytes` of accessible memory either ending at a guard page (atEnd) or starting right after one.
        func guarded(_ bytes: Int, atEnd: Bool) -> Guarded {
            let dataPages = (bytes + page - 1) / page
            let length = (dataPages + 2) * page
            let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
            mprotect(base, page, PROT_NONE)
            mprotect(base + (dataPages + 1) * page, page, PROT_NONE)
            let data = atEnd ? base + (dataPages + 1) * page - bytes : base + page
            return Guarded(base: base, length: length, data: data)
        }
        func check<T: RNNScalar>(_: T.Type, m: Int, n: Int, k: Int, atEnd: Bool) {
            let sz = MemoryLayout<T>.stride
            let ga = guarded(m * k * sz, atEnd: atEnd), gb = guarded(k * n * sz, atEnd: atEnd)
            let gc = guarded(m * n * sz, atEnd: atEnd)
            defer { for g in [ga, gb, gc] { munmap(g.base, g.length) } }
            let a = ga.data.bindMemory(to: T.self, capacity: m * k)
            let b = gb.data.bindMemory(to: T.self, capacity: k * n)
            let c = gc.data.bindMemory(to: T.self, capacity: m * n)
            for i in 0..<(m * k) { a[i] = T(i % 7) - 3 }
            for i in 0..<(k * n) { b[i] = T(i % 5) - 2 }
            for accumulate in [false, true] {
                T.gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n, accumulate: accumulate)
                let p = T.pack(k: k, n: n, b: b, ldb: n)!
                T.packedGemm(m: m, a: a, lda: k, packed: p, c: c, ldc: n, accumulate: accumulate)
                rk_packed_free(p)
            }
            // Spot-check one element: C = A·B (twice, overwriting), then + A·B + A·B.
            var want = 0.0
            for p in 0..<k { want += Double(a[(m - 1) * k + p]) * Double(b[p * n + n - 1]) }
            XCTAssertEqual(Double(c[m * n - 1]), 3 * want)
            // The same memory read as a transposed A (`k×m`): C = Aᵀ·B, then + Aᵀ·B twice (B as given, then packed).
            T.gemmTransposedA(m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n, c: c, ldc: n, accumulate: false)
            T.gemmTransposedA(m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n, c: c, ldc: n, accumulate: true)
            let pb = T.pack(k: k, n: n, b: b, ldb: n)!
            T.packedGemmTransposedA(m: m, a: a, lda: m, packed: pb, c: c, ldc: n, accumulate: true)
            rk_packed_free(pb)
            var wantT = 0.0
            for p in 0..<k { wantT += Double(a[p * m + m - 1]) * Double(b[p * n + n - 1]) }
            XCTAssertEqual(Double(c[m * n - 1]), 3 * wantT)
        }
        for path in Self.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            for threads in [1, 2] {
                Kernels.threads = threads
                for (m, n, k) in [(1, 1, 1), (3, 17, 5), (17, 33, 3), (9, 47, 31), (33, 257, 17), (70, 300, 129)] {
                    for atEnd in [true, false] {
                        check(Float.self, m: m, n: n, k: k, atEnd: atEnd)
                        check(Double.self, m: m, n: n, k: k, atEnd: atEnd)
                    }
                }
            }
        }
        #else
        throw XCTSkip("needs mmap/mprotect")
        #endif
    }

    /// Rows filled with one row (the bias before an input projection), large enough to be split across threads
    /// and not: every row gets the row (or zeros), nothing past the last row is touched.
    /// `rk_s/dpacked_gemm_bias`: the bits of filling C's rows with the bias and accumulating the product (every
    /// path, 1 and 2 threads; split by columns and by rows; deeper than one block; no depth; no bias), and the
    /// columns past n untouched.
    func testProductsStartingFromBias() {
        checkProductsFromBias(Float.self)
        checkProductsFromBias(Double.self)
    }

    private func checkProductsFromBias<T: RNNScalar>(_: T.Type) {
        var seed: UInt64 = 11
        func next() -> T {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return T(Double(Int64(bitPattern: seed >> 11) % 2001) / 1000 - 1)
        }
        for (m, k, n) in [(1, 1, 1), (3, 7, 40), (4, 33, 129), (17, 600, 96), (300, 64, 512), (5, 0, 9)] {
            let ldc = n + 3
            let a = (0..<max(1, m * k)).map { _ in next() }, w = (0..<max(1, k * n)).map { _ in next() }
            let bias = (0..<n).map { _ in next() }
            for path in Self.paths {
                XCTAssertEqual(rk_force_kernel(path), 0)
                for threads in [1, 2] {
                    Kernels.threads = threads
                    for given in [true, false] {
                        var want = [T](repeating: .nan, count: m * ldc), got = want
                        w.withUnsafeBufferPointer { wp in
                            let p = T.pack(k: k, n: n, b: wp.baseAddress!, ldb: n)!
                            defer { rk_packed_free(p) }
                            for r in 0..<m { for j in 0..<n { want[r * ldc + j] = given ? bias[j] : 0 } }
                            T.packedGemm(m: m, a: a, lda: k, packed: p, c: &want, ldc: ldc, accumulate: true)
                            bias.withUnsafeBufferPointer { b in
                                T.packedGemmFromBias(m: m, a: a, lda: k, packed: p, bias: given ? b.baseAddress : nil,
                                                     c: &got, ldc: ldc)
                            }
                        }
                        let label = "\(T.self) \(path) threads=\(threads) m=\(m) k=\(k) n=\(n) bias=\(given)"
                        let first = want.indices.first { !(want[$0] == got[$0] || (want[$0].isNaN && got[$0].isNaN)) }
                        XCTAssertNil(first, label + (first.map { " at \($0): \(got[$0]) against \(want[$0])" } ?? ""))
                        for r in 0..<m { XCTAssertTrue(got[(r * ldc + n)..<((r + 1) * ldc)].allSatisfy(\.isNaN), label + " past n") }
                    }
                }
            }
        }
    }

    /// `rk_s/dadd_rows`: the sum of a block's rows onto y, row after row (the bits of adding them one at a time),
    /// leaving the columns of src past n alone.
    func testAddRows() {
        for (rows, n, ld) in [(0, 5, 5), (1, 1, 1), (7, 33, 40), (200, 128, 128), (3, 17, 20)] {
            let src = (0..<max(1, rows * ld)).map { Float(($0 * 37) % 101) * 0.013 - 0.6 }
            let start = (0..<n).map { Float($0) * 0.25 - 1 }
            var want = start
            for r in 0..<rows { for j in 0..<n { want[j] = want[j] + src[r * ld + j] } }
            var got = start
            rk_sadd_rows(rows, n, src, ld, &got)
            XCTAssertEqual(got, want, "float rows=\(rows) n=\(n) ld=\(ld)")
            let srcD = src.map(Double.init), startD = start.map(Double.init)
            var wantD = startD
            for r in 0..<rows { for j in 0..<n { wantD[j] = wantD[j] + srcD[r * ld + j] } }
            var gotD = startD
            rk_dadd_rows(rows, n, srcD, ld, &gotD)
            XCTAssertEqual(gotD, wantD, "double rows=\(rows) n=\(n) ld=\(ld)")
        }
    }

    // MARK: - Activations

    static let specials: [Double] = [0, -0.0, 1e-300, -1e-300, .leastNonzeroMagnitude, 1e-40, -1e-40, 1e-30, 1e-8, -1e-8,
                                      0.3, 0.35, 0.36, 0.6, -0.6, 1, -1, 9, 9.5, 10, 17, 18, 19, 19.1, 20, -20,
                                      36, 37, 88, 89, 100, -100, 700, 709, 710, 745, 746, -745, -746,
                                      1e30, -1e30, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                      .infinity, -.infinity]

    static var sweep: [Double] {
        var xs = specials
        var x = -40.0
        while x <= 40 { xs.append(x); x += 0.0137 }
        for e in -60...2 { xs.append(pow(2, Double(e)) * 1.2345); xs.append(-pow(2, Double(e)) * 0.987) }
        return xs
    }

    /// Reference values, in extended precision where the platform has it.
    static func refTanh(_ x: Double) -> Double {
        #if arch(x86_64) && canImport(Glibc)
        return Double(tanhl(Float80(x)))
        #else
        return Foundation.tanh(x)
        #endif
    }
    static func refSigmoid(_ x: Double) -> Double {
        #if arch(x86_64) && canImport(Glibc)
        return Double(1 / (1 + expl(-Float80(x))))
        #else
        return 1 / (1 + Foundation.exp(-x))
        #endif
    }

    func testFloatActivations() {
        let xs = Self.sweep.map { Float($0) } + [.nan, -.nan, .leastNonzeroMagnitude]
        for path in Self.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            for (name, fn, ref) in [("tanh", rk_stanh, Self.refTanh), ("sigmoid", rk_ssigmoid, Self.refSigmoid)] {
                var y = [Float](repeating: 0, count: xs.count)
                fn(xs.count, xs, &y)
                var inPlace = xs
                inPlace.withUnsafeMutableBufferPointer { fn($0.count, $0.baseAddress!, $0.baseAddress!) }
                var maxAbs = 0.0, maxUlp = 0.0
                for (i, x) in xs.enumerated() {
                    XCTAssertEqual(y[i].bitPattern, inPlace[i].bitPattern, "\(path) \(name) in place")
                    if x.isNaN { XCTAssertTrue(y[i].isNaN, "\(path) \(name)(nan)"); continue }
                    let want = ref(Double(x)), got = Double(y[i])
                    maxAbs = max(maxAbs, abs(got - want))
                    if abs(want) >= Double(Float.leastNormalMagnitude) {
                        maxUlp = max(maxUlp, abs(got - want) / Double(Float(want).ulp))
                    }
                    XCTAssertLessThanOrEqual(abs(got - want), 2e-7, "\(path) \(name)(\(x)) = \(got), want \(want)")
                    XCTAssertTrue(got >= -1 && got <= 1, "\(path) \(name)(\(x)) out of range")
                }
                // Within a few units in the last place wherever the result is a normal float.
                XCTAssertLessThanOrEqual(maxUlp, 3, "\(path) \(name)")
                print("float \(name) \(path): max abs error \(maxAbs), max \(maxUlp) ulp")
            }
            var y = [Float](repeating: 7, count: 6)
            rk_stanh(6, [0, -0.0, .infinity, -.infinity, 100, -100], &y)
            XCTAssertEqual(y, [0, 0, 1, -1, 1, -1])
            XCTAssertEqual(y[1].sign, .minus)
            rk_ssigmoid(6, [0, -0.0, .infinity, -.infinity, 100, -100], &y)
            XCTAssertEqual(Array(y[0..<5]), [0.5, 0.5, 1, 0, 1])
            XCTAssertLessThan(y[5], 1e-38)
        }
    }

    func testDoubleActivations() {
        let xs = Self.sweep + [.nan, -.nan]
        for path in Self.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            for (name, fn, ref) in [("tanh", rk_dtanh, Self.refTanh), ("sigmoid", rk_dsigmoid, Self.refSigmoid)] {
                var y = [Double](repeating: 0, count: xs.count)
                fn(xs.count, xs, &y)
                var maxRel = 0.0
                for (i, x) in xs.enumerated() {
                    if x.isNaN { XCTAssertTrue(y[i].isNaN, "\(path) \(name)(nan)"); continue }
                    let want = ref(x), got = y[i]
                    if abs(want) >= Double.leastNormalMagnitude {
                        let rel = abs(got - want) / abs(want)
                        maxRel = max(maxRel, rel)
                        XCTAssertLessThanOrEqual(rel, 1e-15, "\(path) \(name)(\(x)) = \(got), want \(want)")
                    } else {
                        XCTAssertLessThanOrEqual(abs(got - want), 1e-300, "\(path) \(name)(\(x)) = \(got), want \(want)")
                    }
                }
                print("double \(name) \(path): max relative error \(maxRel)")
            }
            var y = [Double](repeating: 7, count: 6)
            rk_dtanh(6, [0, -0.0, .infinity, -.infinity, 100, -100], &y)
            XCTAssertEqual(y, [0, 0, 1, -1, 1, -1])
            XCTAssertEqual(y[1].sign, .minus)
            rk_dsigmoid(6, [0, -0.0, .infinity, -.infinity, 100, -100], &y)
            XCTAssertEqual(Array(y[0..<5]), [0.5, 0.5, 1, 0, 1])
            XCTAssertEqual(y[5], Self.refSigmoid(-100), accuracy: 1e-58)
        }
    }

    /// A product issued from a second thread while the pool is busy runs on its own thread and
    /// still gives the right answer.
    func testConcurrentCallers() {
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var value = 0
            func add() { lock.lock(); value += 1; lock.unlock() }
        }
        let m = 64, n = 512, k = 256
        let a = (0..<(m * k)).map { Float($0 % 13) - 6 }, b = (0..<(k * n)).map { Float($0 % 11) - 5 }
        var single = [Float](repeating: 0, count: m * n)
        Kernels.threads = 1
        rk_sgemm(m, n, k, a, k, b, n, &single, n, 0)
        let expected = single
        Kernels.threads = 2
        let group = DispatchGroup()
        let mismatches = Counter()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                var c = [Float](repeating: 0, count: m * n)
                for _ in 0..<20 {
                    rk_sgemm(m, n, k, a, k, b, n, &c, n, 0)
                    if c != expected { mismatches.add() }
                }
            }
        }
        group.wait()
        XCTAssertEqual(mismatches.value, 0)
    }

    /// `rk_run_tasks` runs every task once, side by side or (one thread) in order on the caller; a product a
    /// task issues runs on that task's thread and gives the same answer as on its own.
    func testRunTasks() {
        let saved = Kernels.threads
        defer { Kernels.threads = saved }
        final class Record {
            let m = 48, n = 640, k = 200
            let a: [Float], b: [Float]
            var results: [[Float]]
            var runs: [Int], order: [Int] = [], threads = Set<UInt>()
            let lock = NSLock()
            init(tasks: Int) {
                a = (0..<(m * k)).map { Float($0 % 7) - 3 }
                b = (0..<(k * n)).map { Float($0 % 5) - 2 }
                results = Array(repeating: [], count: tasks)
                runs = Array(repeating: 0, count: tasks)
            }
            func run(_ i: Int) {
                var c = [Float](repeating: 0, count: m * n)
                rk_sgemm(m, n, k, a, k, b, n, &c, n, 0)
                lock.withLock {
                    results[i] = c
                    runs[i] += 1
                    order.append(i)
                    threads.insert(UInt(pthread_self()))
                }
            }
        }
        Kernels.threads = 1
        let alone = Record(tasks: 1)
        alone.run(0)
        for threads in [1, 2, 3] {
            Kernels.threads = threads
            for tasks in [1, 2, 3, 5] {
                let record = Record(tasks: tasks)
                rk_run_tasks({ ctx, i in
                    guard let ctx else { return }
                    Unmanaged<Record>.fromOpaque(ctx).takeUnretainedValue().run(Int(i))
                }, Unmanaged.passUnretained(record).toOpaque(), tasks)
                let label = "threads \(threads), tasks \(tasks)"
                XCTAssertEqual(record.runs, [Int](repeating: 1, count: tasks), label)
                for r in record.results { XCTAssertTrue(r == alone.results[0], label + ": a task's product") }
                if threads == 1 {
                    XCTAssertEqual(record.order, Array(0..<tasks), label + ": in order")
                    XCTAssertEqual(record.threads, [UInt(pthread_self())], label + ": on the caller")
                }
            }
        }
    }

    /// `rk_alloc`: 64-byte aligned, 2 MiB aligned from 2 MiB on, every byte writable; NULL-safe `rk_free`.
    func testLargeArrayAllocation() {
        for bytes in [1, 100, 4096, (2 << 20) - 1, 2 << 20, (5 << 20) + 3] {
            guard let p = rk_alloc(bytes) else { return XCTFail("rk_alloc(\(bytes)) returned NULL") }
            let address = UInt(bitPattern: p)
            XCTAssertEqual(address % 64, 0, "\(bytes) bytes")
            if bytes >= 2 << 20 { XCTAssertEqual(address % (2 << 20), 0, "\(bytes) bytes") }
            p.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
            XCTAssertEqual(p.load(fromByteOffset: bytes - 1, as: UInt8.self), 0xA5)
            rk_free(p)
        }
        rk_free(nil)
    }
}
