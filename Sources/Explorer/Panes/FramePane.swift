import RNNEngine
import TerminalUI

/// The current step for the selected example and layer: x_t, each gate, the state before and after,
/// the output, and in words whether the row is masked at this step.
enum FramePane {
    static let labelWidth = 16
    static let cellWidth = 7

    /// The sentence saying what happens to row `b` at step `t`.
    static func maskSentence(state: ExplorerState, frame: FrameData?, data: ScreenData, glyphs: Glyphs) -> (String, CellStyle) {
        let s = Symbols(glyphs: glyphs)
        let t = state.t, b = state.example
        guard let f = frame else {
            if let e = data.failure { return ("t=\(t): the pass failed: \(e)", Styles.error) }
            if state.maxTime == 0 { return ("max_time is 0: there is no step to show (outputs have no time steps)", Styles.dim.adding(.bold)) }
            if state.batchSize == 0 { return ("batch_size is 0: there is no example to show", Styles.dim.adding(.bold)) }
            return ("t=\(t) not computed yet (computing \(Format.count(data.computed))/\(Format.count(state.maxTime)))", Styles.dim.adding(.bold))
        }
        if !f.ran {
            return ("loop ended: t=\(t) \(s.geq) max(sequence_length) = \(data.loopBound) \(s.arrow) no cell ran, output zero, state unchanged", Styles.masked.adding(.bold))
        }
        guard let lengths = state.spec.sequenceLength, lengths.indices.contains(b) else {
            return ("active: no sequence_length, every row runs all \(state.maxTime) steps", Styles.ok)
        }
        if f.isMasked(b) {
            return ("masked: t=\(t) \(s.geq) length \(lengths[b]) \(s.arrow) state copied through, output zeroed", Styles.masked.adding(.bold))
        }
        return ("active: t=\(t) < length \(lengths[b]) \(s.arrow) the cell runs, state updated", Styles.ok)
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let frame = data.frame(at: state.t)
        let cellName = frame?.layers.first { $0.layer == state.layer }?.cellName ?? state.layerSpec?.typeName ?? ""
        let dir = state.spec.bidirectional ? (state.direction == 0 ? " fw" : " bw (rows reversed)") : ""
        let sep = Symbols(glyphs: c.glyphs).sep
        let title = "Frame\(dir) t=\(state.t) of \(state.maxTime) \(sep) example \(state.example) \(sep) layer \(state.layer) \(cellName)"
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 0, inner.width > 0 else { return }
        var y = inner.y
        let (sentence, style) = maskSentence(state: state, frame: frame, data: data, glyphs: c.glyphs)
        for line in wrapText(sentence, width: inner.width).prefix(2) where y < inner.maxY {
            c.put(x: inner.x, y: y, line, style: style)
            y += 1
        }
        guard let f = frame, y < inner.maxY else { return }
        let b = state.example
        let layerCount = state.layers.count
        let ld = f.layers.first { $0.layer == state.layer }
        let masked = f.isMasked(b) || !f.ran

        // Which units fit, keeping the selected one in view.
        let units = state.layerSpec?.numUnits ?? 0
        let perRow = max(1, (inner.width - labelWidth) / cellWidth)
        let firstUnit = max(0, min(state.unit - perRow / 2, max(0, units - perRow)))
        func row(_ label: String, _ values: [Double]?, first: Int, style: CellStyle = .plain, labelStyle: CellStyle = Styles.label,
                 markUnit: Bool = true) {
            guard y < inner.maxY else { return }
            c.put(x: inner.x, y: y, width: labelWidth, label, align: .left, style: labelStyle)
            if let v = values {
                var x = inner.x + labelWidth
                for k in first..<min(v.count, first + perRow) {
                    let sel = markUnit && k == state.unit
                    c.put(x: x, y: y, Format.num(v[k]), style: sel ? style.adding(.underline).adding(.bold) : style)
                    x += cellWidth
                }
                if v.count > first + perRow { c.put(x: min(x, inner.maxX - 1), y: y, String(c.glyphs.ellipsis), style: Styles.dim) }
                if first > 0 { c.put(x: inner.x + labelWidth - 1, y: y, String(c.glyphs.ellipsis), style: Styles.dim) }
            } else {
                c.put(x: inner.x + labelWidth, y: y, "(not recorded)", style: Styles.dim)
            }
            y += 1
        }
        // Unit header.
        if y < inner.maxY {
            c.put(x: inner.x, y: y, "unit", style: Styles.dim)
            var x = inner.x + labelWidth
            for k in firstUnit..<min(units, firstUnit + perRow) {
                c.put(x: x, y: y, String(k).leftPad(6), style: k == state.unit ? CellStyle.bold.adding(.underline) : Styles.dim)
                x += cellWidth
            }
            y += 1
        }
        if let ld {
            row("x_t [\(ld.input.shape.last ?? 0)]", rowValues(ld.input, b), first: 0, markUnit: false)
            for g in ld.gates {
                row(Format.gateLabel(g.name, cellName: ld.cellName), rowValues(g.value, b), first: firstUnit,
                    style: masked ? Styles.dim : .plain)
            }
            let before = StateParts(ld.stateBefore), after = StateParts(ld.stateAfter), computed = StateParts(ld.computedState)
            for (name, value) in before.parts {
                let n = name == "h" && !(state.layerSpec.map(isLSTM) ?? false) ? "h (state)" : name
                row("\(n) before", rowValues(value, b), first: firstUnit)
                if masked, let cv = computed.part(name) {
                    row("\(n) computed", rowValues(cv, b), first: firstUnit, style: Styles.dim, labelStyle: Styles.dim)
                }
                row("\(n) after" + (masked ? " =copy" : ""), after.part(name).flatMap { rowValues($0, b) }, first: firstUnit,
                    style: masked ? Styles.masked : .bold)
            }
            row("output (cell)", rowValues(ld.cellOutput, b), first: firstUnit)
            if state.layer == layerCount - 1 {
                row("emitted" + (masked ? " =0" : ""), rowValues(f.output, b), first: firstUnit, style: masked ? Styles.masked : .bold)
            }
        } else if let s = f.layerState(state.layer, layerCount: layerCount) {
            for (name, value) in StateParts(s).parts {
                row("\(name) (unchanged)", rowValues(value, b), first: firstUnit, style: Styles.masked)
            }
            if state.layer == layerCount - 1 { row("emitted =0", rowValues(f.output, b), first: firstUnit, style: Styles.masked) }
        }
    }

    /// Rows the pane needs for the selected layer at the current step (borders included).
    static func wantedRows(state: ExplorerState, width: Int) -> Int {
        guard let spec = state.layerSpec else { return 5 }
        func gates(_ c: CellSpec) -> Int {
            switch c {
            case let .lstm(_, o): return 4 + (o.numProj == nil ? 0 : 1)
            case .basicLSTM: return 4
            case .gru, .gruResetAfter: return 3
            case .basicRNN, .multi: return 0
            case let .residual(i): return gates(i) + 1
            case let .dropout(i, o): return gates(i) + (o.outputKeepProb < 1 ? 1 : 0)
            }
        }
        var masked = false
        if let l = state.spec.sequenceLength, l.indices.contains(state.example) {
            masked = state.t >= l[state.example]
        }
        let parts = spec.stateSize.flattened.count
        let last = state.layer == state.layers.count - 1 ? 1 : 0
        return 2 + (width >= 72 ? 1 : 2) + 2 + gates(spec) + parts * (masked ? 3 : 2) + 1 + last
    }

    static func isLSTM(_ c: CellSpec) -> Bool {
        switch c {
        case .lstm, .basicLSTM: return true
        case let .residual(i), let .dropout(i, _): return isLSTM(i)
        default: return false
        }
    }
}
