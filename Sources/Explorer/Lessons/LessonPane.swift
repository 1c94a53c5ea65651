import TerminalUI

/// The lesson's text for the step shown, in a box at the foot of the screen (above the message line), titled with the
/// lesson, the step and the keys that move through it. Drawn from the state alone.
enum LessonPane {
    /// The text wrapped to the box's interior (paragraphs at the file's line breaks).
    static func lines(state: ExplorerState, width: Int, glyphs: Glyphs = .unicode) -> [String] {
        guard let step = state.lesson?.current else { return [] }
        let named = withKeys(step.text, Keymap.names(glyphs: glyphs))
        let text = glyphs.isUnicode ? named : asciiOnly(named)
        return text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { wrapText(String($0), width: max(1, width - 2)) }
    }

    /// The keys a lesson's text may name as `{key:WORD}`, shown as the keymap names them (so a lesson never names a
    /// key the table does not bind).
    static let keyWords: [String: Action] = [
        "next": .lessonNext, "back": .lessonPrevious, "present": .present, "step": .stepNext, "stepBack": .stepPrevious,
        "first": .first, "last": .last, "play": .play, "up": .up, "down": .down, "unitNext": .unitNext,
        "unitPrevious": .unitPrevious, "layerNext": .layerNext, "layerPrevious": .layerPrevious, "loss": .lossNext,
        "scale": .heatmapScale, "help": .help, "convention": .conventionNext, "frame": .view(.frame),
        "unrolled": .view(.unrolled), "equations": .view(.equations), "saturation": .view(.saturation),
        "backward": .view(.backward), "compare": .view(.compare),
    ]

    /// `text` with each `{key:WORD}` replaced by the key's name (an unknown word is left as written).
    static func withKeys(_ text: String, _ keys: KeyNames) -> String {
        var out = text
        for (word, action) in keyWords where out.contains("{key:\(word)}") {
            out = out.replacingOccurrences(of: "{key:\(word)}", with: keys(action))
        }
        return out
    }

    /// Rows the box takes: the text and its border, at most two fifths of the body (0 outside a lesson).
    static func rows(state: ExplorerState, width: Int, bodyHeight: Int) -> Int {
        guard state.lesson != nil else { return 0 }
        return min(lines(state: state, width: width).count + 2, max(3, bodyHeight * 2 / 5))
    }

    static func render(into c: inout Canvas, rect: Rect, state: ExplorerState) {
        guard let p = state.lesson, rect.height >= 2 else { return }
        let k = Keymap.names(glyphs: c.glyphs), sep = Symbols(glyphs: c.glyphs).sep
        let title = "Lesson: \(p.lesson.title) \(sep) step \(p.step + 1) of \(p.lesson.steps.count) \(sep) \(k(.lessonNext)) next \(k(.lessonPrevious)) back"
        let short = "step \(p.step + 1)/\(p.lesson.steps.count) \(sep) \(k(.lessonNext)) next \(k(.lessonPrevious)) back"
        let inner = rect.interior
        let text = lines(state: state, width: rect.width, glyphs: c.glyphs)
        let hidden = max(0, text.count - inner.height)
        drawPaneBox(&c, rect, title: short, longTitle: title, focused: true, below: hidden)
        for (i, line) in text.prefix(inner.height).enumerated() {
            c.put(x: inner.x, y: inner.y + i, width: inner.width, line, align: .left, style: .plain)
        }
    }
}
