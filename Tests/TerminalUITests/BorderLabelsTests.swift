import XCTest
@testable import TerminalUI

/// `BorderLabels` and `box` with marks: the title and "↑ N more" never overlap, the title is shortened first,
/// the mark wins when the title cannot keep two characters, and nothing lands outside the box.
final class BorderLabelsTests: XCTestCase {
    private let title = "Shapes (time_major=True)"

    private func topRow(width: Int, glyphs: Glyphs, above: Int) -> String {
        var g = CellGrid(width: width, height: 3, glyphs: glyphs)
        let up = glyphs.arrowUp
        let marks = above > 0 ? ["\(up) \(above) more", "\(up) \(above)", String(up)] : []
        g.box(g.bounds, titles: [title], topMarks: marks)
        return g.row(0)
    }

    func testUnicodeTitleAndMarkAtSeveralWidths() {
        // Title and mark fit whole, one border cell between them.
        XCTAssertEqual(topRow(width: 40, glyphs: .unicode, above: 5), "┌─ Shapes (time_major=True) ─ ↑ 5 more ┐")
        // The title is shortened (ellipsis) so that one border cell stays between it and the mark.
        XCTAssertEqual(topRow(width: 30, glyphs: .unicode, above: 5), "┌─ Shapes (time_… ─ ↑ 5 more ┐")
        // The shortest title kept: one character and the ellipsis.
        XCTAssertEqual(topRow(width: 18, glyphs: .unicode, above: 5), "┌─ S… ─ ↑ 5 more ┐")
        // No room for even that: the mark wins.
        XCTAssertEqual(topRow(width: 17, glyphs: .unicode, above: 5), "┌───── ↑ 5 more ┐")
        // The full mark does not fit: its shorter forms.
        XCTAssertEqual(topRow(width: 12, glyphs: .unicode, above: 5), "┌───── ↑ 5 ┐")
        XCTAssertEqual(topRow(width: 6, glyphs: .unicode, above: 5), "┌─ ↑ ┐")
        // Nothing fits: a bare edge.
        XCTAssertEqual(topRow(width: 5, glyphs: .unicode, above: 5), "┌───┐")
        // Without a mark the title takes the whole edge, as before.
        XCTAssertEqual(topRow(width: 30, glyphs: .unicode, above: 0), "┌─ Shapes (time_major=True) ─┐")
        XCTAssertEqual(topRow(width: 20, glyphs: .unicode, above: 0), "┌─ Shapes (time_m… ┐")
    }

    func testAsciiTitleAndMarkAtSeveralWidths() {
        XCTAssertEqual(topRow(width: 40, glyphs: .ascii, above: 5), "+- Shapes (time_major=True) - ^ 5 more +")
        XCTAssertEqual(topRow(width: 30, glyphs: .ascii, above: 5), "+- Shapes (time_~ - ^ 5 more +")
        XCTAssertEqual(topRow(width: 18, glyphs: .ascii, above: 5), "+- S~ - ^ 5 more +")
        XCTAssertEqual(topRow(width: 17, glyphs: .ascii, above: 5), "+----- ^ 5 more +")
        XCTAssertEqual(topRow(width: 12, glyphs: .ascii, above: 5), "+----- ^ 5 +")
        XCTAssertEqual(topRow(width: 5, glyphs: .ascii, above: 5), "+---+")
        XCTAssertEqual(topRow(width: 30, glyphs: .ascii, above: 0), "+- Shapes (time_major=True) -+")
    }

    func testBottomMarkAndTitleForms() {
        var g = CellGrid(width: 30, height: 3, glyphs: .unicode)
        g.box(g.bounds, titles: ["Backward · layer 0 · ±0.5 (z)", "Backward · layer 0"], bottomMarks: ["↓ 1 more", "↓ 1"])
        // The long title does not fit whole (29 > 25): the short one, whole, rather than the long one cut.
        XCTAssertEqual(g.row(0), "┌─ Backward · layer 0 ───────┐")
        XCTAssertEqual(g.row(2), "└" + String(repeating: "─", count: 18) + " ↓ 1 more ┘")
        var h = CellGrid(width: 36, height: 3, glyphs: .unicode)
        h.box(h.bounds, titles: ["Backward · layer 0 · ±0.5 (z)", "Backward · layer 0"])
        XCTAssertEqual(h.row(0), "┌─ Backward · layer 0 · ±0.5 (z) ──┐")
    }

    /// At every width and count, on a box inside a larger grid: the labels stay inside the box's edge, between its
    /// corners with a border cell on each outer side, and at least one border cell apart.
    func testLabelsNeverOverlapOrLeaveTheBox() {
        for glyphs in [Glyphs.unicode, .ascii] {
            for width in 0...45 {
                for count in [0, 1, 12, 123_456_789] {
                    let up = glyphs.arrowUp
                    let marks = count > 0 ? ["\(up) \(count) more", "\(up) \(count)", String(up)] : []
                    let p = BorderLabels.top(width: width, titles: [title], marks: marks, glyphs: glyphs)
                    if let t = p.title {
                        XCTAssertGreaterThanOrEqual(t.x, 2)
                        XCTAssertLessThanOrEqual(t.x + t.text.count, width - 1, "\(width) \(t)")
                        XCTAssertTrue(t.text.hasPrefix(" ") && t.text.hasSuffix(" "))
                        XCTAssertGreaterThanOrEqual(t.text.count - 2, min(BorderLabels.shortestTitle, title.count))
                    }
                    if let m = p.mark {
                        XCTAssertGreaterThanOrEqual(m.x, 2, "\(width) \(m)")
                        XCTAssertEqual(m.x + m.text.count, width - 1, "\(width) \(m)")
                        if let t = p.title { XCTAssertLessThan(t.x + t.text.count, m.x, "\(width): \(t) \(m)") }
                    } else if count > 0 {
                        XCTAssertLessThan(width, 6, "a mark fits from width 6")
                    }
                    // Drawn: the cells outside the box are untouched.
                    var g = CellGrid(width: width + 4, height: 5, glyphs: glyphs)
                    g.fill(g.bounds, char: "#")
                    g.box(Rect(x: 2, y: 1, width: width, height: 3), titles: [title], topMarks: marks, bottomMarks: marks)
                    for y in 0..<5 {
                        for x in 0..<(width + 4) where !(x >= 2 && x < width + 2 && y >= 1 && y < 4) {
                            XCTAssertEqual(g.character(x: x, y: y), "#", "width \(width) count \(count) at (\(x), \(y))")
                        }
                    }
                }
            }
        }
    }

    func testOneRowBoxHasNoMarks() {
        var g = CellGrid(width: 20, height: 1, glyphs: .ascii)
        g.box(g.bounds, titles: ["Stack"], topMarks: ["^ 3 more"], bottomMarks: ["v 3 more"])
        XCTAssertEqual(g.row(0), "-- Stack -----------")
    }
}
