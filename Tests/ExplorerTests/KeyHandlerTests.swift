import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// KeyHandler is pure: keys in, state and commands out.
final class KeyHandlerTests: XCTestCase {
    func state() -> ExplorerState {
        var s = ExplorerState(spec: DefaultExperiment.spec, batchSize: 4, maxTime: 9, inputDepth: 3)
        s.clamp()
        return s
    }

    func testSteppingClampsToTheSequence() {
        var s = state()
        XCTAssertEqual(KeyHandler.handle(.char("h"), state: &s), [])
        XCTAssertEqual(s.t, 0)
        _ = KeyHandler.handle(.end, state: &s)
        XCTAssertEqual(s.t, 8)
        _ = KeyHandler.handle(.right, state: &s)
        XCTAssertEqual(s.t, 8)
        _ = KeyHandler.handle(.char("g"), state: &s)
        XCTAssertEqual(s.t, 0)
    }

    func testQuitAndTimeMajorAreCommands() {
        var s = state()
        XCTAssertEqual(KeyHandler.handle(.char("q"), state: &s), [.quit])
        XCTAssertEqual(KeyHandler.handle(.char("t"), state: &s), [.toggleTimeMajor])
    }

    func testTabCyclesPanes() {
        var s = state()
        var seen: [Pane] = []
        for _ in 0..<5 { _ = KeyHandler.handle(.tab, state: &s); seen.append(s.focus) }
        XCTAssertEqual(Set(seen), Set(Pane.allCases))
        _ = KeyHandler.handle(.backTab, state: &s)
        XCTAssertEqual(s.focus, .shapes)
    }

    func testUpDownFollowTheFocusedPane() {
        var s = state()
        s.focus = .frame
        _ = KeyHandler.handle(.char("j"), state: &s)
        XCTAssertEqual(s.example, 1)
        s.focus = .stack
        _ = KeyHandler.handle(.down, state: &s)
        XCTAssertEqual(s.layer, 1)
        s.focus = .heatmap
        _ = KeyHandler.handle(.down, state: &s)
        XCTAssertEqual(s.unit, 1)
    }

    func testPromptTypingAndCancel() {
        var s = state()
        _ = KeyHandler.handle(.char("o"), state: &s)
        XCTAssertEqual(s.prompt?.kind, .open)
        for ch in "a.json" { _ = KeyHandler.handle(.char(ch), state: &s) }
        _ = KeyHandler.handle(.backspace, state: &s)
        XCTAssertEqual(s.prompt?.text, "a.jso")
        XCTAssertEqual(KeyHandler.handle(.char("q"), state: &s), [])  // q types, it does not quit
        XCTAssertEqual(KeyHandler.handle(.enter, state: &s), [.open("a.jsoq")])
        _ = KeyHandler.handle(.char("w"), state: &s)
        _ = KeyHandler.handle(.escape, state: &s)
        XCTAssertNil(s.prompt)
    }

    func testStackEditorRefusesWithReasons() {
        let cell = CellSpec.multi([.gru(numUnits: 1, activation: .tanh)])
        if case let .failure(r) = StackEditor.apply(.units(delta: -1), to: cell, layer: 0) {
            XCTAssertTrue(r.reason.contains("at least 1"))
        } else { XCTFail("units 0 accepted") }
        if case let .failure(r) = StackEditor.apply(.deleteLayer, to: cell, layer: 0) {
            XCTAssertTrue(r.reason.contains("at least one layer"))
        } else { XCTFail("deleted the last layer") }
        if case let .failure(r) = StackEditor.apply(.togglePeepholes, to: cell, layer: 0) {
            XCTAssertTrue(r.reason.contains("LSTMCell"))
        } else { XCTFail("peepholes on a GRU") }
        guard case let .success(r) = StackEditor.apply(.cycleType, to: .lstm(numUnits: 5, options: LSTMOptions()), layer: 0) else {
            return XCTFail("type change refused")
        }
        XCTAssertEqual(r.cell, .gru(numUnits: 5, activation: .tanh))
    }

    func testWindowHoldsTheCursor() {
        XCTAssertEqual(FrameWindow.adjusted(start: 0, t: 5, columns: 10, maxTime: 100), 0)
        XCTAssertEqual(FrameWindow.adjusted(start: 0, t: 15, columns: 10, maxTime: 100), 10)
        XCTAssertEqual(FrameWindow.adjusted(start: 0, t: 99, columns: 10, maxTime: 100), 90)
        XCTAssertEqual(FrameWindow.adjusted(start: 50, t: 3, columns: 10, maxTime: 100), 0)
        XCTAssertEqual(FrameWindow.range(start: 95, columns: 10, maxTime: 100), 95..<100)
    }
}
