import RNNEngine
import TerminalUI

/// The top row: the experiment's name and its one-line description.
enum TitleBar {
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData) {
        c.fill(rect, style: Styles.title)
        let s = Symbols(glyphs: c.glyphs)
        let name = state.spec.name.isEmpty ? data.fileName : state.spec.name
        var text = " unroll \(s.sep) \(name)"
        if !state.spec.description.isEmpty { text += " \(c.glyphs.dash) \(state.spec.description)" }
        if !c.glyphs.isUnicode { text = asciiOnly(text) }
        c.put(x: rect.x, y: rect.y, width: rect.width, text, align: .left, style: Styles.title)
    }
}

/// The second row: the step, the selection, the layout and the progress of the background pass.
enum StatusBar {
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData) {
        let s = Symbols(glyphs: c.glyphs)
        var parts: [String] = []
        parts.append("t=\(state.t) of max_time \(state.maxTime)")
        parts.append("inputs \(formatShape(data.inputShape))")
        parts.append("example \(state.example)")
        let layer = state.layerSpec.map { "layer \(state.layer) \($0.typeName)" } ?? "layer -"
        parts.append((state.spec.bidirectional ? (state.direction == 0 ? "fw " : "bw ") : "") + layer)
        parts.append(state.timeMajor ? "time-major" : "batch-major")
        if state.playing { parts.append("\(s.play) playing") }
        c.fill(rect, style: Styles.status)
        // Right side: progress (drawn first so it always shows).
        var right = ""
        if let f = data.failure {
            right = "failed: \(f)"
        } else if data.isComputing {
            right = "computing \(Format.count(data.progress.done))/\(Format.count(data.progress.total))"
        } else {
            right = "done: \(Format.count(data.progress.total)) steps"
        }
        let rightWidth = min(right.count, max(0, rect.width / 2))
        let style = data.failure != nil ? Styles.error.adding(.reverse) : (data.isComputing ? Styles.status.adding(.bold) : Styles.status)
        c.put(x: rect.maxX - rightWidth - 1, y: rect.y, width: rightWidth, right, align: .right, style: style)
        let text = " " + parts.joined(separator: " \(s.sep) ")
        c.put(x: rect.x, y: rect.y, width: max(0, rect.width - rightWidth - 3), text, align: .left, style: Styles.status)
    }
}

/// The bottom row: the keys that matter in the focused pane, then the global ones.
enum KeyHintBar {
    static func hints(for state: ExplorerState, glyphs: Glyphs) -> [(String, String)] {
        let s = Symbols(glyphs: glyphs)
        if state.prompt != nil { return [("Enter", "confirm"), ("Esc", "cancel"), ("^U", "clear")] }
        if state.showHelp { return [("Esc", "close help"), ("q", "quit")] }
        var h: [(String, String)] = [("q", "quit"), ("?", "help"), ("\(glyphs.arrowLeft)\(glyphs.arrowRight)/h l", "step"),
                                     ("g G", "first/last"), ("Space", "play"), ("Tab", "pane"), ("t", "time-major")]
        switch state.focus {
        case .stack:
            h = [("\(glyphs.arrowUp)\(glyphs.arrowDown)", "layer"), ("+ -", "units"), ("T", "type"), ("a", "add"),
                 (s.del, "delete"), ("J K", "move"), ("A", "activation"), ("p c P F", "peep/clip/proj/fbias"),
                 ("R D", "residual/dropout")] + h
        case .sequences:
            h = [("\(glyphs.arrowUp)\(glyphs.arrowDown)", "example"), ("+ -", "length"), ("Enter", "type length"),
                 ("n", "none/masking")] + h
        case .frame:
            h = [("\(glyphs.arrowUp)\(glyphs.arrowDown)", "example"), ("[ ]", "layer"), (", .", "unit")] + h
        case .heatmap:
            h = [("\(glyphs.arrowUp)\(glyphs.arrowDown)", "unit"), ("v", "heatmap"), ("[ ]", "layer")] + h
        case .shapes:
            h = [("\(glyphs.arrowUp)\(glyphs.arrowDown)", "layer")] + h
        }
        if state.spec.bidirectional { h.append(("d", "fw/bw")) }
        h += [("o", "open"), ("w", "save"), ("x", "export"), ("L", "weights")]
        return h
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState) {
        c.fill(rect)
        var x = rect.x
        for (key, what) in hints(for: state, glyphs: c.glyphs) {
            let need = key.count + what.count + 3
            if x + need > rect.maxX { break }
            x = c.put(x: x, y: rect.y, " \(key) ", style: Styles.key)
            x = c.put(x: x, y: rect.y, what + " ", style: .plain)
        }
    }
}

/// The message line: a prompt being typed, or the last message (errors in red).
enum MessageLine {
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState) {
        c.fill(rect)
        if let p = state.prompt {
            let label = p.kind.label + ": "
            let x = c.put(x: rect.x, y: rect.y, label, style: Styles.label.adding(.bold))
            let room = rect.maxX - x - 1
            let shown = p.text.count > room ? String(p.text.suffix(max(0, room))) : p.text
            let end = c.put(x: x, y: rect.y, shown)
            c.put(x: end, y: rect.y, " ", style: .reverse)  // the cursor
            return
        }
        guard !state.message.isEmpty else { return }
        c.put(x: rect.x, y: rect.y, width: rect.width, c.glyphs.isUnicode ? state.message : asciiOnly(state.message), align: .left,
              style: state.messageIsError ? Styles.error : Styles.ok)
    }
}

/// Text from files (names, descriptions, paths) made ASCII for a non-UTF-8 terminal.
func asciiOnly(_ text: String) -> String {
    let table: [Character: String] = ["→": "->", "←": "<-", "—": "-", "–": "-", "≥": ">=", "≤": "<=", "×": "x", "·": ".",
                                      "…": "...", "σ": "sigma", "“": "\"", "”": "\"", "‘": "'", "’": "'"]
    var out = ""
    for ch in text {
        if ch.isASCII { out.append(ch) } else { out += table[ch] ?? "?" }
    }
    return out
}
