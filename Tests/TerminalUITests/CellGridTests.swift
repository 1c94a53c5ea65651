import XCTest
@testable import TerminalUI

final class CellGridTests: XCTestCase {
    func testPutClipsAtAllEdges() {
        var g = CellGrid(width: 5, height: 2)
        g.put(x: -2, y: 0, "abcdefgh")
        XCTAssertEqual(g.row(0), "cdefg")
        g.put(x: 3, y: 1, "xyz")
        XCTAssertEqual(g.row(1), "   xy")
        g.put(x: 0, y: -1, "nope")
        g.put(x: 0, y: 2, "nope")
        g.put(x: 100, y: 0, "nope")
        g.put(x: Int.min / 2, y: Int.max / 2, "nope")
        XCTAssertEqual(g.text, "cdefg\n   xy")
    }

    func testPutReturnsNextColumn() {
        var g = CellGrid(width: 3, height: 1)
        XCTAssertEqual(g.put(x: 1, y: 0, "abcd"), 5)
        XCTAssertEqual(g.put(x: 0, y: 5, "ab"), 2)
    }

    func testControlCharactersBecomeSpaces() {
        var g = CellGrid(width: 6, height: 1)
        g.put(x: 0, y: 0, "a\tb\nc")
        XCTAssertEqual(g.row(0), "a b c")
    }

    func testZeroAndNegativeSizedGrids() {
        var g = CellGrid(width: 0, height: 0)
        g.put(x: 0, y: 0, "x")
        g.fill(Rect(x: -5, y: -5, width: 10, height: 10), char: "#")
        g.box(Rect(x: 0, y: 0, width: 4, height: 4), title: "t")
        g.hline(x: 0, y: 0, length: 3)
        g.vline(x: 0, y: 0, length: 3)
        g[1, 1] = Cell("z")
        XCTAssertEqual(g.text, "")
        XCTAssertEqual(g.row(0), "")
        XCTAssertNil(g.cell(x: 0, y: 0))
        XCTAssertNil(g.style(x: 0, y: 0))
        XCTAssertEqual(g[0, 0], .blank)

        let n = CellGrid(width: -3, height: 4)
        XCTAssertEqual(n.width, 0)
        XCTAssertEqual(n.height, 4)
        XCTAssertEqual(n.text, "\n\n\n")
    }

    func testFillClipsAndSetsStyle() {
        var g = CellGrid(width: 4, height: 3)
        let red = CellStyle(fg: .red)
        g.fill(Rect(x: 2, y: -1, width: 10, height: 3), char: "#", style: red)
        XCTAssertEqual(g.text, "  ##\n  ##\n")
        XCTAssertEqual(g.style(x: 3, y: 1), red)
        XCTAssertEqual(g.style(x: 1, y: 1), .plain)
        g.fill(Rect(x: 0, y: 0, width: -2, height: 5), char: "!")
        XCTAssertEqual(g.text, "  ##\n  ##\n")
    }

    func testTextTrimsTrailingSpacesPerRow() {
        var g = CellGrid(width: 6, height: 3)
        g.put(x: 1, y: 0, "a b  ")
        g.put(x: 5, y: 2, "z")
        XCTAssertEqual(g.text, " a b\n\n     z")
        XCTAssertEqual(g.row(-1), "")
        XCTAssertEqual(g.row(3), "")
    }

    func testUnicodeBoxWithTitle() {
        var g = CellGrid(width: 12, height: 4, glyphs: .unicode)
        g.box(Rect(x: 0, y: 0, width: 12, height: 4), title: "Cell")
        XCTAssertEqual(g.text, """
        ┌─ Cell ───┐
        │          │
        │          │
        └──────────┘
        """)
    }

    func testAsciiBoxTruncatesLongTitle() {
        var g = CellGrid(width: 9, height: 3, glyphs: .ascii)
        g.box(g.bounds, title: "Hidden state")
        XCTAssertEqual(g.text, """
        +- Hid~ +
        |       |
        +-------+
        """)
    }

    func testBoxDegenerateSizesAndClipping() {
        var g = CellGrid(width: 5, height: 3, glyphs: .ascii)
        g.box(Rect(x: 0, y: 0, width: 5, height: 1))
        g.box(Rect(x: 0, y: 1, width: 1, height: 2))
        XCTAssertEqual(g.text, "-----\n|\n|")
        var h = CellGrid(width: 4, height: 3, glyphs: .unicode)
        h.box(Rect(x: 2, y: 1, width: 10, height: 10))
        XCTAssertEqual(h.text, "\n  ┌─\n  │")
        h.box(Rect(x: -3, y: -3, width: 2, height: 2))  // entirely outside
        XCTAssertEqual(h.text, "\n  ┌─\n  │")
    }

    func testLines() {
        var g = CellGrid(width: 4, height: 3, glyphs: .unicode)
        g.hline(x: -1, y: 1, length: 3)
        g.vline(x: 3, y: -1, length: 10, char: "!")
        XCTAssertEqual(g.text, "   !\n── !\n   !")
    }

    func testAlignedPut() {
        var g = CellGrid(width: 10, height: 3, glyphs: .ascii)
        g.put(x: 0, y: 0, width: 10, "mid", align: .center)
        g.put(x: 0, y: 1, width: 10, "right", align: .right)
        g.put(x: 2, y: 2, width: 5, "truncated", align: .left)
        XCTAssertEqual(g.text, "   mid\n     right\n  trun~")
    }

    func testCanvasOffsetsAndClips() {
        var g = CellGrid(width: 8, height: 4, glyphs: .ascii)
        g.withCanvas(Rect(x: 2, y: 1, width: 4, height: 2)) { c in
            XCTAssertEqual(c.width, 4)
            XCTAssertEqual(c.height, 2)
            c.put(x: -1, y: 0, "abcdefg")
            c.put(x: 0, y: 1, "xy", style: .bold)
            c.put(x: 0, y: 2, "outside")
            c.withRegion(Rect(x: 3, y: 1, width: 5, height: 5)) { inner in
                XCTAssertEqual(inner.width, 1)
                XCTAssertEqual(inner.height, 1)
                inner.put(x: 0, y: 0, "Q!")
            }
        }
        XCTAssertEqual(g.text, "\n  bcde\n  xy Q\n")
        XCTAssertEqual(g.style(x: 2, y: 2), .bold)
        XCTAssertEqual(g.style(x: 5, y: 2), .plain)
    }

    func testCanvasBoxAndOutOfGridRegion() {
        var g = CellGrid(width: 6, height: 3, glyphs: .ascii)
        g.withCanvas(Rect(x: 3, y: 0, width: 10, height: 10)) { c in
            XCTAssertEqual(c.width, 3)
            c.box(c.bounds)
        }
        g.withCanvas(Rect(x: 20, y: 20, width: 5, height: 5)) { c in
            XCTAssertEqual(c.width, 0)
            c.put(x: 0, y: 0, "nothing")
        }
        XCTAssertEqual(g.text, "   +-+\n   | |\n   +-+")
    }

    func testRectHelpers() {
        let r = Rect(x: 1, y: 2, width: 10, height: 4)
        XCTAssertEqual(r.splitColumns(leftWidth: 3).left, Rect(x: 1, y: 2, width: 3, height: 4))
        XCTAssertEqual(r.splitColumns(leftWidth: 30).right.width, 0)
        XCTAssertEqual(r.splitRows(topHeight: -1).top.height, 0)
        XCTAssertEqual(r.interior, Rect(x: 2, y: 3, width: 8, height: 2))
        XCTAssertTrue(Rect(x: 0, y: 0, width: 1, height: 5).interior.isEmpty)
        XCTAssertTrue(r.intersection(Rect(x: 50, y: 50, width: 1, height: 1)).isEmpty)
        XCTAssertEqual(Rect(x: 0, y: 0, width: -4, height: 2).width, 0)
    }
}
