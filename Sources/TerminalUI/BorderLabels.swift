/// Text drawn into a box's edge: `text` starts `x` columns right of the box's left edge and already holds its
/// padding spaces (`" Cell "`).
public struct BorderLabel: Hashable, Sendable {
    public let x: Int
    public let text: String

    public init(x: Int, text: String) {
        self.x = x
        self.text = text
    }
}

/// Where a box's title and its marks (such as `↑ 3 more`) go on its top and bottom edges: the one place for
/// the rule `DrawingSurface.box` follows.
///
/// The title goes left (`┌─ title `), a mark right-aligned (` ↑ 3 more ┐`); each keeps its padding spaces and at
/// least one border cell on its outer side. On the top edge the two never overlap: at least one border cell
/// separates them (`┌─ Sha… ─ ↑ 3 more ┐`). When both do not fit the title is shortened (ending in the glyph
/// set's ellipsis); when not even `shortestTitle` characters of it fit, it is left out and the mark wins. A mark
/// comes in forms, longest first (`↑ 3 more`, `↑ 3`): the first that fits on the edge by itself is drawn, none
/// when none fits. Nothing is ever placed outside the box.
public enum BorderLabels {
    /// The fewest characters a shortened title keeps (one character and the ellipsis); with less room it is left out.
    public static let shortestTitle = 2

    /// The title and the mark on the top edge of a box `width` columns wide. `titles` are the title's forms,
    /// preferred first: the first that fits whole is used, else the last one shortened.
    public static func top(width: Int, titles: [String], marks: [String], glyphs: Glyphs) -> (title: BorderLabel?, mark: BorderLabel?) {
        let mark = bottom(width: width, marks: marks)
        // " title " starts at column 2 and ends before the mark's cell and one border cell: count <= x - 5.
        let room = mark.map { $0.x - 5 } ?? width - 5
        let forms = titles.filter { !$0.isEmpty }
        guard room > 0, let last = forms.last else { return (nil, mark) }
        if let whole = forms.first(where: { $0.count <= room }) { return (BorderLabel(x: 2, text: " \(whole) "), mark) }
        guard room >= shortestTitle else { return (nil, mark) }
        return (BorderLabel(x: 2, text: " \(glyphs.truncate(last, to: room)) "), mark)
    }

    /// The mark on an edge without a title (the bottom one) of a box `width` columns wide: the first of `marks`
    /// (longest first) that fits, right-aligned, or nil.
    public static func bottom(width: Int, marks: [String]) -> BorderLabel? {
        // " mark " ends before the corner and starts after the corner and one border cell: count <= width - 5.
        guard let m = marks.first(where: { !$0.isEmpty && $0.count <= width - 5 }) else { return nil }
        return BorderLabel(x: width - m.count - 3, text: " \(m) ")
    }
}
