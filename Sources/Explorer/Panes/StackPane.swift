import RNNEngine
import TerminalUI

/// The cell stack: one line per layer (type, units, options, parameter count), the selected one marked.
enum StackPane {
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, focused: Bool) {
        let d = Keymap.names()(.direction)
        let dir = state.spec.bidirectional ? " \(state.direction.name) (\(d): \(state.direction.opposite.name))" : ""
        let title = "Stack\(dir)"
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 0 else { return }
        let layers = state.layers
        var depth = state.inputDepth
        var counts: [Int] = []
        for l in layers { counts.append(l.parameterCount(inputDepth: depth)); depth = l.outputSize }
        let listRows = max(1, inner.height - 1)
        let top = max(0, min(state.layer - listRows + 1, layers.count - listRows))
        for row in 0..<min(listRows, layers.count) {
            let i = top + row
            guard layers.indices.contains(i) else { break }
            let selected = i == state.layer
            let pointer = selected ? String(c.glyphs.pointer) : " "
            let params = "\(Format.count(counts[i]))p"
            let text = "\(pointer)\(i) \(layers[i].summary(for: state.spec.convention))"
            let y = inner.y + row
            let style: CellStyle = selected ? (focused ? Styles.selected : .bold) : .plain
            c.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
            c.put(x: inner.x, y: y, width: max(0, inner.width - params.count - 1), text, align: .left, style: style)
            c.put(x: inner.maxX - params.count, y: y, params, style: style)
        }
        drawMoreMarks(&c, rect, title: title, focused: focused, above: top, below: max(0, layers.count - top - listRows))
        if inner.height >= 2 {
            let total = counts.reduce(0, +)
            let footer = "depth \(state.inputDepth) \(Symbols(glyphs: c.glyphs).sep) \(layers.count) layer\(layers.count == 1 ? "" : "s") \(Symbols(glyphs: c.glyphs).sep) \(Format.count(total)) params"
            c.put(x: inner.x, y: inner.maxY - 1, width: inner.width, footer, align: .left, style: Styles.dim)
        }
    }
}
