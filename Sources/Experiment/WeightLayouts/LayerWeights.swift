import RNNEngine

/// One layer's weights in a framework-neutral form that every weight layout reads from and writes to:
/// input and recurrent kernels `[in, k·units]` / `[h, k·units]` with gate blocks in the neutral order
/// (`CellKindDescriptor.neutralGateOrder`), the biases, and the LSTM's optional extras.
struct LayerWeights<Scalar: RNNScalar> {
    var kind: CellKind
    var inputKernel: Tensor<Scalar>
    var recurrentKernel: Tensor<Scalar>
    /// `[k·units]`: every bias term the cell adds to the gates (PyTorch's `bias_ih + bias_hh` where they are only summed).
    var bias: Tensor<Scalar>
    /// `[k·units]`, the reset-after GRU's recurrent bias (`r` multiplies it, so it cannot be summed into `bias`).
    var recurrentBias: Tensor<Scalar>?
    /// `[units, num_proj]`, an LSTM's projection (`h = m·P`).
    var projection: Tensor<Scalar>?
    /// TF's peephole diagonals `w_i_diag`, `w_f_diag`, `w_o_diag` (TF only).
    var peepholes: [String: Tensor<Scalar>] = [:]

    /// The neutral gate order of this kind (its descriptor's `neutralGateOrder`).
    var gates: [Gate] { kind.descriptor.neutralGateOrder }

    /// The same weights for a layer of `target` (a converted layer's kind, `CellKindDescriptor.converted`): the
    /// gate blocks reordered into its neutral order, and a recurrent bias summed into the bias where `target` adds
    /// the two anyway (ONNX's `Rb` into an LSTM's, a basic RNN's or TF 1's GRU's one bias: the reset gate multiplies
    /// neither there). Copies and reorders otherwise.
    func converted(to target: CellKind) -> LayerWeights {
        guard target != kind else { return self }
        let from = gates, to = target.descriptor.neutralGateOrder
        func reorder(_ t: Tensor<Scalar>) -> Tensor<Scalar> { WeightMath.reorder(t, from: from, to: to) }
        var out = LayerWeights(kind: target, inputKernel: reorder(inputKernel), recurrentKernel: reorder(recurrentKernel), bias: reorder(bias))
        out.projection = projection
        out.peepholes = peepholes
        if let rb = recurrentBias.map(reorder) {
            if target.descriptor.hasRecurrentBias { out.recurrentBias = rb } else { out.bias = WeightMath.add(out.bias, rb) }
        }
        return out
    }

    /// Adds `amount` to the forget gate's bias (folding TF's `forget_bias` into a framework that has no such term).
    mutating func addToForgetBias(_ amount: Double) {
        let gates = gates
        guard let forget = gates.firstIndex(of: .forget), amount != 0 else { return }
        let units = bias.count / gates.count
        let start = forget * units
        for j in start..<(start + units) { bias.scalars[j] += Scalar(amount) }
    }
}

/// Fetches a framework's array by name, checking its shape and naming what was expected when it is missing or wrong.
struct WeightSource<Scalar: RNNScalar> {
    let lookup: (String) throws -> Tensor<Scalar>?

    func callAsFunction(_ name: String, _ shape: [Int]) throws -> Tensor<Scalar> {
        guard let t = try lookup(name) else { throw RNNError.missingWeight(name: name, expected: shape) }
        guard t.shape == shape else { throw RNNError.weightShape(name: name, expected: shape, found: t.shape) }
        return t
    }

    /// The array `name` when there is one (checked against `shape`), nil when absent (an optional input).
    func optional(_ name: String, _ shape: [Int]) throws -> Tensor<Scalar>? {
        guard try lookup(name) != nil else { return nil }
        return try self(name, shape)
    }

    /// The array `name` at the shape `expected` lists for it (a layout's `arrays`, the one place its shapes live).
    func callAsFunction(_ name: String, in expected: [(name: String, shape: [Int])]) throws -> Tensor<Scalar> {
        guard let shape = expected.first(where: { $0.name == name })?.shape else {
            throw RNNError.invalidCell("no weight layout lists '\(name)'")
        }
        return try self(name, shape)
    }
}

/// Small exact array operations the layouts need (copies and reorders only, plus the bias sums where noted).
enum WeightMath {
    /// A tensor whose shape and element count agree by construction.
    static func tensor<S: RNNScalar>(_ shape: [Int], scalars: [S]) -> Tensor<S> {
        (try? Tensor(shape: shape, scalars: scalars)) ?? Tensor(zeros: shape)
    }

    /// Row `i` of a `[r, c]` matrix as a vector `[c]`.
    static func row<S: RNNScalar>(_ t: Tensor<S>, _ i: Int) -> Tensor<S> {
        let c = t.shape[1]
        return tensor([c], scalars: Array(t.scalars[(i * c)..<((i + 1) * c)]))
    }

    /// `[r, c]` → `[c, r]` (a tiled transpose).
    static func transpose<S: RNNScalar>(_ t: Tensor<S>) -> Tensor<S> {
        let r = t.shape[0], c = t.shape.count > 1 ? t.shape[1] : 1
        return WeightMath.tensor([c, r], scalars: Transpose.matrix(t.scalars, rows: r, cols: c))
    }

    /// Rows `range` of a `[r, c]` matrix.
    static func rows<S: RNNScalar>(_ t: Tensor<S>, _ range: Range<Int>) -> Tensor<S> {
        let c = t.shape[1]
        return WeightMath.tensor([range.count, c], scalars: Array(t.scalars[(range.lowerBound * c)..<(range.upperBound * c)]))
    }

    /// `a` above `b`.
    static func vstack<S: RNNScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        WeightMath.tensor([a.shape[0] + b.shape[0], a.shape[1]], scalars: a.scalars + b.scalars)
    }

    /// `t`'s last axis cut into `count` equal blocks, each `[rows, width/count]` (a vector is one row).
    static func blocks<S: RNNScalar>(_ t: Tensor<S>, count: Int) -> [Tensor<S>] {
        let width = t.shape.last ?? 0, rows = t.count / max(width, 1), u = width / count
        return (0..<count).map { k in
            var out = [S]()
            out.reserveCapacity(rows * u)
            for r in 0..<rows { out.append(contentsOf: t.scalars[(r * width + k * u)..<(r * width + (k + 1) * u)]) }
            return WeightMath.tensor(Array(t.shape.dropLast()) + [u], scalars: out)
        }
    }

    /// Blocks side by side along the last axis.
    static func hstack<S: RNNScalar>(_ parts: [Tensor<S>]) -> Tensor<S> {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        let rows = first.count / max(first.shape.last ?? 1, 1)
        var out = [S]()
        for r in 0..<rows {
            for p in parts {
                let w = p.shape.last ?? 0
                out.append(contentsOf: p.scalars[(r * w)..<((r + 1) * w)])
            }
        }
        return WeightMath.tensor(Array(first.shape.dropLast()) + [parts.reduce(0) { $0 + ($1.shape.last ?? 0) }], scalars: out)
    }

    /// The gate blocks along the last axis of `t`, stored in order `from`, rearranged into order `to`.
    static func reorder<S: RNNScalar>(_ t: Tensor<S>, from: [Gate], to: [Gate]) -> Tensor<S> {
        guard from != to else { return t }
        let parts = blocks(t, count: from.count)
        return hstack(to.map { g in parts[from.firstIndex(of: g) ?? 0] })
    }

    /// The blocks of gates `pick` from `t` stored in order `from`.
    static func select<S: RNNScalar>(_ t: Tensor<S>, from: [Gate], _ pick: [Gate]) -> Tensor<S> {
        let parts = blocks(t, count: from.count)
        return hstack(pick.map { g in parts[from.firstIndex(of: g) ?? 0] })
    }

    /// Element-wise sum (one rounding per element: PyTorch's two biases into the one the engine adds).
    static func add<S: RNNScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        WeightMath.tensor(a.shape, scalars: zip(a.scalars, b.scalars).map { $0 + $1 })
    }

    /// A `[2, n]` matrix from two `[n]` rows.
    static func twoRows<S: RNNScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        WeightMath.tensor([2, a.count], scalars: a.scalars + b.scalars)
    }
}
