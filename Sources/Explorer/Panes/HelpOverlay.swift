import TerminalUI

/// Every key, from `Keymap`, in a box over the screen (`?` or F1 opens it, Esc closes it), with the heatmap
/// legend for the colour mode in use; scrolls when it does not fit.
enum HelpOverlay {
    static func lines(glyphs: Glyphs, colorMode: ColorMode) -> [String] {
        Keymap.helpLines(glyphs: glyphs) + [""] + HeatmapLegend.lines(glyphs: glyphs, colorMode: colorMode) + [
            "Every edit re-runs the engine at once; a refused edit says why (\(Keymap.names()(.messageLog)): message log).",
        ]
    }

    static func render(into c: inout Canvas, glyphs: Glyphs, colorMode: ColorMode, scroll: Int) {
        ScrollingOverlay.render(into: &c, title: "Help (\(closeKey) closes)", lines: lines(glyphs: glyphs, colorMode: colorMode), scroll: scroll)
    }

    /// The key that closes an overlay, as its title names it.
    static var closeKey: String { Keymap.names()(.cancel, in: .overlay) }
}

/// The message log (`M`): every message of the session, wrapped to the screen, newest last.
enum MessageLogOverlay {
    static func render(into c: inout Canvas, log: [String], scroll: Int) {
        let width = max(10, min(c.width, 100) - 4)
        var lines: [String] = []
        for m in log { lines += wrapText(c.glyphs.isUnicode ? m : asciiOnly(m), width: width) }
        if lines.isEmpty { lines = ["(no messages yet)"] }
        ScrollingOverlay.render(into: &c, title: "Messages (\(HelpOverlay.closeKey) closes)", lines: lines, scroll: scroll, fixedWidth: width + 4)
    }
}

/// A box over the screen with lines that scroll (j k PgUp PgDn) and say how many are hidden above and below.
enum ScrollingOverlay {
    static func render(into c: inout Canvas, title: String, lines raw: [String], scroll: Int, fixedWidth: Int? = nil) {
        let room = max(10, min(c.width, fixedWidth ?? c.width) - 4)
        let lines = (c.glyphs.isUnicode ? raw : raw.map(asciiOnly)).flatMap { line -> [String] in
            guard line.count > room else { return [line] }
            // Continuation lines keep the indent of the text after the key column.
            let lead = String(line.prefix { $0 == " " })
            let indent = String(repeating: " ", count: min(room / 2, lead.count + 2))
            let wrapped = wrapText(line, width: room - indent.count)
            return wrapped.enumerated().map { $0.offset == 0 ? lead + $0.element : indent + $0.element }
        }
        let w = min(c.width, fixedWidth ?? ((lines.map(\.count).max() ?? 0) + 4))
        let h = min(c.height, lines.count + 2)
        let rect = Rect(x: (c.width - w) / 2, y: (c.height - h) / 2, width: w, height: h)
        c.fill(rect)
        drawPaneBox(&c, rect, title: title, focused: true)
        let rows = max(0, h - 2)
        let top = min(max(0, scroll), max(0, lines.count - rows))
        for (i, line) in lines.dropFirst(top).prefix(rows).enumerated() {
            c.put(x: rect.x + 2, y: rect.y + 1 + i, width: max(0, w - 4), line, align: .left)
        }
        drawMoreMarks(&c, rect, title: title, focused: true, above: top, below: max(0, lines.count - top - rows))
    }
}

/// What the heatmap cells mean in the colour mode in use (colours, or density characters without colour).
enum HeatmapLegend {
    static func lines(glyphs: Glyphs, colorMode: ColorMode) -> [String] {
        let dot = glyphs.dot
        let common = "\(dot) masked step (hatched; state copied through); \(glyphs.aboveRange) \(glyphs.belowRange) beyond the colour range; \(glyphs.nan) NaN, + - Inf."
        return forward(glyphs: glyphs, colorMode: colorMode, common: common) + [backward(glyphs: glyphs, colorMode: colorMode)]
    }

    /// The backward view's gradient colours: magnitude on a log scale, small to large, in the colour mode in use.
    static func backward(glyphs: Glyphs, colorMode: ColorMode) -> String {
        let k = Keymap.names()
        let ramp: String
        switch colorMode {
        case .none:
            let scale = HeatScale(kind: .sequential, mode: .none, glyphs: glyphs)
            ramp = "characters " + [0.2, 0.6, 1].map { scale.cell($0).char == " " ? "' '" : String(scale.cell($0).char) }.joined(separator: " ")
        case .basic8: ramp = "blue, magenta, red, yellow, white"
        case .palette256: ramp = "black, red, orange, yellow, white"
        }
        return "Backward view (\(k(.view(.backward)))): \(glyphs.isUnicode ? "∂" : "d")h and \(glyphs.isUnicode ? "∂" : "d")c by log10 |gradient|, "
            + "\(ramp) from small to large, on one scale for the whole run (its ends on the scale row; \(k(.heatmapScale)): "
            + "the steps in view), so a vanishing gradient fades; \(glyphs.dot) exactly 0."
    }

    static func forward(glyphs: Glyphs, colorMode: ColorMode, common: String) -> [String] {
        switch colorMode {
        case .none:
            let scale = HeatScale(kind: .diverging, mode: .none, glyphs: glyphs)
            let ramp = [-1.0, -0.5, 0, 0.5, 1].map { "\(scale.cell($0).char == " " ? "' '" : String(scale.cell($0).char))=\(Format.compact($0))" }
            let gates = HeatScale(kind: .sequential, mode: .none, glyphs: glyphs)
            let gateRamp = [0.0, 0.5, 1].map { "\(gates.cell($0).char == " " ? "' '" : String(gates.cell($0).char))=\(Format.compact($0))" }
            return ["Heatmaps (no colour): characters by value, h c and candidates " + ramp.joined(separator: " "),
                    "(times the scale in the title), gates " + gateRamp.joined(separator: " ") + "; " + common]
        case .basic8, .palette256:
            return ["Heatmaps: background blue < 0 < red for h, c and candidates (scaled: title's (\(Keymap.names()(.heatmapScale)))),",
                    "gates dark 0 .. bright 1; " + common]
        }
    }
}
