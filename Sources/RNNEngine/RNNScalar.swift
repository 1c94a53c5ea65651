import CRNNKernels

/// The data types TensorFlow's `dtype` can name for an RNN: `float32` and `float64`.
public enum DType: String, CaseIterable, Sendable {
    case float32, float64

    /// Bytes per element.
    public var byteWidth: Int { self == .float32 ? 4 : 8 }

    /// The Swift type computing in this dtype: pass it to a generic `<S: RNNScalar>(_: S.Type)` function,
    /// which Swift opens for the concrete type (the one place a dtype becomes `Float` or `Double`).
    public var scalarType: any RNNScalar.Type {
        switch self {
        case .float32: return Float.self
        case .float64: return Double.self
        }
    }
}

/// A floating-point element type the engine computes in (`Float` or `Double`), with the dense and
/// element-wise C kernels it dispatches to (each conformance forwards every requirement to the kernel
/// for its type: Float+RNNScalar.swift, Double+RNNScalar.swift).
public protocol RNNScalar: BinaryFloatingPoint, Sendable, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// The TensorFlow dtype this type stands for.
    static var dtype: DType { get }
    /// `c = (accumulate ? c : 0) + a·b`, row-major with leading dimensions.
    static func gemm(m: Int, n: Int, k: Int,
                     a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)
    /// `c = (accumulate ? c : 0) + aᵀ·b`, `a` given as `k×m` (rows `lda` apart).
    static func gemmTransposedA(m: Int, n: Int, k: Int,
                                a: UnsafePointer<Self>, lda: Int,
                                b: UnsafePointer<Self>, ldb: Int,
                                c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)
    /// `c = (accumulate ? c : 0) + aᵀ·packed`, `a` given as `k×m` (rows `lda` apart).
    static func packedGemmTransposedA(m: Int, a: UnsafePointer<Self>, lda: Int, packed: OpaquePointer,
                                      c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)
    /// Packs a `k×n` right-hand matrix for repeated products.
    static func pack(k: Int, n: Int, b: UnsafePointer<Self>, ldb: Int) -> OpaquePointer?
    /// `c = bias + a·packed`, `bias` (nil: zero) starting every row (`rk_spacked_gemm_bias`).
    static func packedGemmFromBias(m: Int, a: UnsafePointer<Self>, lda: Int, packed: OpaquePointer,
                                   bias: UnsafePointer<Self>?, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `c = (accumulate ? c : 0) + a·packed`.
    static func packedGemm(m: Int, a: UnsafePointer<Self>, lda: Int, packed: OpaquePointer,
                           c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)
    /// Vectorised `tanh` over `n` elements (in place allowed).
    static func vectorTanh(_ n: Int, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)
    /// Vectorised logistic sigmoid over `n` elements (in place allowed).
    static func vectorSigmoid(_ n: Int, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)

    // The element-wise halves of the RNN steps (rnn_fused.h); `Fused` calls them by role.

    /// `x = act(x)` over `n` elements, in place; `act` is an `Activation.fusedCode`.
    static func vectorActivation(_ n: Int, _ x: UnsafeMutablePointer<Self>, _ act: Int32)
    /// `y = a + b` over `n` elements (`y` may alias `a` or `b`).
    static func vectorAdd(_ n: Int, _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)
    /// `y += src[r]` for each of `rows` rows of `src` (`ld` apart, `n` elements), in order (`rk_sadd_rows`).
    static func addRows(_ rows: Int, _ n: Int, _ src: UnsafePointer<Self>, _ ld: Int, _ y: UnsafeMutablePointer<Self>)
    /// `x = clip_by_value(x, -limit, limit)` over `n` elements, in place; NaN kept.
    static func vectorClip(_ n: Int, _ x: UnsafeMutablePointer<Self>, _ limit: Double)
    /// One LSTM element-wise step (`rk_slstm_step`): gates `i, j, f, o` to the new `c` and un-projected `h`.
    /// `cellClip < 0` means no clipping; the peepholes are all nil or all given; `gi`…`go` (optional) receive the activated gates.
    static func lstmStep(batch: Int, units: Int, gates: UnsafePointer<Self>, ldg: Int, cPrev: UnsafePointer<Self>,
                         forgetBias: Double, wi: UnsafePointer<Self>?, wf: UnsafePointer<Self>?, wo: UnsafePointer<Self>?,
                         cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<Self>,
                         hOut: UnsafeMutablePointer<Self>, ldh: Int,
                         gi: UnsafeMutablePointer<Self>?, gj: UnsafeMutablePointer<Self>?,
                         gf: UnsafeMutablePointer<Self>?, go: UnsafeMutablePointer<Self>?)
    /// GRU, first half (`rk_sgru_gates`): `r, u` pre-activations become `σ(r), σ(u)` in place; `rh = r·h`.
    static func gruGates(batch: Int, units: Int, gates: UnsafeMutablePointer<Self>, ldg: Int,
                         h: UnsafePointer<Self>, rh: UnsafeMutablePointer<Self>)
    /// GRU, second half (`rk_sgru_finish`): `cand = act(cand)` in place; `hOut = u·h + (1 − u)·cand`.
    static func gruFinish(batch: Int, units: Int, gates: UnsafePointer<Self>, ldg: Int,
                          cand: UnsafeMutablePointer<Self>, h: UnsafePointer<Self>,
                          hOut: UnsafeMutablePointer<Self>, act: Int32)

    // Whole recurrent steps (`rk_slstm_recurrent` …): the recurrent product and the element-wise part, split by
    // units across the kernels' threads. `wh`, `wg`, `wc` are packed matrices (`pack`).

    /// LSTM: `gates += hPrev·wh`, then `lstmStep`'s element-wise part (`gi`…`go`: nil, or `[batch, units]` copies
    /// of the activated gates, a backward pass's tape).
    static func lstmRecurrent(wh: OpaquePointer, batch: Int, hPrev: UnsafePointer<Self>, ldhp: Int,
                              gates: UnsafeMutablePointer<Self>, ldg: Int, units: Int, cPrev: UnsafePointer<Self>,
                              forgetBias: Double, wi: UnsafePointer<Self>?, wf: UnsafePointer<Self>?, wo: UnsafePointer<Self>?,
                              cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<Self>,
                              hOut: UnsafeMutablePointer<Self>, ldh: Int,
                              gi: UnsafeMutablePointer<Self>?, gj: UnsafeMutablePointer<Self>?,
                              gf: UnsafeMutablePointer<Self>?, go: UnsafeMutablePointer<Self>?)
    /// One step of a plain tanh LSTM's backward sweep, split by units across the threads
    /// (`rk_slstm_backward_step`): `dh = dgNext·W_hᵀ` (`wt`; rows flagged in `finNext` keep theirs), then,
    /// when `elementwise`, per-chunk sums of squares of `dc` and `dh` into `norms` and the gate gradients
    /// into `dg` with `dc` moved back to `c_prev` (rows flagged in `fin` get none). Returns the chunks written.
    static func lstmBackwardStep(wt: OpaquePointer?, batch: Int, units: Int, dgNext: UnsafePointer<Self>?,
                                 finNext: UnsafePointer<UInt8>?, dh: UnsafeMutablePointer<Self>,
                                 dhNew: UnsafeMutablePointer<Self>, elementwise: Bool, fin: UnsafePointer<UInt8>?,
                                 dout: UnsafePointer<Self>?, c: UnsafePointer<Self>?, cPrev: UnsafePointer<Self>?,
                                 gi: UnsafePointer<Self>?, gj: UnsafePointer<Self>?, gf: UnsafePointer<Self>?,
                                 go: UnsafePointer<Self>?, dc: UnsafeMutablePointer<Self>?, dg: UnsafeMutablePointer<Self>?,
                                 norms: UnsafeMutablePointer<Self>?, normChunks: Int) -> Int
    /// GRU: `gates += h·wg`, `gruGates`, `cand += rh·wc`, `gruFinish`.
    static func gruRecurrent(wg: OpaquePointer, wc: OpaquePointer, batch: Int, hPrev: UnsafePointer<Self>,
                             gates: UnsafeMutablePointer<Self>, ldg: Int, cand: UnsafeMutablePointer<Self>,
                             rh: UnsafeMutablePointer<Self>, units: Int, act: Int32, hOut: UnsafeMutablePointer<Self>)
    /// Basic RNN: `hOut = act(gates + hPrev·wh)`.
    static func rnnRecurrent(wh: OpaquePointer, batch: Int, hPrev: UnsafePointer<Self>, ldhp: Int,
                             gates: UnsafeMutablePointer<Self>, ldg: Int, units: Int, act: Int32,
                             hOut: UnsafeMutablePointer<Self>, ldh: Int)
}

/// Kernel settings shared by every product the engine runs.
public enum Kernels {
    /// Threads the matrix products may use (1 = the calling thread; 0 = every online CPU).
    public static var threads: Int {
        get { Int(rk_get_threads()) }
        set { rk_set_threads(Int32(clamping: newValue)) }
    }
    /// The instruction-set path chosen at run time ("avx512", "avx2+fma" or "portable").
    public static var name: String { String(cString: rk_kernel_name()) }

    /// Asks the C library's allocator to keep freed memory for reuse (see `rk_keep_freed_memory`): a program
    /// that runs pass after pass (a benchmark, a training loop) then stops faulting in fresh pages for each pass's
    /// result arrays. A process-wide setting: a front end calls it once at start.
    public static func keepFreedMemory() { rk_keep_freed_memory() }

    /// `body(i)` for every `i` in `0..<count`, task `i` on thread `i` of the kernels' pool when it is free, and
    /// back when all are done (`rk_run_tasks`). The products a task issues run on its own thread. The tasks must
    /// touch disjoint memory and no Swift value another task mutates.
    static func runTasks(_ count: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { task in
            var context = task
            withUnsafeMutablePointer(to: &context) { p in
                rk_run_tasks({ ctx, i in
                    guard let ctx else { return }
                    ctx.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(i))
                }, p, count)
            }
        }
    }

    /// The values of the `UNROLL_KERNEL` environment variable, which forces a path (an empty value is `auto`).
    public static let choices = ["auto", "portable", "avx2", "avx512"]
    /// The other spellings the kernels accept (any case): `scalar` for `portable`, `avx2+fma`, `avx512f`.
    private static let aliases = ["scalar", "avx2+fma", "avx512f"]

    /// Why `value` cannot select a path (it is unknown, or this CPU lacks the path's instructions), or nil when
    /// it can. The kernels themselves fall back to the best path without a word, so a front end checks
    /// `UNROLL_KERNEL` with this before anything runs.
    public static func problem(withChoice value: String) -> String? {
        if rk_kernel_supported(value) != 0 { return nil }
        if (choices + aliases).contains(value.lowercased()) { return "this CPU cannot run the \(value) path; expected auto or portable" }
        return "unknown path; expected " + choices.dropLast().joined(separator: ", ") + " or " + (choices.last ?? "")
    }
}

/// Frees a packed matrix of either scalar type.
@inline(__always)
func rk_packed_free_any(_ p: OpaquePointer) { rk_packed_free(p) }
