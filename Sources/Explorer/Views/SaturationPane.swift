import RNNEngine
import TerminalUI

/// Gate saturation per unit (`GateSaturation`): one row per unit, one bar per gate, the left-saturated share
/// drawn from the left (`<`), the right-saturated share from the right (`>`); the selected unit's numbers below.
enum SaturationPane {
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let sep = Symbols(glyphs: c.glyphs).sep
        let title = "Gate saturation \(sep) layer \(state.layer) \(sep) \(Keymap.names()(.view(.saturation)))"
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 3, inner.width > 20 else { return }
        guard let s = data.saturation else {
            c.put(x: inner.x, y: inner.y, width: inner.width, "computing: the gates of the steps so far", align: .left, style: Styles.dim)
            return
        }
        if s.gates.isEmpty {
            let lines = wrapText("\(state.layerSpec?.typeName ?? "this cell") has no sigmoid gates: nothing saturates. Pick an LSTM or GRU layer with [ ].", width: inner.width)
            for (i, l) in lines.enumerated() where i < inner.height { c.put(x: inner.x, y: inner.y + i, l, style: Styles.dim) }
            return
        }
        let units = s.left.first?.count ?? 0
        let footer = s.gates.count + 3
        let unitRows = max(1, inner.height - 1 - footer)
        let labelW = 5
        let barW = max(4, (inner.width - labelW) / s.gates.count - 2)
        // Header: gate names over their bars.
        let table = state.layerSpec?.unwrappedLayer?.descriptor.gates ?? []
        for (g, name) in s.gates.enumerated() {
            let label = Format.gateLabel(name, gates: table, kind: state.layerSpec?.unwrappedLayer?.kind, convention: state.spec.convention)
            c.put(x: inner.x + labelW + g * (barW + 2), y: inner.y, width: barW, label.count <= barW ? label : name,
                  align: .left, style: Styles.label.adding(.bold))
        }
        let top = max(0, min(state.unit - unitRows / 2, units - unitRows))
        for row in 0..<min(unitRows, units) {
            let k = top + row
            let y = inner.y + 1 + row
            let sel = k == state.unit
            c.put(x: inner.x, y: y, (sel ? String(c.glyphs.pointer) : " ") + String(k).leftPad(3), style: sel ? Styles.selected : Styles.dim)
            for g in s.gates.indices {
                let x = inner.x + labelW + g * (barW + 2)
                let l = Int((s.left[g][k] * Double(barW)).rounded()), r = Int((s.right[g][k] * Double(barW)).rounded())
                for j in 0..<barW {
                    let cell: Cell
                    if j < l { cell = Cell("<", style: CellStyle(fg: .white, bg: .blue, attributes: .bold)) }
                    else if j >= barW - r { cell = Cell(">", style: CellStyle(fg: .white, bg: .red, attributes: .bold)) }
                    else { cell = Cell(c.glyphs.dot, style: Styles.dim) }
                    c.set(x: x + j, y: y, cell)
                }
            }
        }
        drawMoreMarks(&c, rect, title: title, focused: focused, above: top, below: max(0, units - top - unitRows))
        var y = inner.maxY - footer
        let k = min(max(0, state.unit), max(0, units - 1))
        func pct(_ v: Double) -> String { "\(Int((v * 100).rounded()))%" }
        var details = s.gates.indices.map { g in
            ("unit \(k) \(s.gates[g]): \(pct(s.left[g][k])) < 0.1, \(pct(s.right[g][k])) > 0.9", CellStyle.bold)
        }
        let summary = "< left-saturated (< 0.1)  > right-saturated (> 0.9); over steps \(s.steps.lowerBound)\(c.glyphs.dash)\(max(s.steps.lowerBound, s.steps.upperBound - 1)) of \(state.maxTime), \(Format.count(s.samples)) unmasked (row, step) samples, all examples"
        details.append((summary, Styles.dim))
        for (text, style) in details {
            for line in wrapText(c.glyphs.isUnicode ? text : asciiOnly(text), width: inner.width) where y < inner.maxY {
                c.put(x: inner.x, y: y, line, style: style)
                y += 1
            }
        }
    }
}
