import RNNEngine
import TerminalUI

/// Shapes as TensorFlow lists: inputs, sequence_length, each layer's input, state and output, the outputs
/// and the final state; under each layer, its weights' shapes (by TF variable name within the layer's scope). They
/// follow `time_major` (inputs and outputs swap their first two axes).
enum ShapesPane {
    static func lines(state: ExplorerState, inputShape: [Int], weights: [(name: String, shape: [Int])] = []) -> [(String, String)] {
        let b = state.batchSize, t = state.maxTime
        let seq = { (w: Int) in formatShape(state.timeMajor ? [t, b, w] : [b, t, w]) }
        var out: [(String, String)] = []
        out.append(("inputs", "\(formatShape(inputShape)) \(state.timeMajor ? "[time, batch, depth]" : "[batch, time, depth]")"))
        if let m = state.stepMask {
            out.append((state.spec.maskValue == nil ? "mask" : "mask_value", "\(formatShape([m.batchSize, m.maxTime])) bool, batch-major"))
        } else if let l = state.spec.sequenceLength {
            out.append(("seq_length", "\(formatShape([l.count])) \(formatValues(l))"))
        } else {
            out.append(("seq_length", "None (no masking)"))
        }
        let dirs: [(String, CellSpec)] = state.spec.bidirectional
            ? state.spec.directions.map { ($0.name + " ", state.spec.cell(for: $0)) } : [("", state.spec.cell)]
        let scopes = state.spec.model.layers(inputDepth: state.inputDepth)
        for (d, (prefix, cell)) in dirs.enumerated() {
            var depth = state.inputDepth
            for (i, layer) in cell.layers.enumerated() {
                out.append(("\(prefix)L\(i) state", Format.stateShapes(layer.stateSize, batch: b)))
                out.append(("\(prefix)L\(i) in->out", "\(formatShape([b, depth])) \(Symbols(glyphs: .ascii).arrow) \(formatShape([b, layer.outputSize]))"))
                depth = layer.outputSize
                // The layer's weights: names under its scope, less the cell's own name (`kernel`, `bias`, `w_f_diag`).
                let direction = state.spec.bidirectional ? state.spec.directions[d] : .forward
                guard let scope = scopes.first(where: { $0.direction == direction && $0.index == i })?.scope else { continue }
                let inner = scopes.filter { $0.scope.count > scope.count && $0.scope.hasPrefix(scope + "/") }.map { $0.scope + "/" }
                let own = weights.filter { w in w.name.hasPrefix(scope + "/") && !inner.contains { w.name.hasPrefix($0) } }.map { w -> String in
                    let short = w.name.dropFirst(scope.count + 1).split(separator: "/").dropFirst().joined(separator: "/")
                    return "\(short.isEmpty ? w.name : short)=\(formatShape(w.shape))"
                }
                if !own.isEmpty { out.append(("\(prefix)L\(i) weights", own.joined(separator: ", "))) }
            }
        }
        if state.spec.convention == .torch,
           let results = try? state.spec.model.resultShapes(batch: b, maxTime: t, inputDepth: state.inputDepth, timeMajor: state.timeMajor) {
            // PyTorch's own result structure: output (directions concatenated), h_n and c_n.
            return out + results.map { ($0.name, formatShape($0.shape) + ($0.name == "output" ? "" : " [layers*dirs, batch, size]")) }
        }
        for (i, (_, cell)) in dirs.enumerated() {
            out.append((state.spec.bidirectional ? "outputs[\(i)]" : "outputs", seq(cell.outputSize)))
        }
        for (i, (_, cell)) in dirs.enumerated() {
            out.append((state.spec.bidirectional ? "final state[\(i)]" : "final state", cell.stateSize.stateShapesDescription(batch: b)))
        }
        return out
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let title = "Shapes (\(state.timeMajor ? "time_major=True" : "time_major=False"))"
        let inner = drawPaneBox(&c, rect, title: title, focused: focused)
        guard inner.height > 0, inner.width > 0 else { return }
        let items = lines(state: state, inputShape: data.inputShape, weights: data.weightShapes)
        let labelWidth = min(items.map(\.0.count).max() ?? 0, max(8, inner.width / 2))
        // "L0" is layer 0; the title says so when there is room.
        var rows: [(label: String, value: String, selected: Bool)] = []
        let valueWidth = max(1, inner.width - labelWidth - 1)
        let prefix = state.spec.bidirectional ? state.direction.name + " " : ""
        for (label, value) in items {
            let selected = label.hasPrefix("\(prefix)L\(state.layer) ")
            for (k, part) in wrapText(value, width: valueWidth, keepingParentheses: true).enumerated() {
                rows.append((k == 0 ? label : "", part, selected))
            }
        }
        // Keep the selected layer's rows in view.
        let firstSelected = rows.firstIndex { $0.selected } ?? 0
        // Inputs stay on top when the selected layer fits below them, and whenever another pane has the focus
        // (↑/↓ in this pane scroll to the selected layer; the border says what is hidden).
        let top = !focused || rows.count <= inner.height || firstSelected + 2 < inner.height ? 0
            : max(0, min(firstSelected - 1, rows.count - inner.height))
        for (row, item) in rows.dropFirst(top).prefix(inner.height).enumerated() {
            let y = inner.y + row
            c.put(x: inner.x, y: y, width: labelWidth, item.label, align: .left,
                  style: item.selected ? (focused ? Styles.selected : Styles.label.adding(.bold)) : Styles.label)
            c.put(x: inner.x + labelWidth + 1, y: y, width: valueWidth, item.value, align: .left)
        }
        drawMoreMarks(&c, rect, title: title, focused: focused, above: top, below: max(0, rows.count - top - inner.height))
    }
}
