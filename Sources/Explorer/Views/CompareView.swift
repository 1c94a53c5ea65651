import RNNEngine
import TerminalUI

/// View 6: the open experiment under its convention and another, for the selected example: where the outputs
/// first differ, in words; each side's outputs per unit over time and their difference (a dim dot where they
/// agree exactly); the numbers of the selected unit at t side by side; whether the final states agree.
enum CompareView {
    static let labelWidth = 9

    static func sideName(_ c: Convention) -> String { c.rawValue }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let glyphs = c.glyphs
        let sep = Symbols(glyphs: glyphs).sep
        let left = state.spec.convention, right = ConventionChoice.other(state)
        let k = Keymap.names()
        // Two experiments (`O`): the sides are named after them.
        let experiments = data.comparison?.ofExperiments == true
        let leftName = data.comparison?.leftName ?? sideName(left), rightName = data.comparison?.rightName ?? sideName(right)
        let title = "Compare \(leftName) vs \(rightName) \(sep) example \(state.example) \(sep) \(k(.view(.compare)))"
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 4, inner.width > labelWidth + 4 else { return }
        func text(_ s: String) -> String { glyphs.isUnicode ? s : asciiOnly(s) }
        var y = inner.y
        func line(_ s: String, _ style: CellStyle = .plain, max rows: Int = 99) {
            for (i, l) in wrapText(text(s), width: inner.width).enumerated() where i < rows && y < inner.maxY {
                c.put(x: inner.x, y: y, width: inner.width, l, align: .left, style: style)
                y += 1
            }
        }
        guard let result = data.comparison?.result else {
            line(experiments ? "running \(leftName) and \(rightName) on the same inputs..."
                             : "running the model under \(left.frameworkName) and \(right.frameworkName)...", Styles.dim)
            return
        }
        let o: ComparisonRun.Outcome
        switch result {
        case let .failure(r) where experiments:
            line("cannot compare \(leftName) with \(rightName): " + r.reason, Styles.masked)
            line("\(k(.openBeside)): close \(rightName) (then \(k(.view(.compare))) compares conventions)", Styles.dim)
            return
        case let .failure(r):
            line("\(right.frameworkName) cannot run this model: " + r.reason, Styles.masked)
            line("\(k(.view(.compare))): compare with the other convention; \(k(.conventionNext)): switch the experiment's", Styles.dim)
            return
        case let .success(v): o = v
        }
        let d = state.spec.bidirectional ? state.direction : .forward
        let b = state.example
        // Where they first differ, in the engine's words.
        line(o.summary, o.firstDifference == nil ? Styles.ok.adding(.bold) : Styles.masked.adding(.bold), max: 3)
        // The two sides next to each other when half the pane holds a useful window, else one above the other;
        // the difference below the first side, on the same steps.
        let half = (inner.width - 1) / 2
        let sideBySide = half - labelWidth >= min(max(1, state.maxTime), 16)
        let available = max(1, (sideBySide ? half : inner.width) - labelWidth)
        let cw = HeatmapPane.cellWidth(available: available, maxTime: state.maxTime)
        let columns = max(1, available / cw)
        let range = FrameWindow.range(start: FrameWindow.adjusted(start: state.windowStart, t: state.t, columns: columns, maxTime: state.maxTime),
                                      columns: columns, maxTime: state.maxTime)
        let width = state.spec.cell(for: d).outputSize
        // The footer: the selected unit at t on one or two lines, then the final states.
        let u = state.unit
        func at(_ v: [Double]?) -> Double? { v.flatMap { $0.indices.contains(u) ? $0[u] : nil } }
        func num(_ v: Double?) -> String { v.map { Format.num($0).trimmingCharacters(in: .whitespaces) } ?? "-" }
        let delta = at(o.difference(direction: d, t: state.t, example: b)).map { $0 == 0 ? "0" : String(BackwardView.sci($0).drop { $0 == "+" }) } ?? "-"
        let readout = "t=\(state.t) u\(u): \(leftName) \(num(at(o.output(side: 0, direction: d, t: state.t, example: b))))"
            + " | \(rightName) \(num(at(o.output(side: 1, direction: d, t: state.t, example: b)))) | |diff| \(delta)"
        let states = (o.statesEqual ? "final states identical" : "final states differ")
            + (experiments ? "; the same inputs, two experiments" : "; same cells and weights, two rule sets")
        let footer = min(2, wrapText(readout, width: inner.width).count) + min(2, wrapText(states, width: inner.width).count)
        func values(_ side: Int, _ t: Int) -> [Double]? { o.output(side: side, direction: d, t: t, example: b) }
        func diff(_ t: Int) -> [Double]? { o.difference(direction: d, t: t, example: b) }
        var biggest = 0.0
        for t in range { for side in 0..<2 { for v in values(side, t) ?? [] where v.isFinite { biggest = max(biggest, abs(v)) } } }
        var biggestDiff = 0.0
        for t in range { for v in diff(t) ?? [] where v.isFinite { biggestDiff = max(biggestDiff, abs(v)) } }
        let scale = HeatScale(kind: .diverging, mode: data.colorMode, glyphs: glyphs)
        let magnitude = HeatScale(kind: .sequential, mode: data.colorMode, glyphs: glyphs)
        func ruler(x: Int, y: Int) {
            let x0 = x + labelWidth
            c.put(x: x, y: y, "t", style: Styles.dim)
            for t in range where t % 5 == 0 { c.put(x: x0 + (t - range.lowerBound) * cw, y: y, String(t), style: Styles.dim) }
            if range.contains(state.t) {
                let label = "\(Symbols(glyphs: glyphs).marker)t=\(state.t)"
                let col = (state.t - range.lowerBound) * cw
                c.put(x: col + label.count <= range.count * cw ? x0 + col : x0 + col - label.count + 1, y: y, label,
                      style: CellStyle(fg: .yellow, attributes: .bold))
            }
        }
        func block(_ name: String, x: Int, y top: Int, rows: Int, _ get: (Int) -> [Double]?, isDiff: Bool) {
            let x0 = x + labelWidth
            let first = max(0, min(state.unit - rows / 2, width - rows))
            for r in 0..<min(rows, width) where top + r < inner.maxY - footer {
                let unit = first + r, y = top + r
                let sel = unit == state.unit
                c.put(x: x, y: y, r == 0 ? fit(name, 6) : "      ", style: Styles.label.adding(.bold))
                c.put(x: x + 6, y: y, String(unit % 100).leftPad(2) + " ", style: sel ? Styles.selected : Styles.dim)
                for t in range {
                    var cell = Cell(" ")
                    if let v = get(t), v.indices.contains(unit) {
                        if isDiff && v[unit] == 0 { cell = Cell(glyphs.dot, style: Styles.dim) }
                        else if isDiff { cell = magnitude.cell(biggestDiff > 0 ? min(1, 0.2 + 0.8 * v[unit] / biggestDiff) : 0) }
                        else { cell = scale.cell(biggest > 0 ? v[unit] / biggest : 0) }
                    }
                    if t == state.t && sel { cell.style = cell.style.adding(.underline) }
                    let k = t - range.lowerBound
                    for j in 0..<cw { c.set(x: x0 + k * cw + j, y: y, j == 0 || cell.char != glyphs.dot ? cell : Cell(" ", style: cell.style)) }
                }
            }
        }
        guard y < inner.maxY else { return }
        if sideBySide {
            let rows = max(1, min(width, (inner.maxY - y - footer - 1) / 2))
            ruler(x: inner.x, y: y)
            ruler(x: inner.x + half + 1, y: y)
            block(leftName, x: inner.x, y: y + 1, rows: rows, { values(0, $0) }, isDiff: false)
            block(rightName, x: inner.x + half + 1, y: y + 1, rows: rows, { values(1, $0) }, isDiff: false)
            block("|diff|", x: inner.x, y: y + 1 + rows, rows: rows, diff, isDiff: true)
        } else {
            let rows = max(1, min(width, (inner.maxY - y - footer - 1) / 3))
            ruler(x: inner.x, y: y)
            for (i, (name, get, isDiff)) in [(leftName, { values(0, $0) }, false), (rightName, { values(1, $0) }, false),
                                             ("|diff|", diff, true)].enumerated() {
                block(name, x: inner.x, y: y + 1 + i * rows, rows: rows, get, isDiff: isDiff)
            }
        }
        // The selected unit at t, side by side, and the final states.
        y = inner.maxY - footer
        line(readout, .bold, max: 2)
        line(states, Styles.dim, max: 2)
    }
}
