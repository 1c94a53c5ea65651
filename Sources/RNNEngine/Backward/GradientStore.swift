import CRNNKernels

/// Weight gradients by TF variable name, accumulated over the steps of a backward sweep.
///
/// A kernel's gradient `dW += [x, h]ᵀ·dGates` is not formed step by step: each step hands its rows of `[x, h]`
/// and `dGates` to `addProduct`, which collects them (the left operand transposed as it is copied) and forms
/// the sum as ONE matrix product per `rowsPerProduct` rows (a segment of steps), together with the bias's
/// column sums. Memory for that: `rowsPerProduct · (K + N)` scalars per kernel, independent of `max_time`.
public final class GradientStore<Scalar: RNNScalar> {
    /// One accumulated gradient.
    final class Buffer {
        let shape: [Int]
        var values: [Scalar]
        @_specialize(where Scalar == Float)
        @_specialize(where Scalar == Double)
        init(shape: [Int]) {
            self.shape = shape
            values = Array(repeating: 0, count: shape.reduce(1, *))
        }
    }

    /// Rows of a kernel's `[x, h]` (transposed) and `dGates` waiting for one product.
    final class PendingProduct {
        let k: Int, n: Int, capacity: Int
        let biasName: String?
        var rows = 0
        /// `[k, capacity]`: column `r` is row `r` of the left operand.
        var leftT: [Scalar]
        /// `[capacity, n]`.
        var right: [Scalar]
        init(k: Int, n: Int, capacity: Int, biasName: String?) {
            self.k = k
            self.n = n
            self.capacity = capacity
            self.biasName = biasName
            leftT = Array(repeating: 0, count: k * capacity)
            right = Array(repeating: 0, count: capacity * n)
        }
    }

    private var buffers: [String: Buffer] = [:]
    /// Names in registration order.
    public private(set) var names: [String] = []
    private var pending: [String: PendingProduct] = [:]
    /// Rows collected before a kernel's product is formed.
    public let rowsPerProduct: Int
    /// False while replaying steps for records only: weight gradients are then not collected.
    public var collecting = true
    /// The recorder of the step being differentiated (set by `BackwardContext`): it also receives the step's
    /// contributions as they are handed over, collected or not (`WeightGradientContribution`).
    var stepRecorder: GradientRecorder<Scalar>?

    public init(rowsPerProduct: Int = 1024) {
        self.rowsPerProduct = max(1, rowsPerProduct)
    }

    /// Declares the variable `name` of `shape` (its gradient starts at zero; registering twice is harmless).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func register(_ name: String, shape: [Int]) {
        guard buffers[name] == nil else { return }
        buffers[name] = Buffer(shape: shape)
        names.append(name)
    }

    /// The gradient of `name` so far (pending products included), or nil when it was never registered.
    public func gradient(_ name: String) -> Tensor<Scalar>? {
        flush()
        return buffers[name].map { Tensor(unchecked: $0.shape, scalars: $0.values) }
    }

    /// Every gradient by name.
    public func all() -> [String: Tensor<Scalar>] {
        flush()
        var out: [String: Tensor<Scalar>] = [:]
        for (name, b) in buffers { out[name] = Tensor(unchecked: b.shape, scalars: b.values) }
        return out
    }

    /// Scalars held: the gradients and the collection buffers.
    public var scalarsHeld: Int {
        buffers.values.reduce(0) { $0 + $1.values.count } + pending.values.reduce(0) { $0 + $1.leftT.count + $1.right.count }
    }

    /// `grad[name] += gradient` (same element count), for a cell's own variables.
    public func add(_ name: String, _ gradient: Tensor<Scalar>) {
        stepRecorder?.recordWeightGradient(.added(variable: name, gradient: gradient))
        guard collecting, let buffer = buffers[name], buffer.values.count == gradient.count else { return }
        for k in 0..<gradient.count { buffer.values[k] += gradient.scalars[k] }
    }

    /// `grad[name][k] += Σ_rows a[r, k]·b[r, k]` over `rows` rows of width `width` (peephole diagonals).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func addRowSumsOfProducts(_ name: String, _ a: UnsafePointer<Scalar>, _ b: UnsafePointer<Scalar>, rows: Int, width: Int) {
        if let rec = stepRecorder {
            rec.recordWeightGradient(.rowSumsOfProducts(variable: name, a: Tensor(copying: a, shape: [rows, width]),
                                                        b: Tensor(copying: b, shape: [rows, width])))
        }
        guard collecting, let buffer = buffers[name] else { return }
        buffer.values.withUnsafeMutableBufferPointer { g in
            for r in 0..<rows {
                for k in 0..<width { g[k] += a[r * width + k] * b[r * width + k] }
            }
        }
    }

    /// Collects `rows` rows of a kernel's product: `grad[kernel] += [left₀, left₁, …]ᵀ·right` and
    /// `grad[bias] += Σ_rows right`. `left` gives the column blocks of the left operand (`x` then `h`), `parts`
    /// what each block is (`x`, `h`, `m`: for `WeightGradientTrace`; nil: `x` then `h`).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func addProduct(kernel: String, bias: String?, left: [(pointer: UnsafePointer<Scalar>, width: Int)],
                    right: UnsafePointer<Scalar>, rows: Int, width n: Int, parts: [String]? = nil) {
        if let rec = stepRecorder {
            rec.recordWeightGradient(.product(kernel: kernel, bias: bias,
                                              left: left.map { Tensor(copying: $0.pointer, shape: [rows, $0.width]) },
                                              parts: parts ?? Array(["x", "h"].prefix(left.count)),
                                              right: Tensor(copying: right, shape: [rows, n])))
        }
        guard collecting, rows > 0 else { return }
        let k = left.reduce(0) { $0 + $1.width }
        if let existing = pending[kernel], rows > existing.capacity {
            // More rows than a product collects (a fused segment's rows at once): in pieces that fit.
            var r = 0
            while r < rows {
                let piece = min(existing.capacity, rows - r)
                addProduct(kernel: kernel, bias: bias, left: left.map { ($0.pointer + r * $0.width, $0.width) },
                           right: right + r * n, rows: piece, width: n)
                r += piece
            }
            return
        }
        let p: PendingProduct
        if let existing = pending[kernel] {
            p = existing
        } else {
            p = PendingProduct(k: k, n: n, capacity: max(rowsPerProduct, rows), biasName: bias)
            pending[kernel] = p
        }
        if p.rows + rows > p.capacity { form(kernel, p) }
        let start = p.rows, cap = p.capacity
        p.leftT.withUnsafeMutableBufferPointer { lt in
            var column = 0
            for block in left {
                for r in 0..<rows {
                    let src = block.pointer + r * block.width
                    for j in 0..<block.width { lt[(column + j) * cap + start + r] = src[j] }
                }
                column += block.width
            }
        }
        p.right.withUnsafeMutableBufferPointer { rt in
            (rt.baseAddress! + start * n).update(from: right, count: rows * n)
        }
        p.rows += rows
    }

    /// `grad[kernel] += [left₀, left₁, …]ᵀ·right` and `grad[bias] += Σ_rows right` at once, each block of the
    /// left operand multiplied where it lies (transposed inside the product, not copied first): the fused
    /// sweep's weight gradients over a segment's rows, which nobody records.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func addProductNow(kernel: String, bias: String?, left: [(pointer: UnsafePointer<Scalar>, width: Int)],
                       right: UnsafePointer<Scalar>, rows: Int, width n: Int) {
        guard stepRecorder == nil else {
            return addProduct(kernel: kernel, bias: bias, left: left, right: right, rows: rows, width: n)
        }
        guard collecting, rows > 0, let w = buffers[kernel], w.values.count == left.reduce(0, { $0 + $1.width }) * n else { return }
        // `right` packed once for every block (the products read it many times; packing it costs one copy).
        let packed = Scalar.pack(k: rows, n: n, b: right, ldb: n)
        defer { if let packed { rk_packed_free(packed) } }
        w.values.withUnsafeMutableBufferPointer { c in
            guard var out = c.baseAddress else { return }
            for block in left {
                if block.width > 0 {
                    if let packed {
                        Scalar.packedGemmTransposedA(m: block.width, a: block.pointer, lda: block.width, packed: packed,
                                                     c: out, ldc: n, accumulate: true)
                    } else {
                        Scalar.gemmTransposedA(m: block.width, n: n, k: rows, a: block.pointer, lda: block.width, b: right,
                                               ldb: n, c: out, ldc: n, accumulate: true)
                    }
                }
                out += block.width * n
            }
        }
        if let bias, let b = buffers[bias], b.values.count == n {
            b.values.withUnsafeMutableBufferPointer { g in
                guard let out = g.baseAddress else { return }
                Scalar.addRows(rows, n, right, n, out)
            }
        }
    }

    /// Forms every pending product.
    public func flush() {
        for (name, p) in pending where p.rows > 0 { form(name, p) }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func form(_ name: String, _ p: PendingProduct) {
        defer { p.rows = 0 }
        guard p.rows > 0, let w = buffers[name], w.values.count == p.k * p.n else { return }
        let rows = p.rows, n = p.n
        p.leftT.withUnsafeBufferPointer { a in
            p.right.withUnsafeBufferPointer { b in
                w.values.withUnsafeMutableBufferPointer { c in
                    Scalar.gemm(m: p.k, n: n, k: rows, a: a.baseAddress!, lda: p.capacity, b: b.baseAddress!, ldb: n,
                                c: c.baseAddress!, ldc: n, accumulate: true)
                }
            }
        }
        if let biasName = p.biasName, let bias = buffers[biasName], bias.values.count == n {
            p.right.withUnsafeBufferPointer { b in
                bias.values.withUnsafeMutableBufferPointer { g in
                    guard let out = g.baseAddress, let right = b.baseAddress else { return }
                    Scalar.addRows(rows, n, right, n, out)
                }
            }
        }
    }
}
