import Experiment
import RNNEngine
import TerminalUI

/// View 6 under a step mask: what each framework does with the selected example's mask, from the engine's padding
/// doctor (`LoadedExperiment.paddingDiagnosis`, what `unroll compare` prints): Keras runs the mask itself (it skips
/// the masked steps, carrying the state and repeating the output); TensorFlow, PyTorch and onnxruntime take a
/// prefix mask as lengths and refuse any other; given the lengths a converter makes (the valid steps per row) they
/// run the row's first steps, padding included, and the view says from which step their outputs go wrong and by
/// how much. Nothing is computed here.
enum MaskCompareView {
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData, focused: Bool) {
        let glyphs = c.glyphs
        let sep = Symbols(glyphs: glyphs).sep
        let k = Keymap.names()
        let b = state.example
        let inner = drawPaneBox(&c, rect, title: "Mask effects \(sep) example \(b) \(sep) \(k(.view(.compare)))", focused: focused)
        guard inner.height > 2, inner.width > 12 else { return }
        var y = inner.y
        func line(_ s: String, _ style: CellStyle = .plain) {
            for l in wrapText(glyphs.isUnicode ? s : asciiOnly(s), width: inner.width) where y < inner.maxY {
                c.put(x: inner.x, y: y, width: inner.width, l, align: .left, style: style)
                y += 1
            }
        }
        guard let diagnosis = data.paddingDiagnosis else {
            line(data.paddingRefusal.map { "no comparison: " + $0 } ?? "running the model under every framework...", Styles.dim)
            return
        }
        for l in lines(diagnosis, example: b, maxTime: state.maxTime) { line(l.text, l.style) }
    }

    /// Steps as a short list: `t=0..3`, `t=2, 5`, `none`.
    static func steps(_ s: [Int]) -> String {
        guard let first = s.first, let last = s.last else { return "none" }
        if s.count > 2 && last - first == s.count - 1 { return "t=\(first)..\(last)" }
        return "t=" + s.map(String.init).joined(separator: ", ")
    }

    /// A refusal in few words: a mask that is not a prefix, or the reason after "because".
    static func short(_ refusal: String) -> String {
        if refusal.contains("is not a prefix") { return "cannot express the batch's mask (not a prefix)" }
        if let r = refusal.range(of: " because ") { return "cannot run the model: " + refusal[r.upperBound...] }
        return refusal
    }

    static func number(_ v: Double) -> String { String(format: "%.3g", v) }

    /// The view's lines for example `b`: the row's mask, then one line per framework (Keras first: the reference).
    static func lines(_ d: PaddingDiagnosis, example b: Int, maxTime: Int) -> [(text: String, style: CellStyle)] {
        guard b < d.mask.batchSize else { return [] }
        let masked = d.mask.maskedSteps(example: b), n = d.lengths[b]
        let runsAsLengths = Array(0..<min(n, maxTime))
        let paddingRun = runsAsLengths.filter { masked.contains($0) }
        var out: [(String, CellStyle)] = []
        out.append(("example \(b): masked \(steps(masked)), valid \(steps(d.mask.validSteps(example: b))); as lengths (what converters make): \(n)", Styles.label))
        if d.maskDroppedByInitialState {
            out.append(("Keras 3 drops Masking's mask here (the layer is called with initial_state): unroll run gives its unmasked run", Styles.masked.adding(.bold)))
        }
        let order: [Convention] = [.keras] + Convention.allCases.filter { $0 != .keras }
        for c in order {
            let entries = d.entries.filter { $0.convention == c }
            guard let mask = entries.first(where: { $0.variant == .mask }), let lengths = entries.first(where: { $0.variant == .lengths }) else { continue }
            var parts: [String] = []
            var style = Styles.ok
            if c.takesAnyMask, mask.refusal == nil {
                parts.append(masked.isEmpty ? "with the mask (the reference): no step of this row masked"
                                            : "with the mask (the reference): skips \(steps(masked)), carries the state, repeats the last valid output")
                style = Styles.ok.adding(.bold)
            } else if let why = mask.refusal {
                parts.append("mask: \(short(why))")
            } else {
                parts.append("mask as lengths: " + difference(mask, b))
            }
            if let why = lengths.refusal {
                parts.append("lengths [\(n)]: \(short(why))")
                if mask.refusal != nil { style = Styles.dim }
            } else {
                let ran = paddingRun.isEmpty ? "run \(steps(runsAsLengths))" : "run the padding \(steps(paddingRun)) first"
                let zero = c.emptyRowsEndInZeroState && n == 0 ? " (length 0: a zero state, not the initial one)" : ""
                parts.append("lengths [\(n)]: \(ran)\(zero); " + difference(lengths, b))
                if lengths.firstWrongStep[b] != nil || lengths.stateDifference[b] != 0 { style = Styles.masked }
            }
            out.append(("\(c.rawValue): " + parts.joined(separator: "; "), style))
        }
        if let e = d.entries.first(where: { $0.convention == .keras && $0.variant == .dropped }), e.refusal == nil {
            out.append(("no mask at all: every step runs; " + difference(e, b), Styles.dim))
        }
        return out
    }

    /// How an entry's run of example `b` differs from Keras' with the mask.
    static func difference(_ e: PaddingDiagnosis.Entry, _ b: Int) -> String {
        guard b < e.outputDifference.count else { return "" }
        let outputs = e.firstWrongStep[b].map { "outputs wrong from t=\($0) (max |diff| \(number(e.outputDifference[b])))" } ?? "outputs right"
        let state = e.stateDifference[b] == 0 ? "final state right" : "final state |diff| \(number(e.stateDifference[b]))"
        return outputs + ", " + state
    }
}
