import TerminalUI

/// Every key, in a box over the screen (`?` or F1 opens it, Esc closes it).
enum HelpOverlay {
    static func lines(glyphs: Glyphs) -> [String] {
        let a = glyphs
        return [
            "q            quit",
            "? F1         this help (Esc closes)",
            "\(a.arrowRight) l / \(a.arrowLeft) h    next / previous step (t is TF's 0-based time index)",
            "g Home       first step        G End   last step",
            "PgUp PgDn    jump 10% of max_time",
            "Space        play / pause",
            "\(a.arrowUp) k / \(a.arrowDown) j    select: layer (Stack, Shapes), example (Sequences,",
            "             Frame), unit (Heatmaps)",
            "[ ]  , .     previous/next layer, unit     v V  next/previous heatmap",
            "Tab S-Tab    next / previous pane          mouse: click a step or unit",
            "t            toggle time_major (inputs [batch, time, depth] <-> [time, batch, depth])",
            "d            forward / backward pass (bidirectional experiments)",
            "",
            "Stack pane   a add layer   Del/X delete   J K move down/up   T type",
            "             + - units   Enter type units   A activation   p peepholes",
            "             c cell_clip   P num_proj   F forget_bias   R residual   D dropout",
            "Sequences    + - length of the selected example   Enter type a length",
            "             n sequence_length None (no masking) <-> per-example lengths",
            "",
            "o open experiment   L load weights (.npz, TF names)   w save experiment",
            "x export recorded frames (.npz and .csv)",
            "",
            "Heatmaps: blue < 0 < red (gates: dark 0 .. bright 1); a dot = masked step",
            "(state copied through); \(a.aboveRange)\(a.belowRange) beyond the colour range; \(a.nan) NaN, +/- Inf.",
            "Every edit re-runs the engine at once; a refused edit says why below.",
        ]
    }

    static func render(into c: inout Canvas, glyphs: Glyphs) {
        let text = lines(glyphs: glyphs)
        let w = min(c.width, (text.map(\.count).max() ?? 0) + 4)
        let h = min(c.height, text.count + 2)
        let rect = Rect(x: (c.width - w) / 2, y: (c.height - h) / 2, width: w, height: h)
        c.fill(rect)
        c.box(rect, title: "Help (Esc closes)", style: Styles.focusedBorder, titleStyle: Styles.focusedBorder.adding(.reverse))
        for (i, line) in text.prefix(max(0, h - 2)).enumerated() {
            c.put(x: rect.x + 2, y: rect.y + 1 + i, width: max(0, w - 4), line, align: .left)
        }
    }
}
