import Foundation

extension PackedMatrix {
    /// `Mᵀ` packed, for a row-major `rows × cols` matrix `M`: products `a·Mᵀ` in the backward pass.
    static func transposed(_ values: [Scalar], rows: Int, cols: Int) -> PackedMatrix<Scalar> {
        PackedMatrix(Transpose.matrix(values, rows: rows, cols: cols), rows: cols, cols: rows, rowOffset: 0)
    }
}

/// A matrix's transpose, packed on first use and then shared (thread-safe): `Wᵀ` for `dGates·Wᵀ`.
final class TransposedPack<Scalar: RNNScalar> {
    private let values: [Scalar]
    private let rows: Int, cols: Int
    private let lock = NSLock()
    private var cache: PackedMatrix<Scalar>?
    private var blockCache: (split: Int, input: PackedMatrix<Scalar>, state: PackedMatrix<Scalar>)?

    /// For a row-major `rows × cols` matrix (the array is shared, not copied).
    init(_ values: [Scalar], rows: Int, cols: Int) {
        self.values = values
        self.rows = rows
        self.cols = cols
    }

    /// The packed `cols × rows` transpose.
    var packed: PackedMatrix<Scalar> {
        lock.lock()
        defer { lock.unlock() }
        if let p = cache { return p }
        let p = PackedMatrix<Scalar>.transposed(values, rows: rows, cols: cols)
        cache = p
        return p
    }

    /// The transposes of the row blocks above and below row `split`, packed apart (`W_xᵀ` and `W_hᵀ` of a
    /// `[x, h]` kernel), so the fused backward multiplies by `W_hᵀ` alone inside its loop and by `W_xᵀ` once
    /// for a whole segment. Made on first use and kept (one split per matrix).
    func blocks(split: Int) -> (input: PackedMatrix<Scalar>, state: PackedMatrix<Scalar>) {
        lock.lock()
        defer { lock.unlock() }
        if let b = blockCache, b.split == split { return (b.input, b.state) }
        let top = max(0, min(split, rows))
        let input = PackedMatrix<Scalar>.transposed(Array(values[0..<(top * cols)]), rows: top, cols: cols)
        let state = PackedMatrix<Scalar>.transposed(Array(values[(top * cols)..<(rows * cols)]), rows: rows - top, cols: cols)
        blockCache = (top, input, state)
        return (input, state)
    }
}

extension ConcatLinear {
    /// Registers the kernel's and bias's gradients.
    func registerGradients(in gradients: GradientStore<Scalar>) {
        gradients.register(kernelName, shape: [inputDepth + stateDepth, width])
        if let biasName { gradients.register(biasName, shape: [width]) }
    }

    /// The backward of `[x, h]·W + b` for a batch: returns `dx = dGates·W_xᵀ` (`[batch, inputDepth]`) and
    /// `dh = dGates·W_hᵀ` (`[batch, stateDepth]`), and hands `[x, h]` and `dGates` to `gradients` for
    /// `dW += [x, h]ᵀ·dGates`, `db += Σ dGates`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(dGates: [Scalar], x: [Scalar], h: [Scalar], batch: Int,
                  gradients: GradientStore<Scalar>) -> (dx: [Scalar], dh: [Scalar]) {
        let k = inputDepth + stateDepth
        var both = [Scalar](repeating: 0, count: batch * k)
        dGates.withUnsafeBufferPointer { g in
            both.withUnsafeMutableBufferPointer { o in
                transposed.packed.multiply(rows: batch, a: g.baseAddress, lda: width, into: o.baseAddress!, ldc: k,
                                          accumulate: false)
            }
            x.withUnsafeBufferPointer { xp in
                h.withUnsafeBufferPointer { hp in
                    var blocks: [(pointer: UnsafePointer<Scalar>, width: Int)] = []
                    var parts: [String] = []
                    if inputDepth > 0, let p = xp.baseAddress { blocks.append((p, inputDepth)); parts.append("x") }
                    if stateDepth > 0, let p = hp.baseAddress { blocks.append((p, stateDepth)); parts.append("h") }
                    if let gp = g.baseAddress, blocks.reduce(0, { $0 + $1.width }) == k {
                        gradients.addProduct(kernel: kernelName, bias: biasName, left: blocks, right: gp,
                                             rows: batch, width: width, parts: parts)
                    }
                }
            }
        }
        if inputDepth == 0 { return ([], both) }
        var dx = [Scalar](repeating: 0, count: batch * inputDepth)
        var dh = [Scalar](repeating: 0, count: batch * stateDepth)
        for b in 0..<batch {
            for j in 0..<inputDepth { dx[b * inputDepth + j] = both[b * k + j] }
            for j in 0..<stateDepth { dh[b * stateDepth + j] = both[b * k + inputDepth + j] }
        }
        return (dx, dh)
    }
}
