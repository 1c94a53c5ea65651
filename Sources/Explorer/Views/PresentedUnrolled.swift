import RNNEngine
import TerminalUI

/// Presentation mode's unrolled network (view 2 full screen): the selected direction drawn big, a box per layer and
/// step with the selected unit's gate values inside when there is room, the state arrows between the boxes carrying
/// that unit's h (and an LSTM's c) as the engine kept them after each step, and the emitted output on top. A masked
/// step's state is copied around the cell (`═h …═▶`). Every number is read from the recorded frames; nothing is
/// recomputed here.
enum PresentedUnrolled {
    static let labelWidth = 3
    /// `┌──────┐` around `i +0.478`.
    static let boxWidth = 10
    /// `─h -0.092─▶`.
    static let arrowWidth = 11
    static var columnWidth: Int { boxWidth + arrowWidth }

    /// The steps shown for an interior `width` columns wide: a window holding `t` (as many as fit).
    static func range(t: Int, maxTime: Int, width: Int) -> Range<Int> {
        let n = max(1, (width - labelWidth - arrowWidth) / columnWidth)
        let start = min(max(0, t - n / 2), max(0, maxTime - n))
        return start..<min(maxTime, start + n)
    }

    /// What one layer's box shows: its gates by the letter the convention gives them, and its state parts.
    struct LayerShape {
        let name: String
        /// The box's title: the kind's name when it fits the border, else its first word (`basic` for `basic_rnn`).
        let title: String
        /// What a box without gates shows inside: its activation (`tanh`).
        let activation: String
        let gates: [(name: String, letter: String)]
        let parts: [String]
        let units: Int
        let hUnits: Int

        init(_ spec: CellSpec, convention: Convention) {
            let cell = FrameRows.unwrap(spec).cell
            let layer = cell.unwrappedLayer
            let table = layer?.descriptor.gates ?? []
            name = spec.typeName
            title = name.count <= boxWidth - 4 ? name : String(name.prefix { $0 != "_" }.prefix(boxWidth - 4))
            activation = (layer?.activation ?? .tanh).rawValue
            gates = table.map { g in
                let label = Format.gateLabel(g.name, gates: table, kind: layer?.kind, convention: convention)
                return (g.name, String(label.prefix { $0 != " " }.prefix(1)))
            }
            if case .lstm = cell.stateSize { parts = ["h", "c"] } else { parts = ["h"] }
            units = spec.numUnits
            hUnits = spec.outputSize
        }

        /// Interior rows of the box: the gates when `full`, else the state parts (the name on the first).
        func interior(full: Bool) -> Int { full ? max(gates.count, parts.count) : parts.count }
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData) {
        let g = c.glyphs, sep = Symbols(glyphs: g).sep, k = Keymap.names(glyphs: g)
        let d = state.direction
        let title = "Unrolled network \(sep) example \(state.example) \(sep) unit \(state.unit) \(sep) t=\(state.t)"
            + (state.spec.bidirectional ? " \(sep) \(d == .forward ? "forward" : "backward") pass" : "") + " \(sep) \(k(.present)) back"
        let frame = drawPaneBox(&c, rect, title: title, focused: true)
        guard frame.height > 4, frame.width > labelWidth + arrowWidth + boxWidth else { return }
        // Drawn in a region of the interior, so a picture taller than the pane is cut at its border (and says so).
        let hidden = c.withRegion(frame) { r in
            picture(into: &r, inner: Rect(x: 0, y: 0, width: frame.width, height: frame.height), state: state, data: data)
        }
        if hidden.above + hidden.below > 0 { drawMoreMarks(&c, rect, title: title, focused: true, above: hidden.above, below: hidden.below) }
    }

    /// Draws the picture into `inner`; returns the rows of the layers above and below that did not fit (the layers
    /// shown are the selected one and as many around it as fit).
    private static func picture(into c: inout Canvas, inner: Rect, state: ExplorerState, data: ScreenData) -> (above: Int, below: Int) {
        let g = c.glyphs
        let d = state.direction
        let steps = range(t: state.t, maxTime: state.maxTime, width: inner.width)
        let layers = state.spec.cell(for: d).layers.map { LayerShape($0, convention: state.spec.convention) }
        let notes = self.notes(state: state, layers: layers, glyphs: g, width: inner.width)
        let fixed = 3 + min(notes.count, 2)
        // Gates in every box when they fit the height, else in the selected layer's boxes only, else in none.
        func rows(_ full: (Int) -> Bool) -> Int { layers.indices.reduce(0) { $0 + layers[$1].interior(full: full($1)) + 3 } }
        // When not every layer fits even so, the selected layer keeps its gates if it fits alone (its neighbours shown
        // around it below).
        let selectedAlone = layers.indices.contains(state.layer) && fixed + layers[state.layer].interior(full: true) + 3 <= inner.height
        let full: (Int) -> Bool = [{ _ in true }, { $0 == state.layer }, { _ in false }].first { fixed + rows($0) <= inner.height }
            ?? (selectedAlone ? { $0 == state.layer } : { _ in false })
        func block(_ l: Int) -> Int { layers[l].interior(full: full(l)) + 3 }
        // The layers shown: all when they fit, else the selected one and its neighbours, as many as fit.
        var lo = 0, hi = layers.count - 1
        if fixed + rows(full) > inner.height, layers.indices.contains(state.layer) {
            lo = state.layer; hi = state.layer
            var used = block(state.layer)
            while true {
                if hi + 1 < layers.count, fixed + used + block(hi + 1) <= inner.height { hi += 1; used += block(hi) }
                else if lo > 0, fixed + used + block(lo - 1) <= inner.height { lo -= 1; used += block(lo) }
                else { break }
            }
        }
        let shown = layers.isEmpty ? [] : Array(lo...hi)
        let above = (hi + 1..<max(hi + 1, layers.count)).reduce(0) { $0 + block($1) }
        let below = (0..<lo).reduce(0) { $0 + block($1) }
        // Centred in the rows it has (a projector's screen is seen from afar; the picture grows with the terminal in width).
        let content = 3 + notes.count + shown.reduce(0) { $0 + block($1) }
        var y = inner.y + max(0, (inner.height - content) / 2)
        let b = state.example, unit = state.unit
        // Centred in the width too: the picture sits in the middle of a wide screen.
        let left = inner.x + max(0, (inner.width - labelWidth - arrowWidth - steps.count * columnWidth) / 2)
        let x0 = left + labelWidth
        func boxX(_ t: Int) -> Int { x0 + arrowWidth + (t - steps.lowerBound) * columnWidth }
        let loopBound = data.loopBounds[d] ?? state.maxTime
        func masked(_ t: Int) -> Bool { data.isMasked(d, b, t) || t >= loopBound }
        let hLine: Character = g.isUnicode ? "─" : "-", copyLine: Character = g.isUnicode ? "═" : "="
        let head: Character = g.isUnicode ? "▶" : ">"
        func value(_ row: [Double]?, _ i: Int) -> String? { row.flatMap { $0.indices.contains(i) ? Format.num($0[i]) : nil } }
        /// `─h -0.092─▶` (copied: `═h …═▶`), or a bare arrow without a value.
        func arrow(_ part: String, _ v: String?, copied: Bool) -> String {
            let line = copied ? copyLine : hLine
            guard let v else { return String(repeating: line, count: arrowWidth - 1) + String(head) }
            return "\(line)\(part) \(v)\(line)\(head)"
        }

        // Step header, then what the run emits at each step (above the top layer).
        for t in steps {
            let cur = t == state.t
            let label = cur ? "\(Symbols(glyphs: g).marker)t=\(t)" : "t=\(t)"
            c.put(x: boxX(t), y: y, width: boxWidth, label, align: .center, style: cur ? CellStyle(fg: .yellow, attributes: .bold) : Styles.dim)
        }
        c.put(x: left, y: y, "t", style: Styles.dim)
        y += 1
        let top = layers.count - 1
        if shown.contains(top) { c.put(x: left, y: y, "out", style: Styles.label) }
        for t in steps where shown.contains(top) {
            guard let f = data.frame(at: t), let v = value(f.outputRow(b), unit) else { continue }
            let text = "\(g.arrowUp)y \(v.trimmingCharacters(in: .whitespaces))"
            c.put(x: boxX(t), y: y, width: boxWidth, text, align: .center, style: masked(t) ? Styles.masked : .bold)
        }
        y += 1

        for l in shown.reversed() where y < inner.maxY {
            let shape = layers[l]
            let height = shape.interior(full: full(l)) + 2
            let selected = l == state.layer
            c.put(x: left, y: y + 1, "L\(l)", style: selected ? Styles.label.adding(.bold) : Styles.label)
            // The state coming into the first step shown: the state before it.
            let first = data.frame(at: steps.lowerBound)?.layer(l)
            for (i, part) in shape.parts.enumerated() {
                let v = value(first?.stateRow(.before, part, b), unit)
                c.put(x: x0, y: y + 1 + i, arrow(part, v, copied: false), style: CellStyle(fg: .cyan))
            }
            for t in steps {
                let f = data.frame(at: t)
                let ld = f?.layer(l)
                let m = masked(t)
                let cur = t == state.t && selected
                let style: CellStyle = cur ? CellStyle(fg: .yellow, attributes: .bold) : m ? Styles.dim : CellStyle(fg: .cyan)
                let box = Rect(x: boxX(t), y: y, width: boxWidth, height: height)
                c.box(box, titles: [shape.title], style: style, titleStyle: style)
                let interior = box.interior
                if full(l) && !shape.gates.isEmpty {
                    for (i, gate) in shape.gates.enumerated() where i < interior.height {
                        let v = value(ld?.row(.gate(gate.name), b), unit) ?? (ld == nil ? "" : "   -  ")
                        c.put(x: interior.x, y: interior.y + i, width: interior.width, "\(gate.letter) \(v)", align: .left,
                              style: m ? Styles.dim : .plain)
                    }
                } else {
                    c.put(x: interior.x, y: interior.y, width: interior.width, shape.gates.isEmpty ? shape.activation : shape.title,
                          align: .center, style: style)
                }
                // The state leaving the step, as kept (a masked row's is the state copied through).
                let after = f?.stateRows(layer: l, layerCount: layers.count, row: b)
                for (i, part) in shape.parts.enumerated() {
                    let v = value(after?.first { $0.name == part }?.values, unit)
                    c.put(x: box.maxX, y: y + 1 + i, f == nil ? "" : arrow(part, v, copied: m), style: m ? Styles.masked : CellStyle(fg: .cyan))
                }
                // The input coming up into the box.
                if f?.ran ?? true { c.put(x: box.x + boxWidth / 2 - 1, y: y + height, String(g.arrowUp), style: .plain) }
            }
            y += height + 1
        }
        // The inputs.
        if y < inner.maxY, shown.contains(0) {
            c.put(x: left, y: y, "x", style: Styles.label)
            for t in steps {
                let text = d == .backward ? "x@\(data.sourceStep(d, b, t))" : "x\(t)"
                c.put(x: boxX(t), y: y, width: boxWidth - 1, text, align: .center, style: Styles.dim)
            }
            y += 1
        }
        for line in notes where y < inner.maxY {
            c.put(x: inner.x, y: y, width: inner.width, line, align: .left, style: Styles.dim)
            y += 1
        }
        return (above, below + max(0, content - inner.height))
    }

    /// What the picture shows, in words: whose values, and how a masked step draws.
    static func notes(state: ExplorerState, layers: [LayerShape], glyphs g: Glyphs, width: Int) -> [String] {
        let k = Keymap.names(glyphs: g)
        let sep = Symbols(glyphs: g).sep
        var text = "unit \(state.unit) (\(k.together(.unitPrevious, .unitNext))) \(sep) example \(state.example) (\(k.together(.up, .down)))"
        if let lengths = state.spec.sequenceLength, lengths.indices.contains(state.example) {
            text += " \(sep) length \(lengths[state.example])"
        }
        text += " \(sep) its gates in the boxes, its state on the arrows"
        let copy = g.isUnicode ? "═h═▶" : "=h=>"
        if state.spec.sequenceLength != nil || state.spec.mask != nil {
            text += " \(sep) \(copy) masked: the state is copied around the cell"
        }
        let out = wrapText(g.isUnicode ? text : asciiOnly(text), width: width)
        return out
    }
}
