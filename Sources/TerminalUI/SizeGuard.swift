/// A minimum terminal size, and the "too small" screen shown below it.
public struct SizeGuard: Hashable, Sendable {
    public var minWidth: Int
    public var minHeight: Int

    public init(minWidth: Int, minHeight: Int) {
        self.minWidth = minWidth
        self.minHeight = minHeight
    }

    /// True when width ≥ minWidth and height ≥ minHeight.
    public func isSatisfied(width: Int, height: Int) -> Bool {
        width >= minWidth && height >= minHeight
    }

    /// "Terminal too small: WxH — enlarge to at least MINWxMINH (q quits)".
    public func message(width: Int, height: Int, glyphs: Glyphs = .unicode) -> String {
        "Terminal too small: \(width)x\(height) \(glyphs.dash) enlarge to at least \(minWidth)x\(minHeight) (q quits)"
    }

    /// Clears `surface` and draws the message word-wrapped and centred in it (cut off when it
    /// does not fit; any size, including 0×0, is fine). The size in the message is the surface's.
    public func render<S: DrawingSurface>(into surface: inout S, style: CellStyle = .bold) {
        surface.clear()
        let w = surface.width, h = surface.height
        guard w > 0, h > 0 else { return }
        let lines = SizeGuard.wrap(message(width: w, height: h, glyphs: surface.glyphs), width: w)
        let shown = Array(lines.prefix(h))
        let top = (h - shown.count) / 2
        for (i, line) in shown.enumerated() {
            surface.put(x: 0, y: top + i, width: w, line, align: .center, style: style)
        }
    }

    /// A grid of the given size with the message rendered.
    public func grid(width: Int, height: Int, glyphs: Glyphs = .unicode, style: CellStyle = .bold) -> CellGrid {
        var g = CellGrid(width: width, height: height, glyphs: glyphs)
        render(into: &g, style: style)
        return g
    }

    /// Greedy word wrap; words longer than `width` are split.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            var w = String(word)
            while w.count > width {
                if !current.isEmpty { lines.append(current); current = "" }
                lines.append(String(w.prefix(width)))
                w = String(w.dropFirst(width))
            }
            if w.isEmpty { continue }
            if current.isEmpty {
                current = w
            } else if current.count + 1 + w.count <= width {
                current += " " + w
            } else {
                lines.append(current)
                current = w
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
