import RNNEngine
import TerminalUI

/// Presentation mode's equations (view 3 full screen): the equations view's lines (the engine's numbers, laid out
/// by `EquationsPane`), preceded once by what `W·[x, h]` means for a student who knows an MLP's dense layer: which
/// part of the layer's kernel multiplies the input x_t and which the previous state h, read from the weights' shapes.
enum PresentedEquations {
    /// The kernel note for the selected layer: the MLP reading of `W·[x, h]`, with the kernel's name and shape.
    static func kernelNote(state: ExplorerState, data: ScreenData) -> [String] {
        let model = state.spec.model
        guard let layer = model.layers(inputDepth: state.inputDepth).first(where: { $0.direction == state.direction && $0.index == state.layer }),
              let cell = FrameRows.unwrap(layer.spec).cell.unwrappedLayer else { return [] }
        let d = layer.inputDepth, n = layer.spec.outputSize
        // The blocks in the order the framework stores them along the kernel, by the letters it gives them.
        let gates = cell.descriptor.storedGateOrder(state.spec.convention).map { $0.letter(in: state.spec.convention, kind: cell.kind) }
        let blocks = gates.count > 1 ? "; its columns hold one block of \(cell.numUnits) per gate (\(gates.joined(separator: ", "))), W_\(gates[0]) is the \(gates[0]) block" : ""
        let mlp = "W·[x, h] is an MLP's dense layer whose input is x_t (\(d) values) and the previous h (\(n)) side by side"
        let twoParts = ": kernel multiplies x_t, recurrent_kernel multiplies h, so W·[x, h] = x·kernel + h·recurrent_kernel"
        switch state.spec.convention {
        case .tf where cell.descriptor.tensorFlowVariables == .inputAndRecurrent:
            return [mlp + ": TF keeps W in two parts" + twoParts + blocks + "."]
        case .tf:
            // TF's variables under the layer's scope (`kernel`, or a GRU's `gates/kernel` and `candidate/kernel`).
            let own = data.weightShapes.filter { w in
                w.name.hasPrefix(layer.scope + "/") && w.name.hasSuffix("kernel") && !w.name.hasSuffix("projection/kernel")
                    && w.name.dropFirst(layer.scope.count + 1).split(separator: "/").count <= 3
            }
            let kernels = own.filter { $0.shape.count == 2 && $0.shape[0] == d + n }
            guard !kernels.isEmpty else { return [mlp + "."] }
            let names = kernels.map { w -> String in
                let short = w.name.dropFirst(layer.scope.count + 1).split(separator: "/").dropFirst().joined(separator: "/")
                return "\(short) \(formatShape(w.shape))"
            }.joined(separator: " and ")
            let rows = "rows 0-\(d - 1) multiply x_t, rows \(d)-\(d + n - 1) multiply h"
            // TF's GRU: the candidate's kernel multiplies [x, r⊙h] (`TensorFlowVariables.gatesAndCandidate`).
            let split = cell.descriptor.tensorFlowVariables == .gatesAndCandidate ? " (the candidate's over [x, r⊙h])" : ""
            return [mlp + ": TF multiplies [x, h] by \(names)\(split): \(rows), so W·[x, h] = W_x·x + W_h·h" + (kernels.count == 1 ? blocks : "") + "."]
        case .keras:
            return [mlp + ": Keras keeps W in two parts" + twoParts + blocks + "."]
        case .torch:
            return [mlp + ": PyTorch keeps W in two parts: weight_ih_l\(state.layer) multiplies x_t, weight_hh_l\(state.layer) multiplies h, so W·[x, h] = W_ih·x + W_hh·h" + blocks.replacingOccurrences(of: "columns", with: "rows") + "."]
        default:
            return [mlp + "."]
        }
    }

    /// The rows as drawn in `inner`: the heading, the kernel note, then the equations, a blank line between them when
    /// they fit.
    static func rows(state: ExplorerState, data: ScreenData, inner: Rect, glyphs: Glyphs) -> [(String, CellStyle)] {
        var lines = EquationsPane.lines(state: state, data: data, glyphs: glyphs)
        let note = kernelNote(state: state, data: data).map { ($0, Styles.label) }
        if !lines.isEmpty { lines.insert(contentsOf: note, at: 1) }
        var rows: [(String, CellStyle)] = []
        for (text, style) in lines {
            let t = glyphs.isUnicode ? text : asciiOnly(text)
            for (i, line) in wrapText(t, width: max(8, inner.width - 4), keepingParentheses: true).enumerated() {
                rows.append((i == 0 ? line : "    " + line, style))
            }
            rows.append(("", .plain))
        }
        return rows.count > inner.height ? rows.filter { !$0.0.isEmpty } : rows
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData) {
        let sep = Symbols(glyphs: c.glyphs).sep
        let title = "Equations \(sep) t=\(state.t) \(sep) layer \(state.layer) \(sep) unit \(state.unit) \(sep) \(Keymap.names(glyphs: c.glyphs)(.present)) back"
        EquationsPane.renderScrolled(into: &c, rect: rect, title: title, focused: true, scroll: state.frameScroll) { inner, glyphs in
            rows(state: state, data: data, inner: inner, glyphs: glyphs)
        }
    }
}
