import Foundation
import RNNEngine
import TerminalUI

/// Which weights learn (`W` in the backward view): one row per weight block of the selected layer (per gate: the
/// kernel's rows that multiply x, those that multiply h, the bias), each step's contribution to the block's
/// gradient as a colour on a log scale, and at t the numbers: this step's part and the sum so far (from the loss's
/// step down to t). Every number is the engine's (`WeightGradientTrace`, from its recorded gradient frames).
extension BackwardView {
    /// The largest and smallest non-zero contribution of `blocks` over `times`.
    static func extremes(_ trace: WeightGradientTrace, blocks: [Int], times: [Int]) -> (largest: Double, smallest: Double)? {
        var largest = 0.0, smallest = Double.infinity
        for t in times {
            guard let v = trace.contribution(at: t) else { continue }
            for i in blocks where v[i].isFinite && v[i] > 0 {
                largest = max(largest, v[i])
                smallest = min(smallest, v[i])
            }
        }
        return largest > 0 ? (largest, smallest) : nil
    }

    /// The colour scale of the weights' rows: the whole run's (largest contribution down to the smallest, at most
    /// `runDecades`), or the steps in view's (`z`).
    static func weightScale(_ trace: WeightGradientTrace, blocks: [Int], state: ExplorerState, range: Range<Int>,
                            shared: (largest: Double, smallest: Double)? = nil) -> LogScale? {
        if state.backwardScaleInView {
            return extremes(trace, blocks: blocks, times: Array(range)).map { spanning(largest: $0.largest, span: decades) }
        }
        return (shared ?? extremes(trace, blocks: blocks, times: trace.times)).map {
            spanning(largest: $0.largest, smallest: $0.smallest, span: runDecades)
        }
    }

    private static func spanning(largest: Double, smallest: Double? = nil, span: Double) -> LogScale {
        LogScale.spanning(largest: largest, smallest: smallest, span: span)
    }

    /// Draws the blocks' rows from `y` (advancing it); returns the scale they are drawn on.
    static func weightRows(into c: inout Canvas, g: Geometry, state: ExplorerState, data bd: BackwardData, blocks: [Int],
                           x: Int, y: inout Int, mode: ColorMode) -> LogScale? {
        let glyphs = c.glyphs
        let x0 = x + labelWidth, cw = g.cellWidth
        guard g.hRows > 0 else { return nil }
        guard let trace = bd.weights, !blocks.isEmpty else {
            let why = bd.weightsRefusal ?? (bd.isComputing ? "which weights learn: once the sweep is done" : "which weights learn: replaying the sweep...")
            for (i, line) in wrapText(glyphs.isUnicode ? why : asciiOnly(why), width: g.inner.width).prefix(g.hRows).enumerated() {
                c.put(x: x, y: y + i, line, style: bd.weightsRefusal == nil ? Styles.dim : Styles.masked)
            }
            y += g.hRows
            return nil
        }
        let scale = weightScale(trace, blocks: blocks, state: state, range: g.range, shared: bd.sharedWeightExtremes)
        let rows = min(g.hRows, blocks.count)
        for r in 0..<rows {
            let block = trace.blocks[blocks[r]]
            c.put(x: x, y: y, fit(label(block, glyphs), labelWidth), style: Styles.label.adding(.bold))
            for k in 0..<g.columns {
                let t = g.time(column: k)
                var cell = Cell(" ")
                if let v = trace.contribution(at: t), let scale {
                    cell = self.cell(v[blocks[r]], scale: scale, mode: mode, glyphs: glyphs)
                } else if trace.contribution(at: t) != nil {
                    cell = Cell(glyphs.dot, style: Styles.dim)
                }
                if t == state.t { cell.style = cell.style.adding(.underline) }
                for j in 0..<cw { c.set(x: x0 + k * cw + j, y: y, j == 0 || cell.char != glyphs.dot ? cell : Cell(" ", style: cell.style)) }
            }
            y += 1
        }
        // The last row's name gives way to how many blocks are hidden (the numbers below list every block).
        if blocks.count > rows, rows > 1 { c.put(x: x, y: y - 1, fit("\(glyphs.arrowDown)\(blocks.count - rows + 1)", labelWidth), style: Styles.more) }
        return scale
    }

    /// A block's name as the screen can show it (`Wx.i` without Unicode).
    static func label(_ block: WeightBlock, _ glyphs: Glyphs) -> String {
        glyphs.isUnicode ? block.label : block.label.replacingOccurrences(of: "·", with: ".")
    }

    /// A norm in 8 columns: `1.23e-04`, `0` for an exact zero.
    static func normText(_ v: Double) -> String { v == 0 ? "0" : v.isFinite ? String(format: "%.2e", v) : Format.precise(v) }

    /// The numbers at `state.t`: each block's part from this step and the sum so far.
    static func weightLines(state: ExplorerState, data bd: BackwardData, blocks: [Int], glyphs: Glyphs, width: Int) -> [(String, CellStyle)] {
        let d = Marks(glyphs).d, n = Marks(glyphs).norm
        var out: [(String, CellStyle)] = []
        func add(_ s: String, _ style: CellStyle = .plain) {
            for line in wrapText(s, width: width) { out.append((line, style)) }
        }
        guard let trace = bd.weights, let step = trace.contribution(at: state.t), let sum = trace.runningSum(at: state.t) else {
            if bd.weights == nil, bd.weightsRefusal == nil {
                add("t=\(state.t): which weights learn shows once the sweep is done (backward \(Format.count(bd.completed))/\(Format.count(bd.maxTime)))", Styles.dim)
            }
            return out
        }
        let last = trace.times.first ?? state.t
        add("t=\(state.t) \(n)\(d)L/\(d)W\(n), batch summed: this step | sum t=\(last)..\(state.t)", .bold)
        let items = blocks.map { i in fit(label(trace.blocks[i], glyphs), 5) + normText(step[i]).leftPad(8) + " | " + normText(sum[i]).leftPad(8) }
        let perLine = max(1, (width + 3) / ((items.map(\.count).max() ?? 24) + 3))
        for start in stride(from: 0, to: items.count, by: perLine) {
            add(items[start..<min(items.count, start + perLine)].joined(separator: "   "))
        }
        return out
    }
}
