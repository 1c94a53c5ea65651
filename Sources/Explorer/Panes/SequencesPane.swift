import RNNEngine
import TerminalUI

/// Per-example valid steps as bars over the time axis (`sequence_length`, or a step mask of any pattern, in input
/// order): valid steps drawn solid, masked ones (padding, holes: state carried, output as the convention emits it)
/// as dots, a column holding both (several steps per column) as a half bar; the current step's column highlighted.
/// The label gives each row's length, or under a mask its number of valid steps.
enum SequencesPane {
    /// Where rows and columns are, shared by drawing and mouse hits.
    struct Geometry {
        let inner: Rect
        let labelWidth: Int
        let columns: Int
        let stepsPerColumn: Int
        /// Terminal columns per step when max_time is small (up to 3).
        let cellWidth: Int
        let top: Int
        let rows: Int
        let maxTime: Int

        init(rect: Rect, state: ExplorerState) {
            inner = rect.interior
            labelWidth = 7 + String(max(0, state.batchSize - 1)).count + Geometry.lengthWidth(state)
            let available = max(1, inner.width - labelWidth)
            maxTime = state.maxTime
            cellWidth = state.maxTime > 0 ? min(3, max(1, available / state.maxTime)) : 1
            columns = max(1, available / cellWidth)
            stepsPerColumn = max(1, (state.maxTime + columns - 1) / columns)
            rows = max(0, inner.height - 1)
            top = max(0, min(state.example - rows + 1, state.batchSize - rows))
        }

        /// Columns a length takes: enough for max_time and for every given length (`-1`, `123`).
        static func lengthWidth(_ state: ExplorerState) -> Int {
            ([String(state.maxTime)] + (state.stepMask == nil ? state.spec.sequenceLength ?? [] : []).map(String.init)).map(\.count).max() ?? 1
        }

        /// Columns actually used by the time axis.
        var usedColumns: Int { min(columns, (maxTime + stepsPerColumn - 1) / stepsPerColumn) }
        func column(of t: Int) -> Int { t / stepsPerColumn }
        func time(atX x: Int) -> Int? {
            guard x - inner.x - labelWidth >= 0 else { return nil }
            let col = (x - inner.x - labelWidth) / cellWidth
            guard col < usedColumns else { return nil }
            return min(maxTime - 1, col * stepsPerColumn)
        }
        func example(atY y: Int) -> Int? {
            let row = y - inner.y
            guard row >= 0, row < rows else { return nil }
            return top + row
        }
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let lengths = state.spec.sequenceLength
        let sep = Symbols(glyphs: c.glyphs).sep
        let title: String
        if state.stepMask != nil {
            title = state.spec.maskValue.map { "Sequences \(sep) mask_value=\(Format.compact($0))" } ?? "Sequences \(sep) mask"
        } else {
            title = lengths == nil ? "Sequences \(sep) sequence_length=None (no masking)" : "Sequences \(sep) sequence_length"
        }
        drawPaneBox(&c, rect, title: title, focused: focused)
        let g = Geometry(rect: rect, state: state)
        guard g.inner.height > 0, g.inner.width > 0 else { return }
        let sym = Symbols(glyphs: c.glyphs)
        let cursorCol = g.column(of: state.t)
        for row in 0..<g.rows {
            let b = g.top + row
            guard b < state.batchSize else { break }
            let y = g.inner.y + row
            let len = lengths.map { $0.indices.contains(b) ? $0[b] : state.maxTime } ?? state.maxTime
            let selected = b == state.example
            let pointer = selected ? String(c.glyphs.pointer) : " "
            let lenText = state.stepMask.map { m in b < m.batchSize ? String(m.validSteps(example: b).count) : "-" }
                ?? (lengths == nil ? "-" : String(len))
            let word = state.stepMask == nil ? "len" : "val"
            let label = "\(pointer)\(String(b).leftPad(String(max(0, state.batchSize - 1)).count)) \(word) \(lenText.leftPad(Geometry.lengthWidth(state)))"
            c.put(x: g.inner.x, y: y, width: g.labelWidth, label, align: .left,
                  style: selected ? (focused ? Styles.selected : .bold) : .plain)
            for col in 0..<g.usedColumns {
                let start = col * g.stepsPerColumn
                let steps = start..<min(state.maxTime, start + g.stepsPerColumn)
                let valid = steps.filter { MaskEdit.isValid(state, example: b, step: $0) }.count
                // Past the loop bound no cell runs (lengths only: a mask's loop bound is in the loop's reading order).
                let active = valid > 0 && (state.stepMask != nil || start < data.loopBound)
                let partial = active && valid < steps.count
                let isCursor = col == cursorCol
                var style: CellStyle = active ? CellStyle(fg: selected ? .green : .cyan) : Styles.dim
                if isCursor { style = active ? CellStyle(fg: .yellow, attributes: [.bold]) : CellStyle(fg: .yellow, attributes: [.reverse]) }
                let ch: Character = !active ? c.glyphs.dot : isCursor ? sym.cursorBar : partial ? (c.glyphs.isUnicode ? "▌" : ":") : sym.bar
                for j in 0..<g.cellWidth {
                    let gap = j > 0 && !active
                    c.set(x: g.inner.x + g.labelWidth + col * g.cellWidth + j, y: y, Cell(gap ? " " : ch, style: gap ? .plain : style))
                }
            }
        }
        drawMoreMarks(&c, rect, title: title, focused: focused, above: g.top, below: max(0, state.batchSize - g.top - g.rows))
        // Axis: 0 at the left, max_time at the right, a marker under the current step.
        let y = g.inner.maxY - 1
        guard y >= g.inner.y + min(g.rows, state.batchSize) || g.rows == 0 else { return }
        let x0 = g.inner.x + g.labelWidth
        c.put(x: g.inner.x, y: y, width: g.labelWidth, g.stepsPerColumn > 1 ? " t (\(g.stepsPerColumn)/col)" : " t", align: .left, style: Styles.dim)
        let endLabel = String(state.maxTime)
        let span = g.usedColumns * g.cellWidth
        let cursorX = cursorCol * g.cellWidth
        let label = "t=\(state.t)"
        // The cursor label goes right of the arrow, or left of it near the right edge.
        let labelStart = cursorX + 1 + label.count <= span ? cursorX + 1 : cursorX - label.count
        let occupied = labelStart..<(labelStart + label.count + 1)
        if span > endLabel.count + 2, !occupied.overlaps((span - endLabel.count - 1)..<span) {
            c.put(x: x0 + span - endLabel.count, y: y, endLabel, style: Styles.dim)
        }
        if !occupied.overlaps(0..<2) { c.put(x: x0, y: y, "0", style: Styles.dim) } else { c.put(x: x0, y: y, " ") }
        c.put(x: x0 + labelStart, y: y, label, style: .bold)
        c.set(x: x0 + cursorX, y: y, Cell(c.glyphs.arrowUp, style: .bold))
    }
}

extension String {
    /// Right-aligned in `n` columns.
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
