import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 8: the cursor's step in the Sequences bars is a visible cell (a shade in yellow), not the bar's
/// block in reverse video, which terminals draw as a gap.
final class SequencesCursorTests: ExplorerAppTestCase {
    func testTheCursorColumnIsNotAGap() throws {
        for (colorMode, unicode) in [(ColorMode.palette256, true), (.none, true), (.basic8, false)] {
            let (app, term) = try sampleApp("mixed_stack.json", colorMode: colorMode, unicode: unicode)
            press(app, .char("l"), .char("l"))
            _ = screen(app, term)
            let grid = try XCTUnwrap(term.lastGrid)
            let layout = Layout(width: 80, height: 24, state: app.state)
            let g = SequencesPane.Geometry(rect: layout.sequences, state: app.state)
            let col = try XCTUnwrap(g.column(of: app.state.t))
            let x = g.inner.x + g.labelWidth + col * g.cellWidth, y = g.inner.y  // example 0, active at t=2
            let cursor = grid[x, y], before = grid[x - g.cellWidth, y]
            let sym = Symbols(glyphs: unicode ? .unicode : .ascii)
            XCTAssertEqual(before.char, sym.bar)
            XCTAssertEqual(cursor.char, sym.cursorBar, grid.text)
            XCTAssertFalse(cursor.style.attributes.contains(.reverse), "reverse video of a full block is a gap")
        }
    }
}
