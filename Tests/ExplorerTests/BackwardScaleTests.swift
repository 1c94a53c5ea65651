import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 4: the backward view's gradient colours keep one log scale for the whole run (so a vanishing
/// gradient fades), `z` switches to the steps in view and back, the scale is on screen at 80 columns, and the
/// help explains the colours in every colour mode.
final class BackwardScaleTests: ExplorerAppTestCase {
    func row(_ text: String, _ prefix: String) -> String? {
        text.split(separator: "\n").lazy.compactMap { line -> String? in
            guard let r = line.range(of: prefix) else { return nil }
            return String(line[r.upperBound...])
        }.first
    }

    func testOneScaleForTheWholeRunAndZSwitches() throws {
        let (app, term) = try sampleApp("gradients/vanishing_rnn.json", width: 100, height: 32, colorMode: .none)
        press(app, .char("5"))
        settle(app)
        var text = screen(app, term)
        XCTAssertEqual(row(text, "scale  ").map { $0.trimmingCharacters(in: .whitespaces) }.map { $0.hasPrefix("1e0") && $0.contains("1e-14 whole run (z)") }, true, text)
        let atLoss = row(text, "∂h ▶ 0 ") ?? ""
        press(app, .char("G"))
        settle(app)
        text = screen(app, term)
        XCTAssertTrue(text.contains("whole run (z)"), text)
        let faded = row(text, "∂h ▶ 0 ") ?? ""
        // t=99..50 on the whole run's scale has the brightest characters; t=50..0 only the faintest ones.
        let bright = HeatScale(kind: .sequential, mode: .none, glyphs: .unicode).cell(1).char
        XCTAssertTrue(atLoss.contains(bright), atLoss)
        XCTAssertFalse(faded.contains(bright), faded)
        // z: the steps in view get the whole range again (and say so), z again: back to the whole run.
        press(app, .char("z"))
        text = screen(app, term)
        XCTAssertTrue(app.state.message.contains("rescaled to the steps in view"), app.state.message)
        XCTAssertTrue(text.contains("in view (z)"), text)
        XCTAssertTrue((row(text, "∂h ▶ 0 ") ?? "").contains(bright), text)
        XCTAssertFalse(row(text, "scale  ")?.trimmingCharacters(in: .whitespaces).hasPrefix("1e0") ?? true, text)
        press(app, .char("z"))
        XCTAssertEqual(row(screen(app, term), "∂h ▶ 0 "), faded)
        // The forward heatmaps' z is untouched by the backward view's.
        XCTAssertTrue(app.state.heatAutoScale)
    }

    func testTheScaleIsOnScreenAt80Columns() throws {
        let (app, term) = try sampleApp("gradients/vanishing_rnn.json", width: 80, height: 24)
        press(app, .char("5"))
        settle(app)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("scale  1e0"), text)
        XCTAssertTrue(text.contains("1e-14 whole run (z)"), text)
    }

    func testHelpExplainsTheGradientColoursInEveryMode() throws {
        for (mode, words) in [(ColorMode.palette256, "black, red, orange, yellow, white"), (.basic8, "blue, magenta, red, yellow, white"),
                              (.none, "characters")] {
            let lines = HeatmapLegend.lines(glyphs: .unicode, colorMode: mode)
            guard let line = lines.first(where: { $0.hasPrefix("Backward view (5)") }) else { return XCTFail("\(lines)") }
            XCTAssertTrue(line.contains(words), line)
            XCTAssertTrue(line.contains("one scale for the whole run"), line)
            XCTAssertTrue(line.contains("z: the steps in view"), line)
        }
        let (app, term) = try makeApp(width: 100, height: 60, colorMode: .basic8)
        press(app, .char("?"))
        var text = screen(app, term)
        for _ in 0..<8 { press(app, .pageDown) }
        text += screen(app, term)
        XCTAssertTrue(text.contains("Backward view (5)"), text)
    }
}
