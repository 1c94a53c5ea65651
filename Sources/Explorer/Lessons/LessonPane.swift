import TerminalUI

/// The lesson's text for the step shown, in a box at the foot of the screen (above the message line), titled with the
/// lesson, the step and the keys that move through it. Drawn from the state alone.
enum LessonPane {
    /// The text wrapped to the box's interior (paragraphs at the file's line breaks).
    static func lines(state: ExplorerState, width: Int, glyphs: Glyphs = .unicode) -> [String] {
        guard let p = state.lesson else { return [] }
        let text = glyphs.isUnicode ? p.current.text : asciiOnly(p.current.text)
        return text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { wrapText(String($0), width: max(1, width - 2)) }
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
