import Foundation
import RNNEngine
import TerminalUI

/// View 5: the backward pass (back-propagation through time) for the selected example and layer. Columns are the
/// steps in the sweep's order, from the loss's step on the left towards t=0 on the right, so the step keys move
/// the cursor the way the gradient flows. Top to bottom: the loss; heatmaps of ∂L/∂h (and ∂L/∂c for an LSTM) per
/// unit on a logarithmic magnitude scale (one scale for the whole run by default, so decay shows; `z` rescales to
/// the steps in view) and its legend; a trace of the engine's ‖∂L/∂state_t‖ (log scale); the frame at t in
/// words and numbers. Every number is the engine's (`GradientFrameData`, `BackwardData.norms`).
enum BackwardView {
    static let labelWidth = 7
    /// Decades the colour scales span below the largest magnitude in view.
    static let decades = 8.0
    /// Most decades the whole run's scale spans below its largest magnitude (smaller ones get the darkest colour).
    static let runDecades = 16.0
    static let traceRows = 3

    /// A logarithmic magnitude scale: `10^top` gets the brightest colour (the highest bar), `10^bottom` the darkest.
    struct LogScale: Equatable {
        let top: Double
        let bottom: Double

        /// Where `v`'s magnitude lies on the scale, 0 (at or below the bottom) ... 1 (at or above the top).
        func level(_ v: Double) -> Double { min(1, max(0, (log10(abs(v)) - bottom) / max(1e-9, top - bottom))) }

        /// The scale from `largest` down `span` decades, or to `smallest` when that is nearer (at least one decade).
        static func spanning(largest: Double, smallest: Double? = nil, span: Double) -> LogScale {
            let top = largest > 0 && largest.isFinite ? log10(largest).rounded(.up) : 0
            let low = smallest.flatMap { $0 > 0 && $0.isFinite ? log10($0).rounded(.down) : nil } ?? (top - span)
            return LogScale(top: top, bottom: min(top - 1, max(top - span, low)))
        }

        /// The whole run's scale (the engine's largest and smallest norms), nil until a step is swept.
        static func wholeRun(_ data: BackwardData) -> LogScale? {
            data.runNorms.map { spanning(largest: $0.largest, smallest: $0.smallest, span: BackwardView.runDecades) }
        }
    }

    struct Geometry {
        let inner: Rect
        let range: Range<Int>
        let cellWidth: Int
        let hRows: Int
        let cRows: Int
        let textRows: Int
        var columns: Int { range.count }

        /// The step drawn in column `k` (sweep order: latest first).
        func time(column k: Int) -> Int { range.upperBound - 1 - k }
        func column(of t: Int) -> Int? { range.contains(t) ? range.upperBound - 1 - t : nil }
    }

    /// `compact`: one of two views stacked (`O`), with room for one line of text; `blocks`: the weight blocks
    /// shown instead of the units when the view shows which weights learn (`W`).
    static func geometry(rect: Rect, state: ExplorerState, compact: Bool = false, blocks: Int? = nil) -> Geometry {
        let inner = rect.interior
        let columns = HeatmapPane.columns(for: rect, maxTime: state.maxTime)
        let cw = HeatmapPane.cellWidth(available: max(1, inner.width - labelWidth), maxTime: state.maxTime)
        let range = FrameWindow.range(start: FrameWindow.adjusted(start: state.windowStart, t: state.t, columns: columns, maxTime: state.maxTime),
                                      columns: columns, maxTime: state.maxTime)
        let hUnits = state.layerSpec?.outputSize ?? 0
        // An LSTM's state has a c part: its gradient gets a heatmap of its own.
        let cUnits = state.variables.first { $0.source == .stateC }?.count ?? 0
        let fixed = 3 + traceRows  // the loss, the ruler, the legend and the trace
        let textMin = compact ? 1 : 6
        if state.backwardWeights {
            let rows = max(0, min(blocks ?? 1, inner.height - fixed - textMin))
            return Geometry(inner: inner, range: range, cellWidth: cw, hRows: rows, cRows: 0,
                            textRows: max(0, inner.height - fixed - rows))
        }
        let heat = max(0, min(hUnits + cUnits, inner.height - fixed - textMin))
        var hRows = min(hUnits, cUnits > 0 ? (heat + 1) / 2 : heat)
        let cRows = min(cUnits, heat - hRows)
        hRows = min(hUnits, heat - cRows)
        return Geometry(inner: inner, range: range, cellWidth: cw, hRows: max(0, hRows), cRows: max(0, cRows),
                        textRows: max(0, inner.height - fixed - hRows - cRows))
    }

    struct Marks {
        let d: String, norm: String
        init(_ glyphs: Glyphs) {
            d = glyphs.isUnicode ? "∂" : "d"
            norm = glyphs.isUnicode ? "‖" : "|"
        }
    }

    /// A gradient in 9 columns: `+1.23e-04`, `0` for an exact zero.
    static func sci(_ v: Double?) -> String {
        guard let v else { return "-" }
        if v == 0 { return "0" }
        if !v.isFinite { return Format.precise(v) }
        return String(format: "%+.2e", v)
    }

    /// `10^k` as `1e-3`.
    static func decade(_ k: Int) -> String { "1e\(k)" }

    /// The cell for magnitude `v` on `scale`; exact zero is a dim dot.
    static func cell(_ v: Double, scale log: LogScale, mode: ColorMode, glyphs: Glyphs) -> Cell {
        if v == 0 { return Cell(glyphs.dot, style: Styles.dim) }
        let scale = HeatScale(kind: .sequential, mode: mode, glyphs: glyphs)
        guard v.isFinite else { return scale.cell(v) }
        return scale.cell(0.2 + 0.8 * log.level(v))
    }

    /// The legend row under the heatmaps: the scale's ends around a ramp of its colours, and which scale it is.
    static func legend(into c: inout Canvas, x: Int, y: Int, width: Int, scale: LogScale, inView: Bool, shared: Bool = false,
                       mode: ColorMode, glyphs: Glyphs) {
        let z = Keymap.names()(.heatmapScale)
        let top = decade(Int(scale.top)), bottom = decade(Int(scale.bottom))
        let which = inView ? "in view (\(z))" : shared ? "both runs (\(z))" : "whole run (\(z))"
        let rampWidth = max(0, min(8, width - top.count - bottom.count - which.count - 3))
        c.put(x: x, y: y, top, style: Styles.dim)
        for i in 0..<rampWidth {
            let exponent = scale.top - (scale.top - scale.bottom) * Double(i) / Double(max(1, rampWidth - 1))
            c.set(x: x + top.count + 1 + i, y: y, cell(pow(10, exponent), scale: scale, mode: mode, glyphs: glyphs))
        }
        let rest = "\(bottom) \(which)"
        c.put(x: x + top.count + 1 + rampWidth + (rampWidth > 0 ? 1 : 0), y: y, width: max(0, width - top.count - rampWidth - 2), rest, align: .left, style: Styles.dim)
    }

    /// `compact` and `name`: one of the two views stacked when an experiment is open beside (`O`), named.
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool,
                       compact: Bool = false, name: String? = nil) {
        let glyphs = c.glyphs
        let m = Marks(glyphs)
        let sep = Symbols(glyphs: glyphs).sep
        let layerCount = state.layers.count
        let dir = state.spec.bidirectional ? " " + state.direction.name : ""
        let named = name.map { " \(sep) \($0)" } ?? ""
        let title = "Backward\(dir)\(named) \(sep) layer \(state.layer) \(sep) example \(state.example) \(sep) \(Keymap.names()(.view(.backward)))"
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 4, inner.width > labelWidth + 4 else { return }
        func text(_ s: String) -> String { glyphs.isUnicode ? s : asciiOnly(s) }
        let loss = state.backward.describe(state) + " (\(Keymap.names()(.lossNext)))"
        c.put(x: inner.x, y: inner.y, width: inner.width, text(loss), align: .left, style: Styles.label.adding(.bold))
        guard let bd = data.backward else { return }
        if let r = bd.refusal {
            for (i, line) in wrapText(text(r), width: inner.width).enumerated() where i + 1 < inner.height {
                c.put(x: inner.x, y: inner.y + 1 + i, line, style: Styles.masked)
            }
            return
        }
        let shownBlocks = bd.weights?.displayOrder(layer: state.layer) ?? []
        let g = geometry(rect: rect, state: state, compact: compact, blocks: max(1, shownBlocks.count))
        let b = state.example
        let x0 = inner.x + labelWidth
        let cw = g.cellWidth

        // Ruler in sweep order.
        let rulerY = inner.y + 1
        c.put(x: inner.x, y: rulerY, "t" + (glyphs.isUnicode ? " ←" : " <-"), style: Styles.dim)
        let digits = String(max(0, g.range.upperBound - 1)).count
        let tick = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].first { $0 >= digits + 2 } ?? 10000
        var nextFree = 0
        // The cursor's label first: tick labels keep clear of it.
        var busy = -1..<(-1)
        if let col = g.column(of: state.t) {
            let width = "t=\(state.t)".count + 2
            busy = col * cw + width <= g.columns * cw ? (col * cw)..<(col * cw + width) : (col * cw - width + 1)..<(col * cw + 2)
        }
        for k in 0..<g.columns {
            let t = g.time(column: k)
            let span = (k * cw)..<(k * cw + String(t).count + 1)
            if t % tick == 0, k * cw >= nextFree, !span.overlaps(busy), span.upperBound <= inner.width - labelWidth {
                c.put(x: x0 + k * cw, y: rulerY, String(t), style: Styles.dim)
                nextFree = k * cw + String(t).count + 1
            }
        }
        if let col = g.column(of: state.t) {
            let marker = Symbols(glyphs: glyphs).marker
            let style = CellStyle(fg: .yellow, attributes: .bold)
            let label = "\(marker)t=\(state.t)"
            if col * cw + label.count <= g.columns * cw {
                c.put(x: x0 + col * cw, y: rulerY, label, style: style)
            } else {
                let back = "t=\(state.t)\(marker)"
                c.put(x: x0 + col * cw - back.count + 1, y: rulerY, back, style: style)
            }
        }

        // Heatmaps of ∂L/∂h and ∂L/∂c.
        var y = rulerY + 1
        let runScale = state.backwardScaleInView ? nil : LogScale.wholeRun(bd)
        var legendScale = runScale
        let unitsH = state.layerSpec?.outputSize ?? 0
        let unitsC = g.cRows > 0 ? (state.layerSpec?.numUnits ?? 0) : 0
        if state.backwardWeights {
            legendScale = weightRows(into: &c, g: g, state: state, data: bd, blocks: shownBlocks, x: inner.x, y: &y, mode: data.colorMode)
        }
        for (part, rows, units) in state.backwardWeights ? [] : [("h", g.hRows, unitsH), ("c", g.cRows, unitsC)] where rows > 0 {
            let values: [[Double]?] = (0..<g.columns).map { k in
                bd.frames[g.time(column: k)]?.stateGradient(part, layer: state.layer, layerCount: layerCount, row: b)
            }
            let biggest = values.compactMap { $0 }.flatMap { $0 }.filter(\.isFinite).map(abs).max() ?? 0
            let scale = runScale ?? LogScale.spanning(largest: biggest, span: decades)
            if part == "h" && legendScale == nil { legendScale = scale }
            let first = max(0, min(state.unit - rows / 2, units - rows))
            defer { drawUnitMarks(&c, x: inner.x, y: y - rows, rows: rows, first: first, total: units) }
            for r in 0..<rows {
                let unit = first + r
                let sel = unit == min(state.unit, units - 1)
                c.put(x: inner.x, y: y, r == 0 ? fit(m.d + part, 3) : "   ", style: Styles.label.adding(.bold))
                c.put(x: inner.x + 3, y: y, (sel ? String(glyphs.pointer) : " ") + String(unit).leftPad(2) + " ",
                      style: sel ? Styles.selected : Styles.dim)
                for k in 0..<g.columns {
                    let t = g.time(column: k)
                    var cell = Cell(" ")
                    if let v = values[k], v.indices.contains(unit) {
                        cell = self.cell(v[unit], scale: scale, mode: data.colorMode, glyphs: glyphs)
                        if bd.frames[t].map({ $0.isMasked(b) || !$0.ran }) == true { cell.style = cell.style.adding(.dim) }
                    }
                    if t == state.t && sel { cell.style = cell.style.adding(.underline) }
                    for j in 0..<cw { c.set(x: x0 + k * cw + j, y: y, j == 0 || cell.char != glyphs.dot ? cell : Cell(" ", style: cell.style)) }
                }
                y += 1
            }
        }

        // The colours' scale, on a row of its own (visible at any width).
        if let legendScale, g.hRows + g.cRows > 0 {
            c.put(x: inner.x, y: y, fit("scale", labelWidth), style: Styles.dim)
            legend(into: &c, x: x0, y: y, width: inner.width - labelWidth, scale: legendScale, inView: state.backwardScaleInView,
                   shared: bd.sharedScale, mode: data.colorMode, glyphs: glyphs)
        }
        y += 1

        // Trace of ‖∂L/∂state_t‖ (the layer's h array) on a log scale: the whole run's, or the steps in view'.
        let index = bd.arrayIndex("h", layer: state.layer, layerCount: layerCount)
        let series: [Double?] = (0..<g.columns).map { k in index.flatMap { i in bd.norms[g.time(column: k)].map { $0[i] } } }
        let finite = series.compactMap { $0 }.filter { $0 > 0 && $0.isFinite }
        let traceScale = runScale ?? LogScale.spanning(largest: finite.max() ?? 0, smallest: finite.min(), span: decades)
        let topN = traceScale.top, bottomN = traceScale.bottom
        let traceTop = y
        c.put(x: inner.x, y: traceTop, fit(decade(Int(topN)), labelWidth), style: Styles.dim)
        c.put(x: inner.x, y: traceTop + 1, fit(m.norm + m.d + "h" + m.norm, labelWidth), style: Styles.label.adding(.bold))
        c.put(x: inner.x, y: traceTop + traceRows - 1, fit(decade(Int(bottomN)), labelWidth), style: Styles.dim)
        let levels = glyphs.isUnicode ? Array("▁▂▃▄▅▆▇█") : Array("_.-=+*#@")
        for k in 0..<g.columns {
            let t = g.time(column: k)
            let cursor = t == state.t
            guard let n = series[k] else { continue }
            let style = cursor ? CellStyle(fg: .yellow, attributes: [.bold, .reverse]) : CellStyle(fg: .green)
            if n == 0 || !n.isFinite {
                c.set(x: x0 + k * cw, y: traceTop + traceRows - 1, Cell(n == 0 ? glyphs.dot : glyphs.nan, style: cursor ? style : Styles.dim))
                continue
            }
            let f = traceScale.level(n)
            let total = f * Double(traceRows)
            for r in 0..<traceRows {
                let fill = min(1, max(0, total - Double(r)))
                let ch: Character
                if fill >= 1 { ch = levels[levels.count - 1] } else if fill > 0 { ch = levels[min(levels.count - 1, Int(fill * Double(levels.count)))] } else { ch = r == 0 ? levels[0] : " " }
                for j in 0..<max(1, cw - (cw > 1 ? 1 : 0)) {
                    c.set(x: x0 + k * cw + j, y: traceTop + traceRows - 1 - r, Cell(ch, style: style))
                }
            }
        }
        y = traceTop + traceRows

        // The frame at t in words and numbers (or the weights' gradients at t).
        let lines = state.backwardWeights ? weightLines(state: state, data: bd, blocks: shownBlocks, glyphs: glyphs, width: inner.width)
                                          : frameLines(state: state, data: bd, glyphs: glyphs, width: inner.width)
        let top = min(max(0, state.frameScroll), max(0, lines.count - g.textRows))
        for (line, style) in lines.dropFirst(top).prefix(max(0, inner.maxY - y)) {
            c.put(x: inner.x, y: y, width: inner.width, text(line), align: .left, style: style)
            y += 1
        }
        drawMoreMarks(&c, rect, title: title, focused: focused, above: top, below: max(0, lines.count - top - g.textRows))
    }

    /// The frame at `state.t` for the selected example, layer and unit, in words and numbers (wrapped).
    static func frameLines(state: ExplorerState, data bd: BackwardData, glyphs: Glyphs, width: Int) -> [(String, CellStyle)] {
        let m = Marks(glyphs)
        let d = m.d
        let t = state.t, b = state.example, l = state.layer
        let layerCount = state.layers.count
        var out: [(String, CellStyle)] = []
        func add(_ s: String, _ style: CellStyle = .plain) {
            for line in wrapText(s, width: width) { out.append((line, style)) }
        }
        guard let f = bd.frames[t] else {
            if let e = bd.failure { add("the sweep failed: \(e)", Styles.error) }
            else { add("t=\(t) not swept yet (backward \(Format.count(bd.completed))/\(Format.count(bd.maxTime)))", Styles.dim.adding(.bold)) }
            return out
        }
        let units = state.layerSpec?.outputSize ?? 1
        let u = min(max(0, state.unit), max(0, units - 1))
        let hasC = f.arriving("c", layer: l, layerCount: layerCount, row: b) != nil
        let index = bd.arrayIndex("h", layer: l, layerCount: layerCount)
        let normNow = index.flatMap { i in bd.norms[t].map { $0[i] } }
        func at(_ v: [Double]?, _ k: Int) -> Double? { v.flatMap { $0.indices.contains(k) ? $0[k] : nil } }
        let fromNextH = at(f.arriving("h", layer: l, layerCount: layerCount, row: b), u)
        let fromNextC = hasC ? at(f.arriving("c", layer: l, layerCount: layerCount, row: b), u) : nil
        let backH = at(f.passedBack("h", layer: l, layerCount: layerCount, row: b), u)
        let backC = hasC ? at(f.passedBack("c", layer: l, layerCount: layerCount, row: b), u) : nil
        let cPart = { (v: Double?) in hasC ? "  \(d)c[\(u)] \(sci(v))" : "" }
        let length = BackwardSelection.validSteps(state, example: b)
        add("t=\(t), unit \(u): from t+1 \(d)h[\(u)] \(sci(fromNextH))" + cPart(fromNextC)
            + "  \(m.norm)\(d)h\(m.norm) \(sci(normNow).replacingOccurrences(of: "+", with: ""))", .bold)
        if !f.ran {
            add("past the loop bound: no cell ran at t=\(t); the state's gradient passes back unchanged", Styles.masked)
            add("to t-1: \(d)h[\(u)] \(sci(backH))" + cPart(backC) + " (= from t+1)")
            return out
        }
        if f.isMasked(b) {
            add("masked: t=\(t) \(Symbols(glyphs: glyphs).geq) length \(length) \(Symbols(glyphs: glyphs).arrow) the output's gradient is 0 and \(d)L/\(d)state passes back through the copy unchanged", Styles.masked.adding(.bold))
            add("from the output at t: \(d)y[\(u)] 0 (the emitted 0 is a constant)", Styles.masked)
            add("to t-1: \(d)h[\(u)] \(sci(backH))" + cPart(backC) + " (= from t+1, copied)", Styles.masked)
            return out
        }
        guard let ld = f.layers.first(where: { $0.layer == l }) else { return out }
        let fromOut = at(ld.outputGradientRow(b), u)
        let source = l == layerCount - 1 ? "the output at t" : "layer \(l + 1) at t"
        add("from \(source): \(d)y[\(u)] \(sci(fromOut))")
        let totalH = at(ld.gradientRow("h", b), u)
        let totalC = hasC ? at(ld.gradientRow("c", b), u) : nil
        add("total \(d)h_t[\(u)] \(sci(totalH))" + cPart(totalC))
        let gates = GateTable.gates(ofCellNamed: ld.cellName)
        if !gates.isEmpty {
            let items = gates.map { gate -> String in "\(d)\(gate.name) \(sci(at(ld.gradientRow(gate.name, b), u)))" }
            add("gates: " + items.joined(separator: "  "))
        }
        if let dx = ld.inputGradientRow(b) {
            let shown = dx.prefix(max(1, (width - 14) / 11)).map(sci)
            add("\(d)x_t[\(dx.count)] (" + shown.joined(separator: ", ") + (dx.count > shown.count ? ", \(glyphs.ellipsis))" : ")"))
        }
        add("to t-1: \(d)h[\(u)] \(sci(backH))" + cPart(backC))
        return out
    }
}
