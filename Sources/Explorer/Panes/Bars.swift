import RNNEngine
import TerminalUI

/// The top row: the experiment's name and its one-line description.
enum TitleBar {
    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState, data: ScreenData) {
        c.fill(rect, style: Styles.title)
        let s = Symbols(glyphs: c.glyphs)
        let name = state.displayName.isEmpty ? data.fileName : state.displayName
        var text = " unroll \(s.sep) \(state.isEdited ? "\(data.fileName) \(name)" : name)"
        let description = state.displayDescription
        if state.spec.convention != .tf { text += " [\(state.spec.convention.rawValue): \(state.spec.convention.frameworkName)]" }
        if !description.isEmpty { text += " \(c.glyphs.dash) \(description)" }
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
        parts.append((state.spec.bidirectional ? state.direction.name + " " : "") + layer)
        parts.append(state.timeMajor ? "time-major" : "batch-major")
        if state.playing { parts.append("\(s.play) playing") }
        c.fill(rect, style: Styles.status)
        // Right side: progress (drawn first so it always shows).
        var right = ""
        if let f = data.failure {
            right = "failed: \(f)"
        } else if let bd = data.backward, bd.isComputing, !data.isComputing {
            right = "backward \(Format.count(bd.completed))/\(Format.count(bd.maxTime))"
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

/// The bottom row: the keys of the focused pane and the global ones, from `Keymap`.
enum KeyHintBar {
    static func hints(for state: ExplorerState, glyphs: Glyphs) -> [(String, String)] {
        if let p = state.prompt {
            // Tab completes paths only.
            let complete = Keymap.names(glyphs: glyphs)(.complete, in: .prompt)
            return Keymap.hints(in: .prompt, glyphs: glyphs).filter { p.kind.isPath || $0.keys != complete }.map { ($0.keys, $0.hint) }
        }
        if state.confirmation != nil { return Keymap.hints(in: .question, glyphs: glyphs).map { ($0.keys, $0.hint) } + [("any other key", "no")] }
        if state.showHelp || state.showLog { return Keymap.hints(in: .overlay, glyphs: glyphs).map { ($0.keys, $0.hint) } }
        let own = ViewKeyHints.hints(state, glyphs: glyphs)
        return own + Keymap.barHints(state, glyphs: glyphs)
            .filter { h in !own.contains { $0.0 == h.keys } }.map { ($0.keys, $0.hint) }
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState) {
        c.fill(rect)
        if let p = state.prompt, !p.candidates.isEmpty {
            // What a Tab matched, in place of the hints.
            c.put(x: rect.x, y: rect.y, width: rect.width, " " + p.candidates.joined(separator: "  "), align: .left, style: Styles.label)
            return
        }
        var x = rect.x
        for (key, what) in hints(for: state, glyphs: c.glyphs) {
            let need = key.count + what.count + 3
            if x + need > rect.maxX { break }
            x = c.put(x: x, y: rect.y, " \(key) ", style: Styles.key)
            x = c.put(x: x, y: rect.y, what + " ", style: .plain)
        }
    }
}

/// The message line: a prompt being typed, a question, or the last message (errors in red). A message too long
/// for the line ends with a pointer to the message log, where it is shown in full.
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
        if let q = state.confirmation {
            c.put(x: rect.x, y: rect.y, width: rect.width, c.glyphs.isUnicode ? q.question : asciiOnly(q.question), align: .left,
                  style: Styles.masked.adding(.bold))
            return
        }
        guard !state.message.isEmpty else { return }
        var text = c.glyphs.isUnicode ? state.message : asciiOnly(state.message)
        if text.count > rect.width {
            let more = " \(c.glyphs.ellipsis)(\(Keymap.names()(.messageLog)): full message)"
            text = String(text.prefix(max(0, rect.width - more.count))) + more
        }
        c.put(x: rect.x, y: rect.y, width: rect.width, text, align: .left,
              style: state.messageIsError ? Styles.error : Styles.ok)
    }
}

/// Text from files (names, descriptions, paths) made ASCII for a non-UTF-8 terminal.
func asciiOnly(_ text: String) -> String {
    let table: [Character: String] = ["→": "->", "←": "<-", "—": "-", "–": "-", "≥": ">=", "≤": "<=", "×": "x", "·": ".",
                                      "…": "...", "σ": "sigma", "±": "+-", "⊙": "*", "̃": "~", "“": "\"", "”": "\"", "‘": "'", "’": "'",
                                      "∂": "d", "‖": "|", "─": "-", "═": "=", "▶": ">", "↑": "^"]
    var out = ""
    for ch in text {
        if ch.isASCII { out.append(ch) } else { out += table[ch] ?? "?" }
    }
    return out
}
