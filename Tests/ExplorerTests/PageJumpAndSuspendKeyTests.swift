import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 6: PgDn and PgUp jump 10% of the run as the help says (in the backward view too), and ^Z, which
/// the terminal turns into a suspend, is neither bound nor listed.
final class PageJumpAndSuspendKeyTests: ExplorerAppTestCase {
    func stops(maxTime: Int, view: ExplorerView = .frame, key: Key) -> [Int] {
        var s = ExplorerState(spec: DefaultExperiment.spec, batchSize: 4, maxTime: maxTime, inputDepth: 3)
        s.view = view
        if view == .backward { s.t = maxTime - 1 }
        var seen = [s.t]
        for _ in 0..<(maxTime + 1) {
            _ = KeyHandler.perform(Keymap.action(for: key, focus: s.focus) ?? .quit, &s)
            if s.t == seen.last { break }
            seen.append(s.t)
        }
        return seen
    }

    func testPageDownJumpsTenPercent() {
        XCTAssertTrue(Keymap.helpLines(glyphs: .unicode).contains { $0.contains("jump 10% forward") })
        XCTAssertEqual(stops(maxTime: 9, key: .pageDown), Array(0...8))
        XCTAssertEqual(stops(maxTime: 20, key: .pageDown), Array(stride(from: 0, through: 18, by: 2)) + [19])
        XCTAssertEqual(stops(maxTime: 100, key: .pageDown), Array(stride(from: 0, through: 90, by: 10)) + [99])
        XCTAssertEqual(stops(maxTime: 20, view: .backward, key: .pageDown), [19, 17, 15, 13, 11, 9, 7, 5, 3, 1, 0])
    }

    func testCtrlZIsNotUndo() {
        XCTAssertNil(Keymap.action(for: .ctrl("z"), focus: .frame))
        XCTAssertFalse(Keymap.helpLines(glyphs: .unicode).contains { $0.contains("^Z") })
        XCTAssertEqual(Keymap.action(for: .char("u"), focus: .frame), .undo)
    }
}
