import XCTest
@testable import TerminalUI

final class ColorAndGlyphTests: XCTestCase {
    func testDegradeTo8AndNone() {
        XCTAssertEqual(Color.palette(196).degraded(to: .basic8), .red)
        XCTAssertEqual(Color.palette(21).degraded(to: .basic8), .blue)
        XCTAssertEqual(Color.palette(46).degraded(to: .basic8), .green)
        XCTAssertEqual(Color.palette(226).degraded(to: .basic8), .yellow)
        XCTAssertEqual(Color.palette(51).degraded(to: .basic8), .cyan)
        XCTAssertEqual(Color.palette(201).degraded(to: .basic8), .magenta)
        XCTAssertEqual(Color.palette(231).degraded(to: .basic8), .white)
        XCTAssertEqual(Color.palette(16).degraded(to: .basic8), .black)
        XCTAssertEqual(Color.palette(255).degraded(to: .basic8), .white)
        XCTAssertEqual(Color.palette(233).degraded(to: .basic8), .black)
        XCTAssertEqual(Color.brightRed.degraded(to: .basic8), .red)
        XCTAssertEqual(Color.palette(9).degraded(to: .basic8), .red)
        for i in 0...255 {
            let c8 = Color.palette(UInt8(i)).degraded(to: .basic8)
            guard case .ansi(let n) = c8 else { return XCTFail("palette \(i) -> \(c8)") }
            XCTAssertLessThan(n, 8)
            XCTAssertEqual(Color.palette(UInt8(i)).degraded(to: .none), .default)
        }
        XCTAssertEqual(Color.default.degraded(to: .basic8), .default)
        XCTAssertEqual(Color.red.degraded(to: .none), .default)
    }

    func testDegradeTo256KeepsPalette() {
        XCTAssertEqual(Color.palette(153).degraded(to: .palette256), .palette(153))
        XCTAssertEqual(Color.palette(3).degraded(to: .palette256), .yellow)
        XCTAssertEqual(Color.brightCyan.degraded(to: .palette256), .brightCyan)
    }

    func testStyleDegradeKeepsAttributes() {
        let s = CellStyle(fg: .palette(196), bg: .palette(21), attributes: [.bold, .underline])
        XCTAssertEqual(s.degraded(to: .basic8), CellStyle(fg: .red, bg: .blue, attributes: [.bold, .underline]))
        XCTAssertEqual(s.degraded(to: .none), CellStyle(attributes: [.bold, .underline]))
    }

    func testCubeAndGray() {
        XCTAssertEqual(Color.cube(r: 5, g: 0, b: 0), .palette(196))
        XCTAssertEqual(Color.cube(r: 9, g: -1, b: 0), .palette(196))
        XCTAssertEqual(Color.gray(0), .palette(232))
        XCTAssertEqual(Color.gray(99), .palette(255))
        XCTAssertTrue(Color.rgb(ofPaletteIndex: 196) == (255, 0, 0))
    }

    private func redMinusBlue(_ c: Color) -> Int {
        guard let i = c.paletteIndex else { return 0 }
        let rgb = Color.rgb(ofPaletteIndex: i)
        return rgb.r - rgb.b
    }

    func testDivergingRampEndpointsAndMonotonic() {
        let s256 = HeatScale(kind: .diverging, mode: .palette256, glyphs: .unicode)
        XCTAssertEqual(s256.color(-1), .palette(21))
        XCTAssertEqual(s256.color(0), .palette(231))
        XCTAssertEqual(s256.color(1), .palette(196))
        XCTAssertEqual(s256.color(7), .palette(196), "clamped")
        XCTAssertEqual(s256.color(-.infinity), .palette(21))
        var previous = Int.min
        for k in 0...200 {
            let v = -1 + Double(k) / 100
            let d = redMinusBlue(s256.color(v))
            XCTAssertGreaterThanOrEqual(d, previous, "at \(v)")
            previous = d
        }
        let s8 = HeatScale(kind: .diverging, mode: .basic8, glyphs: .unicode)
        XCTAssertEqual(s8.color(-1), .blue)
        XCTAssertEqual(s8.color(-0.5), .cyan)
        XCTAssertEqual(s8.color(0), .white)
        XCTAssertEqual(s8.color(0.5), .yellow)
        XCTAssertEqual(s8.color(1), .red)
        let none = HeatScale(kind: .diverging, mode: .none, glyphs: .unicode)
        XCTAssertEqual(none.color(0.3), .default)
    }

    func testSequentialRampBrightnessMonotonic() {
        let s = HeatScale(kind: .sequential, mode: .palette256, glyphs: .ascii)
        XCTAssertEqual(s.color(0), .palette(16))
        XCTAssertEqual(s.color(1), .palette(231))
        var previous = -1
        for k in 0...100 {
            guard let i = s.color(Double(k) / 100).paletteIndex else { return XCTFail() }
            let c = Color.rgb(ofPaletteIndex: i)
            XCTAssertGreaterThanOrEqual(c.r + c.g + c.b, previous)
            previous = c.r + c.g + c.b
        }
        let s8 = HeatScale(kind: .sequential, mode: .basic8, glyphs: .ascii)
        XCTAssertEqual(s8.color(0), .blue)
        XCTAssertEqual(s8.color(1), .white)
    }

    func testHeatCellsInEachMode() {
        let c256 = HeatScale(kind: .diverging, mode: .palette256, glyphs: .unicode).cell(-1)
        XCTAssertEqual(c256, Cell(" ", style: CellStyle(bg: .palette(21))))
        // No colour: density glyphs, monotonic in the value.
        let mono = HeatScale(kind: .diverging, mode: .none, glyphs: .ascii)
        XCTAssertEqual(mono.cell(-1).char, " ")
        XCTAssertEqual(mono.cell(1).char, "@")
        XCTAssertEqual(mono.cell(1).style, .plain)
        let levels = Array(" .:-=+*#%@")
        var last = -1
        for k in 0...20 {
            let ch = mono.cell(-1 + Double(k) / 10).char
            guard let idx = levels.firstIndex(of: ch) else { return XCTFail("\(ch)") }
            XCTAssertGreaterThanOrEqual(idx, last)
            last = idx
        }
    }

    func testNaNAndInfinityMarkers() {
        for mode in ColorMode.allCases {
            for glyphs in [Glyphs.unicode, Glyphs.ascii] {
                let s = HeatScale(kind: .diverging, mode: mode, glyphs: glyphs)
                let nan = s.cell(.nan), pos = s.cell(.infinity), neg = s.cell(-.infinity)
                XCTAssertEqual(nan.char, glyphs.nan)
                XCTAssertEqual(pos.char, "+")
                XCTAssertEqual(neg.char, "-")
                XCTAssertNotEqual(pos.style, neg.style, "\(mode)")
                XCTAssertNotEqual(nan.style, pos.style, "\(mode)")
                XCTAssertNotEqual(pos.style, .plain)
                let high = s.cell(3.5), low = s.cell(-2)
                XCTAssertEqual(high.char, glyphs.aboveRange)
                XCTAssertEqual(low.char, glyphs.belowRange)
                XCTAssertTrue(high.style.isBold)
                if mode != .none {
                    XCTAssertEqual(high.style.bg, s.color(1), "clamped colour")
                    XCTAssertEqual(low.style.bg, s.color(-1))
                }
            }
        }
        XCTAssertEqual(Glyphs.unicode.nan, "✕")
        XCTAssertEqual(Glyphs.ascii.nan, "x")
    }

    func testSparkAndDensityGlyphs() {
        XCTAssertEqual(Glyphs.unicode.spark(level: 0), "▁")
        XCTAssertEqual(Glyphs.unicode.spark(level: 1), "█")
        XCTAssertEqual(Glyphs.unicode.spark(level: 9), "█")
        XCTAssertEqual(Glyphs.unicode.spark(level: -3), "▁")
        XCTAssertEqual(Glyphs.ascii.spark(level: 0), "_")
        XCTAssertEqual(Glyphs.ascii.spark(level: 1), "@")
        XCTAssertEqual(Glyphs.unicode.density(level: 0), " ")
        XCTAssertEqual(Glyphs.unicode.density(level: 1), "█")
        XCTAssertEqual(Glyphs.unicode.density(level: 0.5), "▒")
        XCTAssertEqual(Glyphs.ascii.density(level: 1), "@")
        XCTAssertEqual(Glyphs.unicode.spark(level: .nan), "✕")
        XCTAssertEqual(Glyphs.ascii.density(level: .nan), "x")
    }

    func testSparklineCells() {
        let cells = Sparkline.cells([0, 0.5, 1, .nan, .infinity, -.infinity, 2], range: 0...1,
                                    glyphs: .ascii, mode: .basic8)
        XCTAssertEqual(String(cells.map(\.char)), "_+@x+-^")
        let auto = Sparkline.cells([3, 5, 7], glyphs: .unicode, mode: .none)
        XCTAssertEqual(String(auto.map(\.char)), "▁▅█")
        let flat = Sparkline.cells([2, 2], glyphs: .unicode, mode: .none)
        XCTAssertEqual(flat.count, 2)
        XCTAssertEqual(Sparkline.cells([], glyphs: .unicode, mode: .none), [])
    }

    func testLocaleDetection() {
        XCTAssertTrue(Glyphs.environmentIsUTF8(["LANG": "C.UTF-8"]))
        XCTAssertTrue(Glyphs.environmentIsUTF8(["LANG": "en_US.utf8"]))
        XCTAssertFalse(Glyphs.environmentIsUTF8(["LANG": "C"]))
        XCTAssertFalse(Glyphs.environmentIsUTF8([:]))
        XCTAssertFalse(Glyphs.environmentIsUTF8(["LC_ALL": "C", "LANG": "C.UTF-8"]))
        XCTAssertTrue(Glyphs.environmentIsUTF8(["LC_ALL": "", "LC_CTYPE": "C.UTF-8", "LANG": "C"]))
        XCTAssertEqual(Glyphs.forUnicode(false), .ascii)
    }

    func testGlyphSetContents() {
        let u = Glyphs.unicode, a = Glyphs.ascii
        XCTAssertEqual(String([u.horizontal, u.vertical, u.topLeft, u.topRight, u.bottomLeft, u.bottomRight, u.teeRight, u.teeLeft]), "─│┌┐└┘├┤")
        XCTAssertEqual(String([a.horizontal, a.vertical, a.topLeft, a.topRight, a.bottomLeft, a.bottomRight]), "-|++++")
        XCTAssertEqual(String([u.arrowLeft, u.arrowRight, u.arrowUp, u.arrowDown, u.pointer, u.dot]), "←→↑↓▶·")
        XCTAssertEqual(String([a.arrowLeft, a.arrowRight, a.arrowUp, a.arrowDown, a.pointer, a.dot]), "<>^v>.")
        XCTAssertEqual(String(u.sparkLevels), "▁▂▃▄▅▆▇█")
        XCTAssertEqual(String(a.sparkLevels), "_.-=+*#%@")
        XCTAssertEqual(a.truncate("abcdef", to: 4), "abc~")
        XCTAssertEqual(u.truncate("abc", to: 3), "abc")
        XCTAssertEqual(u.truncate("abc", to: 0), "")
        XCTAssertEqual(u.truncate("abc", to: 1), "…")
    }
}
