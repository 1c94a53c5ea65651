import RNNEngine
import TerminalUI

/// The selected layer's equations at the current step for the selected unit and example, as TensorFlow computes
/// them (BasicRNN, BasicLSTM, LSTMCell with peepholes, cell_clip and projection in order, GRU), each with this
/// step's numbers substituted so a student can check the step by hand. Every number is one the engine recorded
/// (gates, `LayerFrame.terms`, states); this pane only lays them out.
enum EquationsPane {
    /// The equation lines for the state's selection, or why there are none.
    static func lines(state: ExplorerState, data: ScreenData, glyphs: Glyphs) -> [(String, CellStyle)] {
        guard let f = data.frame(at: state.t) else { return [("t=\(state.t) not computed yet", Styles.dim)] }
        guard f.ran, let ld = f.layer(state.layer), let spec = state.layerSpec else {
            return [("t=\(state.t): the loop ended (t \(Symbols(glyphs: glyphs).geq) max(sequence_length)): no cell ran, so there is no equation; the state is unchanged and 0 is emitted", Styles.masked)]
        }
        let b = state.example, k = state.unit
        func at(_ row: [Double]?, _ unit: Int = k) -> String? {
            guard let row, row.indices.contains(unit) else { return nil }
            return Format.num(row[unit]).trimmingCharacters(in: .whitespaces)
        }
        /// The first term of a sum, unsigned when positive: `σ(0.143 + 0.053)`, not `σ(+0.143 + 0.053)`.
        func lead(_ value: String?) -> String {
            let v = value ?? "?"
            return v.hasPrefix("+") ? String(v.dropFirst()) : v
        }
        /// A term added to an expression: ` + 0.037`, or ` - 0.037` for a negative one (never `+ +0.037`).
        func plus(_ value: String?) -> String {
            let v = value ?? "?"
            if v.hasPrefix("-") { return " - " + v.dropFirst() }
            return " + " + (v.hasPrefix("+") ? String(v.dropFirst()) : v)
        }
        let (cell, residual, dropout) = FrameRows.unwrap(spec)
        func gate(_ name: String) -> [Double]? { ld.row(.gate(name), b) }
        func term(_ name: String) -> [Double]? { ld.row(.term(name), b) }
        func before(_ part: String) -> [Double]? { ld.stateRow(.before, part, b) }
        func computed(_ part: String) -> [Double]? { ld.stateRow(.computed, part, b) }
        var out: [(String, CellStyle)] = []
        let masked = f.isMasked(b)
        let keys = Keymap.names(glyphs: glyphs)
        out.append(("\(spec.summary(for: state.spec.convention)), layer \(state.layer), unit \(k), example \(b), t=\(state.t)  (\(keys.together(.unitPrevious, .unitNext)) unit  \(keys.together(.layerPrevious, .layerNext)) layer  \(keys.together(.up, .down)) example)", Styles.label.adding(.bold)))
        func eq(_ text: String) { out.append((text, .plain)) }
        let q = "?"
        let layer = cell.unwrappedLayer
        switch layer?.kind {
        case .basicLSTM?, .lstm?:
            let opts = layer?.lstmOptions ?? LSTMOptions()
            let act = opts.activation.rawValue
            let peep = opts.usePeepholes
            let fb = Format.compact(opts.forgetBias)
            func peepTerm(_ name: String) -> String { peep ? plus(at(term(name))) : "" }
            eq("i = σ(W_i·[x, h] + b_i\(peep ? " + w_i⊙c_prev" : "")) = σ(\(lead(at(term("i_pre"))))\(peepTerm("peep_i"))) = \(at(gate("i")) ?? q)")
            eq("j = \(act)(W_j·[x, h] + b_j) = \(act)(\(at(term("j_pre")) ?? q)) = \(at(gate("j")) ?? q)")
            // Keras' and PyTorch's LSTMs have no forget_bias term (a converted model carries it in b_f).
            let hasFB = state.spec.convention.hasForgetBiasTerm || opts.forgetBias != 0
            eq("f = σ(W_f·[x, h] + b_f\(hasFB ? " + forget_bias" : "")\(peep ? " + w_f⊙c_prev" : "")) = σ(\(lead(at(term("f_pre"))))\(hasFB ? plus(fb) : "")\(peepTerm("peep_f"))) = \(at(gate("f")) ?? q)")
            let cPrev = at(before("c")) ?? q
            let cNew = at(computed("c")) ?? q
            if let clip = opts.cellClip {
                let raw = at(term("c_unclipped")) ?? q
                eq("c = f·c_prev + i·j = (\(at(gate("f")) ?? q))(\(cPrev)) + (\(at(gate("i")) ?? q))(\(at(gate("j")) ?? q)) = \(raw)")
                let bound = raw != cNew
                eq("c = clip(c, ±\(Format.compact(clip))) = \(cNew)" + (bound ? "   ! the clip bound" : "   (within the bound)"))
            } else {
                eq("c = f·c_prev + i·j = (\(at(gate("f")) ?? q))(\(cPrev)) + (\(at(gate("i")) ?? q))(\(at(gate("j")) ?? q)) = \(cNew)")
            }
            eq("o = σ(W_o·[x, h] + b_o\(peep ? " + w_o⊙c" : "")) = σ(\(lead(at(term("o_pre"))))\(peepTerm("peep_o"))) = \(at(gate("o")) ?? q)")
            if let p = opts.numProj {
                eq("m = o·\(act)(c) = (\(at(gate("o")) ?? q))·\(act)(\(cNew)) = \(at(gate("m")) ?? q)")
                let hk = min(k, p - 1)
                if let pc = opts.projClip {
                    let raw = at(term("proj_unclipped"), hk) ?? q, h = at(computed("h"), hk) ?? q
                    eq("h[\(hk)] = (m·P)[\(hk)] (projection to \(p), sums every unit of m) = \(raw)")
                    eq("h[\(hk)] = clip(h, ±\(Format.compact(pc))) = \(h)" + (raw != h ? "   ! the clip bound" : "   (within the bound)"))
                } else {
                    eq("h[\(hk)] = (m·P)[\(hk)] (projection to \(p), sums every unit of m) = \(at(computed("h"), hk) ?? q)")
                }
            } else {
                eq("h = o·\(act)(c) = (\(at(gate("o")) ?? q))·\(act)(\(cNew)) = \(at(computed("h")) ?? q)")
            }
        case .gru?:
            let act = (layer?.activation ?? .tanh).rawValue
            eq("r = σ(W_r·[x, h] + b_r) = σ(\(at(term("r_pre")) ?? q)) = \(at(gate("r")) ?? q)")
            eq("u = σ(W_u·[x, h] + b_u) = σ(\(at(term("u_pre")) ?? q)) = \(at(gate("u")) ?? q)")
            eq("c̃ = \(act)(W_c·[x, r⊙h] + b_c) = \(act)(\(at(term("c_pre")) ?? q)) = \(at(gate("c")) ?? q)")
            let u = at(gate("u")) ?? q
            let uPlain = u.hasPrefix("+") ? String(u.dropFirst()) : "(\(u))"
            eq("h = u·h_prev + (1 - u)·c̃ = (\(u))(\(at(before("h")) ?? q)) + (1 - \(uPlain))(\(at(gate("c")) ?? q)) = \(at(computed("h")) ?? q)")
        case .gruResetAfter?:
            // reset_after (Keras, PyTorch): the reset gate multiplies the recurrent product, bias included.
            let act = (layer?.activation ?? .tanh).rawValue
            eq("u = σ(x·W_u + b_u + h·U_u + b'_u) = σ(\(lead(at(term("u_x"))))\(plus(at(term("u_h"))))) = \(at(gate("u")) ?? q)")
            eq("r = σ(x·W_r + b_r + h·U_r + b'_r) = σ(\(lead(at(term("r_x"))))\(plus(at(term("r_h"))))) = \(at(gate("r")) ?? q)")
            eq("c̃ = \(act)(x·W_c + b_c + r·(h·U_c + b'_c)) = \(act)(\(lead(at(term("c_x")))) + (\(at(gate("r")) ?? q))(\(at(term("c_h")) ?? q))) = \(at(gate("c")) ?? q)")
            let u = at(gate("u")) ?? q
            let uPlain = u.hasPrefix("+") ? String(u.dropFirst()) : "(\(u))"
            eq("h = u·h_prev + (1 - u)·c̃ = (\(u))(\(at(before("h")) ?? q)) + (1 - \(uPlain))(\(at(gate("c")) ?? q)) = \(at(computed("h")) ?? q)")
        case .basicRNN?:
            let act = (layer?.activation ?? .tanh).rawValue
            eq("h = \(act)(W·[x, h] + b) = \(act)(\(at(term("h_pre")) ?? q)) = \(at(computed("h")) ?? q)")
        default:
            break  // a stack, or a kind whose equations are not written out here
        }
        if residual, let inner = at(gate("cell output")) {
            eq("out = h + x (ResidualWrapper) = \(lead(inner))\(plus(at(ld.row(.input, b)))) = \(at(ld.row(.cellOutput, b)) ?? q)")
        }
        if dropout, let d = at(gate("output after dropout")) {
            eq("out = dropout(h) (kept units scaled by 1/keep_prob, the rest 0) = \(d)")
        }
        if state.stepMask != nil, masked {
            out.append((FrameRows.maskSentence(layer: state.layer, layerCount: state.layers.count, t: state.t, length: 0,
                                               symbols: Symbols(glyphs: glyphs), spec: state.spec, reason: "masked: mask[\(b), \(data.sourceStep(state.direction, b, state.t))] = False"), Styles.masked))
        } else if let lengths = state.spec.sequenceLength, lengths.indices.contains(b), masked {
            out.append((FrameRows.maskSentence(layer: state.layer, layerCount: state.layers.count, t: state.t, length: lengths[b],
                                               symbols: Symbols(glyphs: glyphs), spec: state.spec), Styles.masked))
        }
        if state.layer == state.layers.count - 1 {
            let note = FrameRows.masksToZero(state.spec) ? " (masked: 0)" : " (masked: the row's last valid output)"
            let index = state.spec.timeMajor ? "\(state.t), \(b), \(k)" : "\(b), \(state.t), \(k)"
            out.append(("emitted output[\(index)] = \(at(f.outputRow(b)) ?? q)" + (masked ? note : ""), masked ? Styles.masked : .bold))
        }
        return out
    }

    /// The lines as drawn in `inner`: wrapped with an indent, a blank line between equations when they fit.
    static func rows(state: ExplorerState, data: ScreenData, inner: Rect, glyphs: Glyphs) -> [(String, CellStyle)] {
        var rows: [(String, CellStyle)] = []
        for (text, style) in lines(state: state, data: data, glyphs: glyphs) {
            let t = glyphs.isUnicode ? text : asciiOnly(text)
            for (i, line) in wrapText(t, width: max(8, inner.width - 4), keepingParentheses: true).enumerated() {
                rows.append((i == 0 ? line : "    " + line, style))
            }
            rows.append(("", .plain))
        }
        return rows.count > inner.height ? rows.filter { !$0.0.isEmpty } : rows
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let sep = Symbols(glyphs: c.glyphs).sep
        let title = "Equations \(sep) t=\(state.t) \(sep) layer \(state.layer) \(sep) unit \(state.unit) \(sep) \(Keymap.names()(.view(.equations)))"
        renderScrolled(into: &c, rect: rect, title: title, focused: focused, scroll: state.frameScroll) { inner, glyphs in
            rows(state: state, data: data, inner: inner, glyphs: glyphs)
        }
    }

    /// A box of text rows (made for its inner rectangle) scrolled by `scroll`, with its "more" marks: the equations,
    /// in the panes and presented.
    static func renderScrolled(into c: inout Canvas, rect: Rect, title: String, focused: Bool, scroll: Int,
                               rows makeRows: (Rect, Glyphs) -> [(String, CellStyle)]) {
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 0, inner.width > 8 else { return }
        let rows = makeRows(inner, c.glyphs)
        let top = min(max(0, scroll), max(0, rows.count - inner.height))
        for (i, row) in rows.dropFirst(top).prefix(inner.height).enumerated() {
            c.put(x: inner.x, y: inner.y + i, width: inner.width, row.0, align: .left, style: row.1)
        }
        drawMoreMarks(&c, rect, title: title, focused: focused, above: top, below: max(0, rows.count - top - inner.height))
    }
}
