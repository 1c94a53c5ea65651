import XCTest
@testable import TerminalUI

final class SizeGuardTests: XCTestCase {
    let guardian = SizeGuard(minWidth: 60, minHeight: 16)

    func testZeroAndOneCell() {
        XCTAssertEqual(guardian.grid(width: 0, height: 0).text, "")
        XCTAssertEqual(guardian.grid(width: -4, height: -1).text, "")
        XCTAssertEqual(guardian.grid(width: 0, height: 5).height, 5)
        let one = guardian.grid(width: 1, height: 1)
        XCTAssertEqual(one.text, "T")
        XCTAssertEqual(guardian.grid(width: 1, height: 0).text, "")
    }

    func testSmallTerminalWrapsAndCentres() {
        let g = guardian.grid(width: 30, height: 8, glyphs: .unicode)
        XCTAssertFalse(guardian.isSatisfied(width: 30, height: 8))
        let lines = g.text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.count, 8)
        let body = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(body.joined(separator: " "),
                       "Terminal too small: 30x8 — enlarge to at least 60x16 (q quits)")
        XCTAssertTrue(lines.allSatisfy { $0.count <= 30 })
        // Vertically centred: the same number of blank rows above and below (±1).
        let first = lines.firstIndex { !$0.isEmpty } ?? 0
        let last = lines.lastIndex { !$0.isEmpty } ?? 0
        XCTAssertLessThanOrEqual(abs(first - (7 - last)), 1)
        XCTAssertTrue(g.style(x: 30 / 2, y: first)?.isBold ?? false)
    }

    func testFullSizeMessageOnOneLine() {
        let big = SizeGuard(minWidth: 100, minHeight: 30)
        XCTAssertFalse(big.isSatisfied(width: 80, height: 24))
        let g = big.grid(width: 80, height: 24, glyphs: .ascii)
        let msg = "Terminal too small: 80x24 - enlarge to at least 100x30 (q quits)"
        XCTAssertEqual(g.row(11).trimmingCharacters(in: .whitespaces), msg)
        XCTAssertEqual(g.row(11).prefix(while: { $0 == " " }).count, (80 - msg.count) / 2)
        XCTAssertEqual(g.text.filter { $0 != "\n" && $0 != " " }.count, msg.filter { $0 != " " }.count)
        XCTAssertTrue(guardian.isSatisfied(width: 80, height: 24))
    }

    func testRendersIntoCanvas() {
        var g = CellGrid(width: 40, height: 6, glyphs: .ascii)
        g.put(x: 0, y: 0, "old content")
        g.withCanvas(Rect(x: 0, y: 3, width: 40, height: 3)) { c in
            SizeGuard(minWidth: 50, minHeight: 10).render(into: &c)
        }
        XCTAssertEqual(g.row(0), "old content")
        XCTAssertTrue(g.text.contains("40x3"))
    }
}
