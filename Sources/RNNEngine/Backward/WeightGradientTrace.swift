import Foundation

/// One contribution a step's backward hands to the weight gradients, as the cell handed it to the
/// `GradientStore` (recorded in `LayerGradientFrame.weightGradients` when the step is replayed for frames).
/// Summed over every step of the sweep, the contributions are the weight gradients `GradientRun.result()` returns.
public enum WeightGradientContribution<Scalar: RNNScalar>: Sendable {
    /// `grad[kernel] += [left₀, left₁, …]ᵀ·right` and `grad[bias] += Σ_rows right`: `left` are the left operand's
    /// column blocks (`[batch, width]` each), `parts` what each is (`x` the input, `h` the state before the step
    /// (a GRU's candidate: `r·h`), `m` an LSTM's unprojected output), `right` the gradient of the product's
    /// result (`[batch, columns]`: the gates before their activations).
    case product(kernel: String, bias: String?, left: [Tensor<Scalar>], parts: [String], right: Tensor<Scalar>)
    /// `grad[variable][k] += Σ_rows a[r, k]·b[r, k]` (an LSTM's peephole diagonals).
    case rowSumsOfProducts(variable: String, a: Tensor<Scalar>, b: Tensor<Scalar>)
    /// `grad[variable] += gradient` (the reset-after GRU's `[2, 3·units]` bias).
    case added(variable: String, gradient: Tensor<Scalar>)
}

/// A block of a weight variable whose gradient `WeightGradientTrace` follows: one gate's columns of the part of a
/// kernel that multiplies the input (`x`) or the state (`h`), or of a bias.
public struct WeightBlock: Sendable, Hashable {
    public enum Part: String, Sendable, CaseIterable {
        /// Kernel rows that multiply the input `x_t` (`W_x`).
        case input = "x"
        /// Kernel rows that multiply the state before the step (`W_h`; a GRU's candidate: `r·h`).
        case recurrent = "h"
        /// A bias (the reset-after GRU's input bias).
        case bias = "b"
        /// The reset-after GRU's recurrent bias (row 1 of its `[2, 3·units]` bias).
        case recurrentBias = "bh"
        /// An LSTM's projection kernel (rows multiply the unprojected output `m`).
        case projection = "m"
        /// Any other variable as a whole (peephole diagonals).
        case whole = "w"
    }

    /// The layer in the stack (0 for a single cell).
    public let layer: Int
    /// TF's variable name (`rnn/basic_rnn_cell/kernel`).
    public let variable: String
    /// The gate whose columns these are (`GateTable`'s letter: `i`, `j`, `f`, `o`, `r`, `u`, `c`), empty when the
    /// variable is not split by gates (a basic RNN's one block, a projection, a peephole).
    public let gate: String
    public let part: Part
    /// Rows and columns of the variable's gradient, seen as a matrix (a 1-D variable is one row).
    public let rows: Range<Int>
    public let columns: Range<Int>

    /// A short name: `Wx·i`, `Wh·i`, `b·i` (`Wx`, `Wh`, `b` without gates), `Wm`, or the variable's last name.
    public var label: String {
        let g = gate.isEmpty ? "" : "·" + gate
        switch part {
        case .input: return "Wx" + g
        case .recurrent: return "Wh" + g
        case .bias: return "b" + g
        case .recurrentBias: return "bh" + g
        case .projection: return "Wm"
        case .whole: return String(variable.split(separator: "/").last ?? Substring(variable))
        }
    }
}

/// How the gradient of each weight block accumulates over the backward sweep: for every step, the norm of that
/// step's contribution to the block's gradient and the norm of the running sum (the contributions of the steps
/// swept so far, from the last step down to this one, summed over the batch). Built from the engine's recorded
/// gradient frames (`LayerGradientFrame.weightGradients`), so the numbers are the ones the engine adds up; after
/// every step is added, `total` is the engine's weight gradient. A vanilla RNN's recurrent kernel (`Wh`) shows
/// its contributions fading as the sweep goes back in time: early steps hardly teach it.
public struct WeightGradientTrace: Sendable {
    /// The blocks, in the order first met (`displayOrder` sorts a layer's by gate, then part).
    public private(set) var blocks: [WeightBlock] = []
    /// The steps added, in the order added (the sweep's: from the last step towards t=0).
    public private(set) var times: [Int] = []
    private var order: [Int] = []
    private var index: [WeightBlock: Int] = [:]
    private var contributions: [Int: [Double]] = [:]
    private var running: [Int: [Double]] = [:]
    private var sums: [String: [Double]] = [:]
    private var shapes: [String: (rows: Int, cols: Int)] = [:]
    /// Variables in the order first met.
    public private(set) var variables: [String] = []

    public init() {}

    /// Adds one step's contributions (of every layer) to the running sums.
    public mutating func add<Scalar: RNNScalar>(_ frame: GradientFrame<Scalar>) {
        var deltas: [String: [Double]] = [:]
        var blocksOf: [String: [Int]] = [:]
        for layer in frame.layers {
            for c in layer.weightGradients {
                for (variable, rows, cols, add) in Self.pieces(c) {
                    if shapes[variable] == nil {
                        shapes[variable] = (rows, cols)
                        sums[variable] = Array(repeating: 0, count: rows * cols)
                        variables.append(variable)
                    }
                    guard let shape = shapes[variable], shape.rows == rows, shape.cols == cols else { continue }
                    var d = deltas[variable] ?? Array(repeating: 0, count: rows * cols)
                    add(&d)
                    deltas[variable] = d
                }
                for block in Self.blocks(of: c, layer: layer.layer, cellName: layer.cellName) {
                    let i = blockIndex(block)
                    if !blocksOf[block.variable, default: []].contains(i) { blocksOf[block.variable, default: []].append(i) }
                }
            }
        }
        var stepNorms = Array(repeating: 0.0, count: blocks.count)
        for (variable, d) in deltas {
            guard let shape = shapes[variable], var sum = sums[variable] else { continue }
            for k in 0..<sum.count { sum[k] += d[k] }
            sums[variable] = sum
            for i in blocksOf[variable] ?? [] { stepNorms[i] = Self.norm(d, cols: shape.cols, blocks[i]) }
        }
        var runningNorms = Array(repeating: 0.0, count: blocks.count)
        for (i, block) in blocks.enumerated() {
            if let sum = sums[block.variable], let shape = shapes[block.variable] { runningNorms[i] = Self.norm(sum, cols: shape.cols, block) }
        }
        if contributions[frame.time] == nil { times.append(frame.time) }
        contributions[frame.time] = stepNorms
        running[frame.time] = runningNorms
    }

    /// `‖step t's contribution‖` per block (in `blocks`' order), nil when step `t` was not added.
    public func contribution(at t: Int) -> [Double]? { contributions[t].map(padded) }

    /// `‖the sum of the contributions of the steps added up to and including t‖` per block: the block's gradient
    /// once the sweep has passed t. Nil when step `t` was not added.
    public func runningSum(at t: Int) -> [Double]? { running[t].map(padded) }

    /// The sum of every added step's contributions to `variable` (the engine's gradient once every step is added),
    /// with the variable's shape as a matrix (`rows`, `cols`; a 1-D variable is one row), row-major.
    public func total(_ variable: String) -> (rows: Int, cols: Int, values: [Double])? {
        guard let s = shapes[variable], let v = sums[variable] else { return nil }
        return (s.rows, s.cols, v)
    }

    /// The indices of layer `l`'s blocks for display: by gate (the cell's gate order), then `x`, `h`, bias, others.
    public func displayOrder(layer l: Int) -> [Int] {
        blocks.indices.filter { blocks[$0].layer == l }.sorted { order[$0] < order[$1] || (order[$0] == order[$1] && $0 < $1) }
    }

    private func padded(_ v: [Double]) -> [Double] { v.count < blocks.count ? v + Array(repeating: 0, count: blocks.count - v.count) : v }

    private mutating func blockIndex(_ block: WeightBlock) -> Int {
        if let i = index[block] { return i }
        index[block] = blocks.count
        blocks.append(block)
        order.append(Self.rank(block))
        return blocks.count - 1
    }

    /// Sort key: the gate's place in its cell's gate order, then the part.
    private static func rank(_ b: WeightBlock) -> Int {
        let gateRank = ["i", "j", "f", "o", "r", "u", "c"].firstIndex(of: b.gate) ?? 7
        let partRank = WeightBlock.Part.allCases.firstIndex(of: b.part) ?? 0
        return b.layer * 1000 + gateRank * 10 + partRank
    }

    private static func norm(_ m: [Double], cols: Int, _ b: WeightBlock) -> Double {
        var s = 0.0
        for r in b.rows {
            for c in b.columns { let v = m[r * cols + c]; s += v * v }
        }
        return s.squareRoot()
    }

    /// What a contribution adds, per variable: its shape as a matrix and how to add it into a matrix of that shape.
    private static func pieces<Scalar: RNNScalar>(_ c: WeightGradientContribution<Scalar>)
        -> [(String, Int, Int, (inout [Double]) -> Void)] {
        switch c {
        case let .product(kernel, bias, left, _, right):
            let batch = right.shape.first ?? 0, n = right.count / max(1, batch)
            let k = left.reduce(0) { $0 + $1.count / max(1, batch) }
            var out: [(String, Int, Int, (inout [Double]) -> Void)] = [(kernel, k, n, { d in
                var offset = 0
                for block in left {
                    let w = block.count / max(1, batch)
                    for b in 0..<batch {
                        for i in 0..<w {
                            let a = Double(block.scalars[b * w + i])
                            if a == 0 { continue }
                            for j in 0..<n { d[(offset + i) * n + j] += a * Double(right.scalars[b * n + j]) }
                        }
                    }
                    offset += w
                }
            })]
            if let bias {
                out.append((bias, 1, n, { d in
                    for b in 0..<batch { for j in 0..<n { d[j] += Double(right.scalars[b * n + j]) } }
                }))
            }
            return out
        case let .rowSumsOfProducts(variable, a, b):
            let rows = a.shape.first ?? 0, w = a.count / max(1, rows)
            return [(variable, 1, w, { d in
                for r in 0..<rows { for k in 0..<w { d[k] += Double(a.scalars[r * w + k]) * Double(b.scalars[r * w + k]) } }
            })]
        case let .added(variable, g):
            let rows = g.shape.count == 2 ? g.shape[0] : 1, cols = g.count / max(1, rows)
            return [(variable, rows, cols, { d in for k in 0..<g.count { d[k] += Double(g.scalars[k]) } })]
        }
    }

    /// The blocks a contribution touches: each part of the left operand and the bias, split by gate.
    static func blocks<Scalar: RNNScalar>(of c: WeightGradientContribution<Scalar>, layer: Int, cellName: String) -> [WeightBlock] {
        switch c {
        case let .product(kernel, bias, left, parts, right):
            let batch = right.shape.first ?? 0, n = right.count / max(1, batch)
            var out: [WeightBlock] = []
            var offset = 0
            for (block, name) in zip(left, parts) {
                let w = block.count / max(1, batch)
                let part: WeightBlock.Part = name == "h" ? .recurrent : name == "m" ? .projection : .input
                let gates = part == .projection ? [("", 0..<n)] : gateColumns(cellName: cellName, variable: kernel, columns: n)
                for (gate, cols) in gates {
                    out.append(WeightBlock(layer: layer, variable: kernel, gate: gate, part: part, rows: offset..<(offset + w), columns: cols))
                }
                offset += w
            }
            if let bias {
                for (gate, cols) in gateColumns(cellName: cellName, variable: kernel, columns: n) {
                    out.append(WeightBlock(layer: layer, variable: bias, gate: gate, part: .bias, rows: 0..<1, columns: cols))
                }
            }
            return out
        case let .rowSumsOfProducts(variable, a, _):
            let rows = a.shape.first ?? 0, w = a.count / max(1, rows)
            return [WeightBlock(layer: layer, variable: variable, gate: "", part: .whole, rows: 0..<1, columns: 0..<w)]
        case let .added(variable, g):
            let rows = g.shape.count == 2 ? g.shape[0] : 1, cols = g.count / max(1, rows)
            if rows == 2 {
                // The reset-after GRU's bias: the input bias, then the recurrent bias, each split by gate.
                return [WeightBlock.Part.bias, .recurrentBias].enumerated().flatMap { r, part in
                    gateColumns(cellName: cellName, variable: variable, columns: cols).map {
                        WeightBlock(layer: layer, variable: variable, gate: $0.0, part: part, rows: r..<(r + 1), columns: $0.1)
                    }
                }
            }
            return [WeightBlock(layer: layer, variable: variable, gate: "", part: .whole, rows: 0..<rows, columns: 0..<cols)]
        }
    }

    /// The gate blocks along `columns` columns of `variable` (a kernel or bias of the cell TF names `cellName`),
    /// in TF's stored order (the cell kind's descriptor); one unnamed block when the cell has no gates or the
    /// columns do not split evenly.
    static func gateColumns(cellName: String, variable: String, columns n: Int) -> [(String, Range<Int>)] {
        guard var kind = CellKind(cellName: cellName) else { return [("", 0..<n)] }
        let split = variable.contains("gates/") || variable.contains("candidate/")
        // `gru_cell` names both GRUs: TF 1's has gates/ and candidate/ variables, the reset-after one has not.
        if kind == .gru && !split { kind = .gruResetAfter }
        let d = kind.descriptor
        var order: [Gate] = d.storedGateOrder(.tf)
        if d.tensorFlowVariables == .gatesAndCandidate {
            order = variable.contains("candidate/") ? Array(order.suffix(1)) : Array(order.dropLast())
        }
        let letters = order.map { g in d.gates.first { Gate(tfName: $0.name) == g }?.name ?? "" }
        guard letters.count > 1 || !(letters.first ?? "").isEmpty, !letters.isEmpty, n % letters.count == 0 else { return [("", 0..<n)] }
        let u = n / letters.count
        return letters.enumerated().map { ($0.element, ($0.offset * u)..<(($0.offset + 1) * u)) }
    }
}

extension GradientRun {
    /// The trace of how each weight block's gradient accumulates over the sweep: every step's frame replayed from
    /// the checkpoints (one segment at a time, so memory stays one segment's), added from the last step towards
    /// t=0. Nil until the sweep is complete (or when `shouldStop` answers true between segments).
    public func weightGradientTrace(shouldStop: () -> Bool = { false }) throws -> WeightGradientTrace? {
        guard isComplete else { return nil }
        var trace = WeightGradientTrace()
        var hi = loop.maxTime
        while hi > 0 {
            if shouldStop() { return nil }
            let lo = max(0, hi - segmentLength)
            for f in try frames(lo..<hi).reversed() { trace.add(f) }
            hi = lo
        }
        return trace
    }
}

extension Tensor {
    /// A tensor holding a copy of `count(shape)` scalars at `pointer`.
    init(copying pointer: UnsafePointer<Scalar>, shape: [Int]) {
        self.init(unchecked: shape, scalars: Array(UnsafeBufferPointer(start: pointer, count: shape.reduce(1, *))))
    }
}
