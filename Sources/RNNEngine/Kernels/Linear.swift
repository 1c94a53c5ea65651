/// A kernel of shape `[inputDepth + stateDepth, width]` that multiplies `concat([x, h], 1)`, as TF's cells do,
/// kept as two packed blocks so that `x·Wx + h·Wh` needs no concatenation.
final class ConcatLinear<Scalar: RNNScalar> {
    /// TF's variable names of the kernel and bias (for gradients).
    let kernelName: String
    let biasName: String?
    let inputDepth: Int
    let stateDepth: Int
    let width: Int
    let bias: [Scalar]?
    let inputBlock: PackedMatrix<Scalar>
    let stateBlock: PackedMatrix<Scalar>
    /// `Wᵀ` packed for the backward pass, made on first use.
    let transposed: TransposedPack<Scalar>

    init(kernel: Tensor<Scalar>, inputDepth: Int, bias: Tensor<Scalar>?, kernelName: String, biasName: String?) {
        self.kernelName = kernelName
        self.biasName = biasName
        transposed = TransposedPack(kernel.scalars, rows: kernel.shape[0], cols: kernel.shape[1])
        self.inputDepth = inputDepth
        self.stateDepth = kernel.shape[0] - inputDepth
        self.width = kernel.shape[1]
        self.bias = bias?.scalars
        inputBlock = PackedMatrix(kernel.scalars, rows: inputDepth, cols: width, rowOffset: 0)
        stateBlock = PackedMatrix(kernel.scalars, rows: kernel.shape[0] - inputDepth, cols: width, rowOffset: inputDepth)
    }

    /// `[x, h]·W + b` for a batch: x is `[batch, inputDepth]`, h is `[batch, stateDepth]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func apply(_ x: Tensor<Scalar>, _ h: Tensor<Scalar>) -> Tensor<Scalar> {
        let batch = x.shape[0]
        var out = [Scalar](repeating: 0, count: batch * width)
        out.withUnsafeMutableBufferPointer { o in
            guard let op = o.baseAddress else { return }
            x.scalars.withUnsafeBufferPointer { xp in
                inputBlock.multiply(rows: batch, a: xp.baseAddress, lda: inputDepth, into: op, ldc: width, startingFrom: bias)
            }
            h.scalars.withUnsafeBufferPointer { hp in
                stateBlock.multiply(rows: batch, a: hp.baseAddress, lda: stateDepth, into: op, ldc: width, accumulate: true)
            }
        }
        return Tensor(unchecked: [batch, width], scalars: out)
    }
}

/// A right-hand matrix packed once by the kernels for repeated products.
final class PackedMatrix<Scalar: RNNScalar> {
    let rows: Int
    let cols: Int
    /// The kernels' packed matrix (`rk_packed`), nil when empty.
    let handle: OpaquePointer?

    /// Packs rows `rowOffset ..< rowOffset + rows` of a row-major matrix with `cols` columns.
    init(_ scalars: [Scalar], rows: Int, cols: Int, rowOffset: Int) {
        self.rows = rows
        self.cols = cols
        if rows > 0 && cols > 0 {
            handle = scalars.withUnsafeBufferPointer { p in
                Scalar.pack(k: rows, n: cols, b: p.baseAddress! + rowOffset * cols, ldb: cols)
            }
        } else {
            handle = nil
        }
    }

    deinit { if let h = handle { rk_packed_free_any(h) } }

    /// `c = (accumulate ? c : 0) + a·self` for `rows` rows of `a`.
    func multiply(rows m: Int, a: UnsafePointer<Scalar>?, lda: Int, into c: UnsafeMutablePointer<Scalar>,
                  ldc: Int, accumulate: Bool) {
        guard m > 0, cols > 0 else { return }
        guard let h = handle, let a else {
            if !accumulate { for r in 0..<m { for j in 0..<cols { c[r * ldc + j] = 0 } } }
            return
        }
        Scalar.packedGemm(m: m, a: a, lda: lda, packed: h, c: c, ldc: ldc, accumulate: accumulate)
    }

    /// `c = bias + a·self` for `rows` rows of `a`: every row starts from `bias` (nil: zero), the same sums in the
    /// same order as filling `c` with the bias and accumulating, without a separate pass over `c`.
    func multiply(rows m: Int, a: UnsafePointer<Scalar>?, lda: Int, into c: UnsafeMutablePointer<Scalar>,
                  ldc: Int, startingFrom bias: [Scalar]?) {
        guard m > 0, cols > 0 else { return }
        guard let bias, bias.count == cols else {
            return multiply(rows: m, a: a, lda: lda, into: c, ldc: ldc, accumulate: false)
        }
        guard let h = handle, let a else {
            for r in 0..<m { (c + r * ldc).update(from: bias, count: cols) }
            return
        }
        bias.withUnsafeBufferPointer { b in
            Scalar.packedGemmFromBias(m: m, a: a, lda: lda, packed: h, bias: b.baseAddress, c: c, ldc: ldc)
        }
    }
}
