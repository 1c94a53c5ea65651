import XCTest
@testable import Explorer
import TerminalUI

/// A scrolled pane's top border holds its title and "↑ N more" apart (a user at 80x24 saw the Shapes pane's
/// border read "Shapes (time_major ↑ 3 more": the mark drawn over the end of the title).
final class PaneBorderMarkTests: ExplorerAppTestCase {
    /// Checks the top border of the pane whose top-left corner is at column `x` of `row`: corner, "─ ", the title
    /// (whole, or cut and ending in the ellipsis), " ", at least one border cell, " ↑ N more ", corner, and nothing
    /// of it past the corner (the next pane's corner follows, or the row ends).
    private func assertTopBorder(_ row: String, x: Int, title: String, glyphs g: Glyphs, line: UInt = #line) {
        let chars = Array(row)
        guard chars.indices.contains(x), chars[x] == g.topLeft,
              let end = chars[(x + 1)...].firstIndex(of: g.topRight) else { return XCTFail("no pane border at \(x) in \(row)", line: line) }
        let border = String(chars[x...end])
        XCTAssertTrue(end + 1 == chars.count || chars[end + 1] == g.topLeft, "something drawn past the pane: \(row)", line: line)
        let up = " \(g.arrowUp) "
        guard let markStart = border.range(of: up, options: .backwards)?.lowerBound else {
            return XCTFail("no \(g.arrowUp) mark in \(border)", line: line)
        }
        let mark = border[markStart...]
        let count = mark.dropFirst(up.count).prefix { $0.isNumber }
        XCTAssertEqual(String(mark), "\(up)\(count) more \(g.topRight)", border, line: line)
        XCTAssertGreaterThan(Int(count) ?? 0, 0, border, line: line)
        var left = Substring(border[..<markStart])
        XCTAssertEqual(left.last, g.horizontal, "no border cell between the title and the mark: \(border)", line: line)
        while left.last == g.horizontal { left = left.dropLast() }
        let opening = "\(g.topLeft)\(g.horizontal) "
        guard left.hasPrefix(opening), left.hasSuffix(" ") else { return XCTFail("title not padded: \(border)", line: line) }
        let shown = String(left.dropFirst(opening.count).dropLast())
        if shown != title {
            XCTAssertEqual(shown.last, g.ellipsis, "title cut without the ellipsis: \(border)", line: line)
            XCTAssertGreaterThanOrEqual(shown.count, 2, border, line: line)
            XCTAssertTrue(title.hasPrefix(shown.dropLast()), "title \(shown) is not the start of \(title)", line: line)
        }
    }

    /// The Shapes pane focused at 80x24 with layer 1 selected scrolls to it: title and mark apart, in both glyph
    /// sets and both time_major titles.
    func testScrolledShapesPaneAt80x24() throws {
        for unicode in [true, false] {
            for timeMajor in [false, true] {
                let (app, term) = try makeApp(unicode: unicode)
                let g = Glyphs.forUnicode(unicode)
                focus(app, .shapes)
                if timeMajor { press(app, .char("t")) }
                press(app, .down)
                XCTAssertEqual(app.state.layer, 1)
                let rows = screen(app, term).components(separatedBy: "\n")
                guard let y = rows.firstIndex(where: { $0.hasPrefix("\(g.topLeft)\(g.horizontal) Shapes") }), y + 1 < rows.count else {
                    XCTFail(rows.joined(separator: "\n")); continue
                }
                // Scrolled: the first row shown is no longer "inputs".
                XCTAssertFalse(rows[y + 1].dropFirst().hasPrefix("inputs"), rows.joined(separator: "\n"))
                assertTopBorder(rows[y], x: 0, title: "Shapes (time_major=\(timeMajor ? "True" : "False"))", glyphs: g)
            }
        }
    }

    /// The Frame pane at the 60x18 minimum scrolled with J (example 1 at t=5: masked, its sentence takes several
    /// rows): the same rule on its border.
    func testScrolledFramePaneAt60x18() throws {
        let (app, term) = try makeApp(width: 60, height: 18)
        focus(app, .frame)
        press(app, .down)
        for _ in 0..<5 { press(app, .right) }
        for _ in 0..<3 { press(app, .char("J")) }
        XCTAssertGreaterThan(app.state.frameScroll, 0)
        let rows = screen(app, term).components(separatedBy: "\n")
        guard let y = rows.firstIndex(where: { $0.contains("┌─ Frame") }),
              let x = Array(rows[y]).indices.first(where: { Array(rows[y])[$0] == "┌" && Array(rows[y]).dropFirst($0).starts(with: "┌─ Frame") })
        else { return XCTFail(rows.joined(separator: "\n")) }
        assertTopBorder(rows[y], x: x, title: "Frame t=5 of 9 · example 1 · layer 0 lstm_cell", glyphs: .unicode)
    }
}
