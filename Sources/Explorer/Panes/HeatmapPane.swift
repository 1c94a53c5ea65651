import RNNEngine
import TerminalUI

/// Units × time heatmaps of h, c and each gate of the selected layer (for the selected example), over the
/// window of steps around the cursor. The current step is marked on the ruler; masked steps show a dot
/// (state copied through); NaN/Inf and out-of-range values show markers. Below: a sparkline of the
/// selected unit and its value at the cursor.
enum HeatmapPane {
    static let labelWidth = 7

    struct Block: Equatable {
        let variable: Int
        let y: Int
        let rows: Int
        let firstUnit: Int
    }

    struct Geometry {
        let inner: Rect
        /// Time steps shown, and terminal columns per step (wider when max_time is small).
        let columns: Int
        let cellWidth: Int
        let range: Range<Int>
        /// The ruler's row; a pane of one or two rows has none (its rows show cells, the cursor's underlined).
        let rulerY: Int?
        let blocks: [Block]
        let sparkY: Int?
        let readoutY: Int?
    }

    /// Terminal columns per time step: up to 6 when max_time is small, so short sequences fill the pane.
    static func cellWidth(available: Int, maxTime: Int) -> Int {
        maxTime > 0 ? min(6, max(1, available / maxTime)) : 1
    }

    /// Time steps the heatmaps in `rect` show (the frame window).
    static func columns(for rect: Rect, maxTime: Int) -> Int {
        let available = max(1, rect.width - 2 - labelWidth)
        return max(1, available / cellWidth(available: available, maxTime: maxTime))
    }

    static func geometry(rect: Rect, state: ExplorerState) -> Geometry {
        // Under a frame that needs nearly all the rows, one or two rows are too few for a box: they hold a strip of
        // the selected heatmap's cells instead of a bare title line.
        let inner = isStrip(rect) ? Rect(x: rect.x, y: rect.y, width: rect.width, height: 1) : rect.interior
        let available = max(1, inner.width - labelWidth)
        let cw = cellWidth(available: available, maxTime: state.maxTime)
        let columns = max(1, available / cw)
        let range = FrameWindow.range(start: state.windowStart, columns: columns, maxTime: state.maxTime)
        let footer = inner.height >= 6 ? 2 : (inner.height >= 4 ? 1 : 0)
        let readoutY: Int? = footer >= 1 ? inner.maxY - 1 : nil
        let sparkY: Int? = footer >= 2 ? inner.maxY - 2 : nil
        let top = inner.y + (inner.height >= 3 ? 1 : 0)
        var y = top
        let bottom = inner.maxY - footer
        let vars = state.variables
        var blocks: [Block] = []
        if !vars.isEmpty {
            let sel = min(max(0, state.heatVariable), vars.count - 1)
            for k in 0..<vars.count where y < bottom {
                let v = (sel + k) % vars.count
                let rows = min(vars[v].count, bottom - y)
                let first = max(0, min(state.unit - rows / 2, vars[v].count - rows))
                blocks.append(Block(variable: v, y: y, rows: rows, firstUnit: first))
                y += rows
            }
        }
        return Geometry(inner: inner, columns: columns, cellWidth: cw, range: range, rulerY: top > inner.y ? inner.y : nil, blocks: blocks,
                        sparkY: sparkY, readoutY: readoutY)
    }

    /// Whether `rect` is drawn as a strip of cells rather than a box.
    static func isStrip(_ rect: Rect) -> Bool { rect.height > 0 && rect.height < 3 }

    /// What a click at (x, y) selects: a step, a heatmap, a unit.
    static func hit(x: Int, y: Int, rect: Rect, state: ExplorerState) -> (t: Int?, variable: Int?, unit: Int?) {
        let g = geometry(rect: rect, state: state)
        var t: Int?
        let col = (x - g.inner.x - labelWidth) / g.cellWidth
        if x - g.inner.x - labelWidth >= 0, col < g.range.count { t = g.range.lowerBound + col }
        if let b = g.blocks.first(where: { y >= $0.y && y < $0.y + $0.rows }) {
            return (t, b.variable, b.firstUnit + (y - b.y))
        }
        return (t, nil, nil)
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let sep = Symbols(glyphs: c.glyphs).sep
        let g = geometry(rect: rect, state: state)
        let title = "Heatmaps \(sep) layer \(state.layer) \(sep) example \(state.example) \(sep) t=\(g.range.lowerBound)\(c.glyphs.dash)\(max(g.range.lowerBound, g.range.upperBound - 1))"
        if !isStrip(rect) { drawPaneBox(&c, rect, title: title, focused: focused) }
        let inner = g.inner
        guard inner.height > 0, inner.width > labelWidth else { return }
        let vars = state.variables
        let layerCount = state.layers.count
        let b = state.example
        let x0 = inner.x + labelWidth
        let cw = g.cellWidth

        // Ruler with tick labels and the cursor marker.
        if let rulerY = g.rulerY {
            c.put(x: inner.x, y: rulerY, "t", style: Styles.dim)
            let digits = String(max(0, g.range.upperBound - 1)).count
            let tick = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000].first { $0 >= digits + 2 } ?? 10000
            var nextFree = 0
            for t in g.range where t % tick == 0 {
                let col = (t - g.range.lowerBound) * cw
                if col >= nextFree { c.put(x: x0 + col, y: rulerY, String(t), style: Styles.dim); nextFree = col + String(t).count + 1 }
            }
            if g.range.contains(state.t) {
                // "▼t=N" starting at the cursor, or "t=N▼" ending there when it would run past the right edge.
                let col = (state.t - g.range.lowerBound) * cw
                let marker = Symbols(glyphs: c.glyphs).marker
                let span = g.range.count * cw
                let style = CellStyle(fg: .yellow, attributes: .bold)
                if col + 1 + "t=\(state.t)".count <= span {
                    c.put(x: x0 + col, y: rulerY, "\(marker)t=\(state.t)", style: style)
                } else {
                    let label = "t=\(state.t)\(marker)"
                    c.put(x: x0 + col - label.count + 1, y: rulerY, label, style: style)
                }
            }
        }

        // Blocks.
        var selectedScale = ""
        let pm = c.glyphs.isUnicode ? "±" : "+-"
        let z = Keymap.names()(.heatmapScale)
        for block in g.blocks {
            let v = vars[block.variable]
            let scale = HeatScale(kind: v.isGate01 ? .sequential : .diverging, mode: data.colorMode, glyphs: c.glyphs)
            let selectedVar = block.variable == min(max(0, state.heatVariable), vars.count - 1)
            var columns: [(values: [Double]?, masked: Bool, computed: Bool)] = []
            for t in g.range {
                guard let f = data.frame(at: t) else { columns.append((nil, false, false)); continue }
                columns.append((f.values(of: v, layer: state.layer, layerCount: layerCount, row: b), f.isMasked(b) || !f.ran, true))
            }
            // Auto scale: divide by the largest |value| in view so small activations still show colour.
            var divisor = 1.0
            if state.heatAutoScale && !v.isGate01 {
                var m = 0.0
                for col in columns { for x in col.values ?? [] where x.isFinite { m = max(m, abs(x)) } }
                divisor = m > 1e-12 ? m : 1
            }
            if selectedVar { selectedScale = v.isGate01 ? "0..1" : (state.heatAutoScale ? "\(pm)\(Format.precise(divisor).dropFirst().prefix(5)) (\(z))" : "\(pm)1 (\(z))") }
            for r in 0..<block.rows {
                let unit = block.firstUnit + r
                let y = block.y + r
                let isSel = selectedVar && unit == state.unit
                let name = r == 0 ? fit(v.name, 3) : "   "
                c.put(x: inner.x, y: y, name, style: selectedVar ? Styles.label.adding(.bold) : Styles.label)
                let unitLabel = (isSel ? String(c.glyphs.pointer) : " ") + String(unit).leftPad(2)
                c.put(x: inner.x + 3, y: y, unitLabel + " ", style: isSel ? Styles.selected : Styles.dim)
                for (k, col) in columns.enumerated() {
                    var cell: Cell
                    if let vals = col.values, vals.indices.contains(unit) {
                        cell = scale.cell(vals[unit] / divisor)
                        if col.masked {
                            if cell.char == " " || data.colorMode == .none { cell.char = c.glyphs.dot }
                            cell.style = cell.style.adding(.dim)
                        }
                    } else if col.computed {
                        cell = Cell(c.glyphs.dot, style: Styles.dim)  // not recorded at this step (no cell ran)
                    } else {
                        cell = Cell(" ")
                    }
                    if g.range.lowerBound + k == state.t && isSel { cell.style = cell.style.adding(.underline) }
                    // A masked step is hatched with dots across the whole cell, so it stands out on any colour.
                    let hatched = col.masked && cell.char == c.glyphs.dot
                    for j in 0..<cw {
                        let keep = hatched ? j % 2 == 0 : (j == 0 || cell.char != " " && cell.char != c.glyphs.dot)
                        c.set(x: x0 + k * cw + j, y: y, keep ? cell : Cell(" ", style: cell.style))
                    }
                }
            }
            drawUnitMarks(&c, x: inner.x, y: block.y, rows: block.rows, first: block.firstUnit, total: v.count)
        }

        // Sparkline and value under the cursor for the selected unit of the selected heatmap.
        guard let v = state.variable else { return }
        var series: [Double] = []
        var maskedFlags: [Bool] = []
        for t in g.range {
            guard let f = data.frame(at: t) else { break }
            let vals = f.values(of: v, layer: state.layer, layerCount: layerCount, row: b)
            series.append(vals.flatMap { $0.indices.contains(state.unit) ? $0[state.unit] : nil } ?? .nan)
            maskedFlags.append(f.isMasked(b) || !f.ran)
        }
        if let sy = g.sparkY {
            c.put(x: inner.x, y: sy, width: labelWidth, "\(v.name)[\(state.unit)]", align: .left, style: Styles.label)
            var cells = Sparkline.cells(series, range: v.isGate01 ? 0...1 : nil, glyphs: c.glyphs, mode: data.colorMode,
                                        style: CellStyle(fg: .green))
            for i in cells.indices where maskedFlags[i] { cells[i].style = cells[i].style.adding(.dim) }
            for (k, cell) in cells.enumerated() { c.set(x: x0 + k * cw, y: sy, cell) }
        }
        if let ry = g.readoutY {
            var text = "\(v.name)[\(state.unit)] t=\(state.t): "
            if let f = data.frame(at: state.t) {
                if let vals = f.values(of: v, layer: state.layer, layerCount: layerCount, row: b), vals.indices.contains(state.unit) {
                    text += Format.precise(vals[state.unit])
                    if !f.ran { text += " (no cell ran: state unchanged)" }
                    else if f.isMasked(b) {
                        if v.source == .stateH || v.source == .stateC {
                            // The state is copied through; what the layer passed on is another matter (TF masks the whole cell).
                            text += state.layer < layerCount - 1
                                ? " (masked: state copied, output to layer \(state.layer + 1))"
                                : (FrameRows.masksToZero(state.spec) ? " (masked: state copied, emitted 0)" : " (masked: state copied, last output again)")
                        } else {
                            text += " (masked: computed, then discarded)"
                        }
                    }
                } else {
                    text += "not recorded (no cell ran)"
                }
            } else {
                text += state.maxTime == 0 ? "no time steps (max_time is 0)" : "not computed yet"
            }
            c.put(x: inner.x, y: ry, width: inner.width, text, align: .left)
        }
        if !selectedScale.isEmpty && !isStrip(rect) {
            c.box(rect, title: title + " \(sep) " + selectedScale, style: focused ? Styles.focusedBorder : Styles.border,
                  titleStyle: focused ? Styles.focusedBorder.adding(.reverse) : CellStyle.bold)
        }
    }
}
