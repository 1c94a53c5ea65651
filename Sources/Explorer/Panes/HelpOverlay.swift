import TerminalUI

/// Every key, in a box over the screen (`?` or F1 opens it, Esc closes it).
enum HelpOverlay {
    static func lines(glyphs: Glyphs) -> [String] {
        let a = glyphs
        return [
            "q  quit            ? F1  this help (Esc closes)    Tab S-Tab  next/prev pane",
            "\(a.arrowRight) l / \(a.arrowLeft) h  next / previous step (t=N is TF's 0-based time index)",
            "g Home / G End  first / last step    PgUp PgDn  jump    Space  play/pause",
            "\(a.arrowUp) k / \(a.arrowDown) j  layer (Stack, Shapes), example (Sequences, Frame), unit (Heatmaps)",
            "[ ] layer   , . unit   v V heatmap   d fw/bw pass   mouse: click step/unit",
            "t  toggle time_major: inputs [batch, time, depth] <-> [time, batch, depth]",
            "",
            "Stack      a add  Del/X delete  J K move  T type  + - units  Enter units",
            "           A activation  p peepholes  c cell_clip  P num_proj",
            "           F forget_bias  R residual  D dropout",
            "Sequences  + - length  Enter type a length  n None (no masking) / lengths",
            "Files      o open  L load weights (.npz)  w save  x export frames",
            "",
            "Heatmaps: blue < 0 < red (gates: dark 0 .. bright 1); \(a.dot) masked step",
            "(state copied through); \(a.aboveRange) \(a.belowRange) beyond the colour range; \(a.nan) NaN, + - Inf.",
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
        // Drop the blank lines first when the screen is short.
        let shown = text.count + 2 > c.height ? text.filter { !$0.isEmpty } : text
        for (i, line) in shown.prefix(max(0, h - 2)).enumerated() {
            c.put(x: rect.x + 2, y: rect.y + 1 + i, width: max(0, w - 4), line, align: .left)
        }
    }
}
