/// Horizontal placement of text in a span.
public enum Alignment: Hashable, Sendable {
    case left, center, right
}

/// Something cells can be drawn on: a `CellGrid` or a `Canvas` region of one.
/// Coordinates are local (0,0 is the top-left of the surface). Every drawing call clips:
/// negative or out-of-range coordinates never trap, they just draw nothing there.
/// Each `Character` takes one column (only single-width characters are supported).
public protocol DrawingSurface {
    var width: Int { get }
    var height: Int { get }
    /// The glyph set used by `box`, `hline` and `vline`.
    var glyphs: Glyphs { get }
    /// The cell at (x, y), `nil` outside the surface.
    func cell(x: Int, y: Int) -> Cell?
    /// Sets the cell at (x, y); ignored outside the surface.
    mutating func set(x: Int, y: Int, _ cell: Cell)
}

extension DrawingSurface {
    /// (0, 0, width, height).
    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// The character at (x, y), `nil` outside.
    public func character(x: Int, y: Int) -> Character? { cell(x: x, y: y)?.char }

    /// The style at (x, y), `nil` outside.
    public func style(x: Int, y: Int) -> CellStyle? { cell(x: x, y: y)?.style }

    /// Writes `text` from (x, y) rightwards, one column per `Character`, clipped at the edges.
    /// Control characters (newline, tab, …) are drawn as spaces.
    /// Returns the column after the last character (x + text.count), whether or not it was visible.
    @discardableResult
    public mutating func put(x: Int, y: Int, _ text: String, style: CellStyle = .plain) -> Int {
        var cx = x
        guard y >= 0, y < height else { return x + text.count }
        for ch in text {
            if cx >= width { cx += 1; continue }
            if cx >= 0 { set(x: cx, y: y, Cell(Self.printable(ch), style: style)) }
            cx += 1
        }
        return cx
    }

    /// Writes `text` in the span of `width` columns starting at x on row y, aligned and
    /// truncated (with the glyph set's ellipsis) to fit. Returns the column after the text.
    @discardableResult
    public mutating func put(x: Int, y: Int, width spanWidth: Int, _ text: String,
                             align: Alignment, style: CellStyle = .plain) -> Int {
        guard spanWidth > 0 else { return x }
        let t = glyphs.truncate(text, to: spanWidth)
        let pad = spanWidth - t.count
        let start: Int
        switch align {
        case .left: start = x
        case .center: start = x + pad / 2
        case .right: start = x + pad
        }
        return put(x: start, y: y, t, style: style)
    }

    /// Fills `rect` (clipped) with `char` in `style`.
    public mutating func fill(_ rect: Rect, char: Character = " ", style: CellStyle = .plain) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        let c = Cell(Self.printable(char), style: style)
        for yy in r.y..<r.maxY {
            for xx in r.x..<r.maxX { set(x: xx, y: yy, c) }
        }
    }

    /// Fills the whole surface with spaces in `style`.
    public mutating func clear(style: CellStyle = .plain) {
        fill(bounds, style: style)
    }

    /// A horizontal line of `length` cells from (x, y); `char` defaults to `glyphs.horizontal`.
    public mutating func hline(x: Int, y: Int, length: Int, char: Character? = nil, style: CellStyle = .plain) {
        fill(Rect(x: x, y: y, width: length, height: 1), char: char ?? glyphs.horizontal, style: style)
    }

    /// A vertical line of `length` cells from (x, y); `char` defaults to `glyphs.vertical`.
    public mutating func vline(x: Int, y: Int, length: Int, char: Character? = nil, style: CellStyle = .plain) {
        fill(Rect(x: x, y: y, width: 1, height: length), char: char ?? glyphs.vertical, style: style)
    }

    /// A border around the edge of `rect` (the inside is left alone), with an optional title
    /// drawn into the top edge as `┌─ title ─┐` (truncated to fit). A rect one cell high or
    /// wide degrades to a line; an empty rect draws nothing.
    public mutating func box(_ rect: Rect, title: String? = nil, style: CellStyle = .plain,
                             titleStyle: CellStyle? = nil) {
        box(rect, titles: title.map { [$0] } ?? [], style: style, titleStyle: titleStyle)
    }

    /// A border around the edge of `rect` (the inside is left alone) with a title and marks on its edges, placed
    /// by `BorderLabels`: the first of `titles` that fits whole, else the last shortened, on the top edge; the
    /// first of `topMarks` that fits right-aligned on the top edge (it wins over the title), the first of
    /// `bottomMarks` that fits on the bottom one. A rect one cell high or wide degrades to a line (with the
    /// title only); an empty rect draws nothing.
    public mutating func box(_ rect: Rect, titles: [String], style: CellStyle = .plain, titleStyle: CellStyle? = nil,
                             topMarks: [String] = [], bottomMarks: [String] = [], markStyle: CellStyle? = nil) {
        guard !rect.isEmpty else { return }
        let g = glyphs
        let framed = rect.height > 1 && rect.width > 1
        if rect.height == 1 {
            hline(x: rect.x, y: rect.y, length: rect.width, style: style)
        } else if rect.width == 1 {
            vline(x: rect.x, y: rect.y, length: rect.height, style: style)
        } else {
            hline(x: rect.x + 1, y: rect.y, length: rect.width - 2, style: style)
            hline(x: rect.x + 1, y: rect.maxY - 1, length: rect.width - 2, style: style)
            vline(x: rect.x, y: rect.y + 1, length: rect.height - 2, style: style)
            vline(x: rect.maxX - 1, y: rect.y + 1, length: rect.height - 2, style: style)
            set(x: rect.x, y: rect.y, Cell(g.topLeft, style: style))
            set(x: rect.maxX - 1, y: rect.y, Cell(g.topRight, style: style))
            set(x: rect.x, y: rect.maxY - 1, Cell(g.bottomLeft, style: style))
            set(x: rect.maxX - 1, y: rect.maxY - 1, Cell(g.bottomRight, style: style))
        }
        let top = BorderLabels.top(width: rect.width, titles: titles, marks: framed ? topMarks : [], glyphs: g)
        if let t = top.title { put(x: rect.x + t.x, y: rect.y, t.text, style: titleStyle ?? style) }
        if let m = top.mark { put(x: rect.x + m.x, y: rect.y, m.text, style: markStyle ?? style) }
        if framed, let m = BorderLabels.bottom(width: rect.width, marks: bottomMarks) {
            put(x: rect.x + m.x, y: rect.maxY - 1, m.text, style: markStyle ?? style)
        }
    }

    /// Draws a row of prepared cells from (x, y), clipped.
    public mutating func put(x: Int, y: Int, cells: [Cell]) {
        for (i, c) in cells.enumerated() { set(x: x + i, y: y, c) }
    }

    static func printable(_ ch: Character) -> Character {
        for s in ch.unicodeScalars where s.value < 0x20 || (s.value >= 0x7f && s.value < 0xa0) {
            return " "
        }
        return ch
    }
}
