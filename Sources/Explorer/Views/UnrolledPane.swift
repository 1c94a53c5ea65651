import RNNEngine
import TerminalUI

/// The stack unrolled over a window of steps around `t`, as lectures draw it: a box per layer and step, the
/// state arrow from step to step, the input arrow up from x_t, the output up and out. A masked step draws what
/// TF does: the cells still compute (dim boxes, outputs still feed the layer above) but the state goes around
/// them (`══copy═▶`) and the emitted output is 0. The current frame is highlighted; a bidirectional
/// experiment shows both directions when they fit. Drawn from the state and the engine's masking rule only.
enum UnrolledPane {
    static let labelWidth = 4
    static let columnWidth = 9

    /// The steps shown for a pane of inner width `width`: a window holding `t`.
    static func range(t: Int, maxTime: Int, width: Int) -> Range<Int> {
        let n = max(1, (width - labelWidth - 2) / columnWidth)
        let start = min(max(0, t - n / 2), max(0, maxTime - n))
        return start..<min(maxTime, start + n)
    }

    /// Rows one direction takes: the step header, the emitted output, three per layer, the inputs.
    static func rows(layers: Int) -> Int { 3 + 3 * layers }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let sep = Symbols(glyphs: c.glyphs).sep
        let inner = drawPaneBox(&c, rect, title: "Unrolled network \(sep) example \(state.example) \(sep) \(Keymap.names()(.view(.unrolled)))", focused: focused)
        guard inner.height > 2, inner.width > labelWidth + columnWidth else { return }
        let steps = range(t: state.t, maxTime: state.maxTime, width: inner.width)
        var y = inner.y
        let directions: [Direction]
        let both = state.spec.bidirectional && inner.height >= 2 * rows(layers: max(state.layers.count, 1)) + 4
        directions = both ? state.spec.directions : [state.direction]
        for d in directions {
            let layers = state.spec.cell(for: d).layers
            if state.spec.bidirectional {
                c.put(x: inner.x, y: y, width: inner.width, d == .forward ? "forward (fw): loop step t reads input step t" : "backward (bw): loop step t reads input step x@s (reversed within the length)",
                      align: .left, style: d == state.direction ? Styles.label.adding(.bold) : Styles.label)
                y += 1
            }
            y = drawDirection(&c, inner: inner, y: y, direction: d, layers: layers.map(\.typeName), steps: steps, state: state, data: data)
        }
        // Lengths and legend.
        let s = Symbols(glyphs: c.glyphs)
        var notes: [(String, CellStyle)] = []
        if let m = state.stepMask, state.example < m.batchSize {
            let valid = m.validSteps(example: state.example)
            notes.append(("example \(state.example): a mask, valid at \(MaskCompareView.steps(valid)) (\(valid.count) of \(state.maxTime) steps)", .plain))
        } else if let lengths = state.spec.sequenceLength, lengths.indices.contains(state.example) {
            let l = lengths[state.example]
            notes.append(("example \(state.example): length \(l) \(s.sep) lengths \(formatShape(lengths)) (\(Keymap.names(glyphs: c.glyphs).together(.up, .down)) example)", .plain))
        } else {
            notes.append(("no sequence_length: every row runs all \(state.maxTime) steps", .plain))
        }
        let copy = c.glyphs.isUnicode ? "══copy═▶" : "==copy=>"
        let emitted = FrameRows.masksToZero(state.spec) ? "0 is emitted" : "the last valid output is emitted again (Keras)"
        notes.append(("\(copy) masked step: the state goes around the cell (copied through); \(emitted)", Styles.masked))
        if state.spec.bidirectional { notes.append(("x@s: the input step the backward pass reads (reverse_sequence within the length)", Styles.dim)) }
        for (text, style) in notes where y < inner.maxY {
            for line in wrapText(c.glyphs.isUnicode ? text : asciiOnly(text), width: inner.width) where y < inner.maxY {
                c.put(x: inner.x, y: y, line, style: style)
                y += 1
            }
        }
    }

    /// Draws one direction from row `y`; returns the next free row.
    private static func drawDirection(_ c: inout Canvas, inner: Rect, y startY: Int, direction d: Direction, layers: [String],
                                      steps: Range<Int>, state: ExplorerState, data: ScreenData) -> Int {
        var y = startY
        let g = c.glyphs
        let b = state.example
        let x0 = inner.x + labelWidth
        let backward = d == .backward
        let loopBound = data.loopBounds[d] ?? state.maxTime
        func columnX(_ t: Int) -> Int { x0 + (t - steps.lowerBound) * columnWidth }
        func ran(_ t: Int) -> Bool { t < loopBound }
        func masked(_ t: Int) -> Bool { data.isMasked(d, b, t) || !ran(t) }
        let hLine: Character = g.isUnicode ? "─" : "-"
        let right: Character = g.isUnicode ? "▶" : ">"
        let up = g.arrowUp
        func emit(_ row: Int, _ body: () -> Void) { if y < inner.maxY { body() }; y += 1 }

        // Step header.
        emit(y) {
            c.put(x: inner.x, y: y, "t", style: Styles.dim)
            for t in steps {
                let cur = t == state.t && d == state.direction
                let label = cur ? "\(Symbols(glyphs: g).marker)t=\(t)" : "t=\(t)"
                c.put(x: columnX(t) + 2, y: y, width: columnWidth - 2, label, align: .left,
                      style: cur ? CellStyle(fg: .yellow, attributes: .bold) : Styles.dim)
            }
        }
        // Emitted output (what dynamic_rnn returns at each step).
        emit(y) {
            c.put(x: inner.x, y: y, "out", style: Styles.label)
            for t in steps {
                let text = masked(t) ? (FrameRows.masksToZero(state.spec) ? "0" : "last") : "\(up) y"
                c.put(x: columnX(t) + 4, y: y, text, style: masked(t) ? Styles.masked : .plain)
            }
        }
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            // Bypass row: the state going around a masked cell.
            emit(y) {
                for t in steps where masked(t) {
                    let text = g.isUnicode ? "══copy═▶" : "==copy=>"
                    c.put(x: columnX(t) + 1, y: y, text, style: Styles.masked)
                }
            }
            // Box row: state arrow in, the cell.
            emit(y) {
                c.put(x: inner.x, y: y, "L\(l)", style: l == state.layer && d == state.direction ? Styles.label.adding(.bold) : Styles.label)
                for t in steps {
                    let x = columnX(t)
                    let m = masked(t)
                    let arrow = "\(hLine)\(right)"
                    c.put(x: x, y: y, arrow, style: m ? Styles.dim : CellStyle(fg: .cyan))
                    let name = String(layers[l].prefix(5))
                    let box = "[" + fit(name, 5) + "]"
                    let cur = t == state.t && l == state.layer && d == state.direction
                    var style: CellStyle = m ? Styles.dim : CellStyle(fg: .cyan, attributes: .bold)
                    if cur { style = CellStyle(fg: .yellow, attributes: [.reverse, .bold]) }
                    c.put(x: x + 2, y: y, ran(t) ? box : "[     ]", style: style)
                }
                if let last = steps.last {
                    let arrow = "\(hLine)\(right)"
                    c.put(x: columnX(last) + columnWidth, y: y, arrow, style: CellStyle(fg: .cyan))
                }
            }
            // Connector row: the input coming up into this layer (x_t for layer 0, the computed output below).
            emit(y) {
                for t in steps where ran(t) {
                    c.put(x: columnX(t) + 5, y: y, String(up), style: .plain)
                }
            }
        }
        // Inputs.
        emit(y) {
            c.put(x: inner.x, y: y, "x", style: Styles.label)
            for t in steps {
                let src = data.sourceStep(d, b, t)
                let text = backward ? "x@\(src)" : "x\(t)"
                c.put(x: columnX(t) + 2, y: y, width: columnWidth - 2, text.count <= 6 ? " " + text : text, align: .left, style: Styles.dim)
            }
        }
        return y
    }
}
