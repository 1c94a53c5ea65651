import RNNEngine
import TerminalUI

/// The current step for the selected example and layer: in words what happens to the row (per layer, as TF
/// masks), x_t, then `FrameRows` in compute order, scrolling (J K) with "↓ N more" when they do not fit.
enum FramePane {
    static let labelWidth = 16
    static let cellWidth = 7

    /// The sentences saying what happens to row `b` of the selected layer at step `t`.
    static func sentences(state: ExplorerState, frame: FrameData?, data: ScreenData, glyphs: Glyphs) -> [(String, CellStyle)] {
        let s = Symbols(glyphs: glyphs)
        let t = state.t, b = state.example
        guard let f = frame else {
            if let e = data.failure { return [("t=\(t): the pass failed: \(e)", Styles.error)] }
            if state.maxTime == 0 { return [("max_time is 0: there is no step to show (outputs have no time steps)", Styles.dim.adding(.bold))] }
            if state.batchSize == 0 { return [("batch_size is 0: there is no example to show", Styles.dim.adding(.bold))] }
            return [("t=\(t) not computed yet (computing \(Format.count(data.computed))/\(Format.count(state.maxTime)))", Styles.dim.adding(.bold))]
        }
        var out: [(String, CellStyle)] = []
        if state.direction == .backward {
            // Where the backward pass reads and writes for this row (reverse_sequence within the length).
            let src = data.sourceStep(.backward, b, t)
            let x = state.timeMajor ? "x[\(src), \(b)]" : "x[\(b), \(src)]"
            let o = state.timeMajor ? "outputs/1[\(src), \(b)]" : "outputs/1[\(b), \(src)]"
            out.append(("bw step t=\(t) of example \(b) reads \(x) and writes \(o)", Styles.label))
        }
        if !f.ran {
            out.append(("loop ended: t=\(t) \(s.geq) max(sequence_length) = \(data.loopBound) \(s.arrow) no cell ran, output zero, state unchanged", Styles.masked.adding(.bold)))
            return out
        }
        if state.stepMask != nil || state.spec.model.goesBackwards {
            out.append(maskWords(state: state, frame: f, data: data, symbols: s))
            return out
        }
        guard let lengths = state.spec.sequenceLength, lengths.indices.contains(b) else {
            out.append(("active: no sequence_length, every row runs all \(state.maxTime) steps", Styles.ok))
            return out
        }
        if f.isMasked(b) {
            out.append((FrameRows.maskSentence(layer: state.layer, layerCount: state.layers.count, t: t, length: lengths[b], symbols: s,
                                               spec: state.spec),
                        Styles.masked.adding(.bold)))
        } else {
            out.append(("active: t=\(t) < length \(lengths[b]) \(s.arrow) the cell runs, state updated", Styles.ok))
        }
        return out
    }

    /// Under a step mask (or `go_backwards`): whether the row's step is valid, which input step the loop reads, and,
    /// when masked, what the convention does there (the engine's words: Keras carries the state and repeats the
    /// previous output, TF and PyTorch given lengths emit zeros, onnxruntime zeros and its length-0 state rule).
    static func maskWords(state: ExplorerState, frame f: FrameData, data: ScreenData, symbols s: Symbols) -> (String, CellStyle) {
        let b = state.example, t = state.t
        let p = data.sourceStep(state.direction, b, t)
        let valid = state.stepMask.flatMap { m in b < m.batchSize && p >= 0 && p < m.maxTime ? m.isValid(example: b, step: p) : nil }
            ?? state.spec.sequenceLength.flatMap { $0.indices.contains(b) ? p < $0[b] : nil } ?? true
        let reads = p == t ? "" : " (reads input step \(p)\(state.spec.model.goesBackwards ? ": go_backwards" : ""))"
        let length = state.spec.sequenceLength.flatMap { $0.indices.contains(b) ? $0[b] : nil } ?? state.maxTime
        let bit = state.stepMask == nil ? "t=\(p) \(valid ? "<" : s.geq) length \(length)" : "mask[\(b), \(p)] = \(valid ? "True" : "False")"
        if !f.isMasked(b) {
            return ("valid: \(bit)\(reads) \(s.arrow) the cell runs, state updated", Styles.ok)
        }
        let reason = "masked: \(bit)\(reads)"
        return (FrameRows.maskSentence(layer: state.layer, layerCount: state.layers.count, t: t, length: 0, symbols: s,
                                       spec: state.spec, reason: reason), Styles.masked.adding(.bold))
    }

    /// The text lines and value rows of the pane for the state, before scrolling.
    enum Line {
        case text(String, CellStyle)
        case header
        case values(FrameRows.Row)
    }

    static func lines(state: ExplorerState, data: ScreenData, width: Int, glyphs: Glyphs) -> [Line] {
        let frame = data.frame(at: state.t)
        var out: [Line] = []
        for (sentence, style) in sentences(state: state, frame: frame, data: data, glyphs: glyphs) {
            for line in wrapText(sentence, width: width) { out.append(.text(line, style)) }
        }
        guard let f = frame, let spec = state.layerSpec else { return out }
        let b = state.example
        if let ld = f.layer(state.layer) {
            if let x = ld.row(.input, b) {
                let shown = x.prefix(max(1, (width - 12) / 7)).map { Format.num($0).trimmingCharacters(in: .whitespaces) }
                let more = x.count > shown.count ? ", \(glyphs.ellipsis)" : ""
                let text = "x_t [\(x.count)] = (" + shown.joined(separator: ", ") + more + ")"
                out.append(.text(text, .plain))
            }
            out.append(.header)
            let rows = FrameRows.rows(ld, spec: spec, frame: f, row: b, layer: state.layer, layerCount: state.layers.count,
                                      zeroMasked: FrameRows.masksToZero(state.spec), convention: state.spec.convention)
            for r in rows { out.append(.values(r)) }
            if rows.contains(where: { $0.clipped.contains(true) }) {
                out.append(.text("! = the clip bound this unit (the value before the clip lies beyond it)", Styles.dim))
            }
        } else if let parts = f.stateRows(layer: state.layer, layerCount: state.layers.count, row: b) {
            out.append(.header)
            for (name, values) in parts {
                out.append(.values(FrameRows.Row(label: "\(name) (unchanged)", values: values, emphasis: .copied)))
            }
            if state.layer == state.layers.count - 1 {
                out.append(.values(FrameRows.Row(label: "emitted =0", values: f.outputRow(b), emphasis: .copied)))
            }
        }
        return out
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let frame = data.frame(at: state.t)
        let cellName = frame?.layer(state.layer)?.cellName ?? state.layerSpec?.typeName ?? ""
        let dir = state.spec.bidirectional ? (state.direction == .forward ? " fw" : " bw (rows reversed)") : ""
        let sep = Symbols(glyphs: c.glyphs).sep
        let title = "Frame\(dir) t=\(state.t) of \(state.maxTime) \(sep) example \(state.example) \(sep) layer \(state.layer) \(cellName)"
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 0, inner.width > 0 else { return }
        let all = lines(state: state, data: data, width: inner.width, glyphs: c.glyphs)
        let top = min(max(0, state.frameScroll), max(0, all.count - inner.height))
        let units = state.layerSpec?.numUnits ?? 0
        let perRow = max(1, (inner.width - labelWidth) / cellWidth)
        let firstUnit = max(0, min(state.unit - perRow / 2, max(0, units - perRow)))
        var y = inner.y
        for line in all.dropFirst(top).prefix(inner.height) {
            switch line {
            case let .text(text, style):
                c.put(x: inner.x, y: y, width: inner.width, c.glyphs.isUnicode ? text : asciiOnly(text), align: .left, style: style)
            case .header:
                c.put(x: inner.x, y: y, "unit", style: Styles.dim)
                var x = inner.x + labelWidth
                for k in firstUnit..<min(units, firstUnit + perRow) {
                    c.put(x: x, y: y, String(k).leftPad(6), style: k == state.unit ? CellStyle.bold.adding(.underline) : Styles.dim)
                    x += cellWidth
                }
            case let .values(row):
                draw(row, &c, x: inner.x, y: y, width: inner.width, first: firstUnit, perRow: perRow, selected: state.unit)
            }
            y += 1
        }
        drawMoreMarks(&c, rect, title: title, focused: focused, above: top, below: max(0, all.count - top - inner.height))
    }

    private static func draw(_ row: FrameRows.Row, _ c: inout Canvas, x x0: Int, y: Int, width: Int, first: Int, perRow: Int, selected: Int) {
        let (style, labelStyle): (CellStyle, CellStyle)
        switch row.emphasis {
        case .plain: (style, labelStyle) = (.plain, Styles.label)
        case .discarded: (style, labelStyle) = (Styles.dim, Styles.dim)
        case .copied: (style, labelStyle) = (Styles.masked, Styles.masked)
        case .result: (style, labelStyle) = (.bold, Styles.label.adding(.bold))
        }
        c.put(x: x0, y: y, width: labelWidth - 1, c.glyphs.isUnicode ? row.label : asciiOnly(row.label), align: .left, style: labelStyle)
        guard let v = row.values else {
            c.put(x: x0 + labelWidth, y: y, "(not recorded)", style: Styles.dim)
            return
        }
        var x = x0 + labelWidth
        for k in first..<min(v.count, first + perRow) {
            let s = k == selected ? style.adding(.underline).adding(.bold) : style
            c.put(x: x, y: y, Format.num(v[k]), style: s)
            if row.clipped.indices.contains(k), row.clipped[k] { c.put(x: x + 6, y: y, "!", style: Styles.error) }
            x += cellWidth
        }
        if v.count > first + perRow { c.put(x: min(x, x0 + width - 1), y: y, String(c.glyphs.ellipsis), style: Styles.dim) }
        if first > 0 { c.put(x: x0 + labelWidth - 1, y: y, String(c.glyphs.ellipsis), style: Styles.dim) }
    }

    /// Rows the pane asks for (borders included): an upper bound from the layer's spec; the rows it does not
    /// get scroll.
    static func wantedRows(state: ExplorerState, width: Int) -> Int {
        guard let spec = state.layerSpec else { return 5 }
        let (cell, residual, dropout) = FrameRows.unwrap(spec)
        var rows: Int
        if case .lstm = cell.stateSize, let o = cell.unwrappedLayer?.options {
            rows = 9 + (o.cellClip == nil ? 0 : 2) + (o.numProj == nil ? 0 : 1) + (o.projClip == nil ? 0 : 1)
        } else {
            rows = 3 + (cell.unwrappedLayer?.descriptor.gates.count ?? 0)
        }
        rows += spec.stateSize.flattened.count  // copied through on a masked step
        rows += (residual ? 2 : 0) + (dropout ? 1 : 0) + 2  // wrappers, output rows
        // The longest sentence (a masked row in a stack) is about 160 characters.
        let sentences = 1 + 160 / max(20, width - 2)
        return 2 + sentences + 2 + rows + (state.spec.bidirectional ? 1 : 0)
    }
}
