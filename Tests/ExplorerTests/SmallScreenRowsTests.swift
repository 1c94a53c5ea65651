import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 7: at 80x24 the heatmaps keep rows of cells under a long frame, every pane that hides rows
/// says so, and view 6's last line is not cut.
final class SmallScreenRowsTests: ExplorerAppTestCase {
    func testHeatmapsKeepRowsUnderAMaskedStepInAStack() throws {
        let (app, term) = try sampleApp("mixed_stack.json")
        press(app, .char("j"), .char("j"), .char("l"), .char("l"), .char("l"), .char("l"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("masked: t=4"), text)
        // The whole frame stays readable, and the row left under it holds the selected unit's cells, not a bare title.
        for needle in ["c before", "h computed", "h after =copy", "out to layer 1"] { XCTAssertTrue(text.contains(needle), text) }
        let layout = Layout(width: 80, height: 24, state: app.state)
        XCTAssertTrue(HeatmapPane.isStrip(layout.heatmap), "\(layout.heatmap)")
        let strip = text.split(separator: "\n").map(String.init)[layout.heatmap.y]
        XCTAssertTrue(strip.contains("h  ▶ 0"), text)
        XCTAssertFalse(strip.contains("Heatmaps"), text)
        XCTAssertTrue(strip.contains("·"), "t=3.. are masked for example 2: hatched\n\(text)")
    }

    func testProjectionLSTMShowsHeatmapRows() throws {
        let (app, term) = try sampleApp("lstm_projection.json")
        let text = screen(app, term)
        // The whole frame fits, so the heatmaps get the two rows left: a row of cells rather than a bare ruler.
        XCTAssertTrue(text.contains("emitted         -0.015"), text)
        XCTAssertTrue(text.contains("h  ▶ 0"), text)
    }

    func testCompareViewEndsWithItsWholeLastLine() throws {
        let (app, term) = try sampleApp("masking_demo.json")
        press(app, .char("6"))
        settle(app)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("final states identical; same cells and"), text)
        XCTAssertTrue(text.contains("weights, two rule sets"), text)
    }

    func testBackwardViewMarksHiddenUnits() throws {
        let (app, term) = try sampleApp("gradients/vanishing_rnn.json")
        press(app, .char("5"))
        settle(app)
        let text = screen(app, term)
        guard let last = text.split(separator: "\n").first(where: { $0.contains("↓2   5") }) else { return XCTFail(text) }
        XCTAssertTrue(last.contains("│↓2   5"), String(last))
        // At the last unit the hidden ones are above.
        for _ in 0..<7 { press(app, .char(".")) }
        XCTAssertTrue(screen(app, term).contains("↑2   3"), term.screenText)
    }
}
