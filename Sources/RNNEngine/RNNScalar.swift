import CRNNKernels
import RealModule

/// The data types TensorFlow's `dtype` can name for an RNN: `float32` and `float64`.
public enum DType: String, CaseIterable, Sendable {
    case float32, float64

    /// Bytes per element.
    public var byteWidth: Int { self == .float32 ? 4 : 8 }
}

/// A floating-point element type the engine computes in (`Float` or `Double`),
/// with the dense kernels it dispatches to.
public protocol RNNScalar: BinaryFloatingPoint, Real, Sendable, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// The TensorFlow dtype this type stands for.
    static var dtype: DType { get }
    /// `c = (accumulate ? c : 0) + a·b`, row-major with leading dimensions.
    static func gemm(m: Int, n: Int, k: Int,
                     a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)
    /// Packs a `k×n` right-hand matrix for repeated products.
    static func pack(k: Int, n: Int, b: UnsafePointer<Self>, ldb: Int) -> OpaquePointer?
    /// `c = (accumulate ? c : 0) + a·packed`.
    static func packedGemm(m: Int, a: UnsafePointer<Self>, lda: Int, packed: OpaquePointer,
                           c: UnsafeMutablePointer<Self>, ldc: Int, accumulate: Bool)
    /// Vectorised `tanh` over `n` elements (in place allowed).
    static func vectorTanh(_ n: Int, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)
    /// Vectorised logistic sigmoid over `n` elements (in place allowed).
    static func vectorSigmoid(_ n: Int, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>)
}

extension Float: RNNScalar {
    public static var dtype: DType { .float32 }
    @inlinable
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        rk_sgemm(m, n, k, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0)
    }
    public static func pack(k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) -> OpaquePointer? {
        rk_spack(k, n, b, ldb)
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
}

extension Double: RNNScalar {
    public static var dtype: DType { .float64 }
    @inlinable
    public static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool) {
        rk_dgemm(m, n, k, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0)
    }
    public static func pack(k: Int, n: Int, b: UnsafePointer<Double>, ldb: Int) -> OpaquePointer? {
        rk_dpack(k, n, b, ldb)
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
}

/// Frees a packed matrix of either scalar type.
@inline(__always)
func rk_packed_free_any(_ p: OpaquePointer) { rk_packed_free(p) }
