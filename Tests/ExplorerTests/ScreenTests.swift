import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Renders the explorer into a `MemoryTerminal` and asserts on the grid's text.
final class ScreenTests: ExplorerAppTestCase {
    func testMainScreenAt80x24() throws {
        let (app, term) = try makeApp()
        let text = screen(app, term)
        for needle in ["unroll", "default: 2-layer LSTM", "t=0 of max_time 9", "Stack", "Sequences", "Shapes", "Frame",
                       "Heatmaps", "[4, 9, 3]", "lstm(6)", "gru(4)", "i input gate", "f forget gate", "q quit"] {
            XCTAssertTrue(text.contains(needle), "missing \(needle) in\n\(text)")
        }
        XCTAssertEqual(text.split(separator: "\n", omittingEmptySubsequences: false).count, 24)
    }

    func testShapesAt120x40() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        let text = screen(app, term)
        for needle in ["inputs", "[4, 9, 3]", "[batch, time,", "c=[4, 6] h=[4, 6]", "[4, 4]", "[4, 9, 4]",
                       "seq_length", "[9, 5, 2, 0]", "(LSTMStateTuple(c=[4, 6],", "o output gate", "h new"] {
            XCTAssertTrue(text.contains(needle), "missing \(needle) in\n\(text)")
        }
    }

    func testBelowMinimumShowsEnlargeScreen() throws {
        let (app, term) = try makeApp(width: 30, height: 8)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("enlarge to at"), text)
        XCTAssertTrue(text.contains("60x18"), text)
        // Keys other than q do nothing there; q still quits.
        XCTAssertTrue(app.handle(.char("l")))
        XCTAssertEqual(app.state.t, 0)
        XCTAssertFalse(app.handle(.char("q")))
    }

    func testResizeDownAndBack() throws {
        let (app, term) = try makeApp(width: 100, height: 30)
        XCTAssertTrue(screen(app, term).contains("Frame"))
        term.resize(width: 30, height: 8)
        XCTAssertTrue(app.handle(.resize))
        XCTAssertTrue(screen(app, term).contains("enlarge"))
        term.resize(width: 100, height: 30)
        XCTAssertTrue(screen(app, term).contains("Frame"))
        for (w, h) in [(0, 0), (1, 1), (60, 18), (59, 18), (61, 19), (200, 60)] {
            term.resize(width: w, height: h)
            _ = screen(app, term)
        }
    }

    func testSteppingShowsTimeIndex() throws {
        let (app, term) = try makeApp()
        press(app, .char("l"), .char("l"), .char("l"))
        XCTAssertTrue(screen(app, term).contains("t=3 of max_time 9"))
        press(app, .left)
        XCTAssertTrue(screen(app, term).contains("t=2 of max_time 9"))
        press(app, .char("G"))
        XCTAssertTrue(screen(app, term).contains("t=8 of max_time 9"))
        press(app, .home)
        XCTAssertTrue(screen(app, term).contains("t=0 of max_time 9"))
        press(app, .char("h"))
        XCTAssertEqual(app.state.t, 0)
    }

    func testMaskedRowIsSaidInWords() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        press(app, .down)  // example 1, length 5
        for _ in 0..<6 { press(app, .char("l")) }
        let text = screen(app, term)
        XCTAssertTrue(text.contains("masked: t=6 ≥ length 5 → layer 0 still computes"), text)
        XCTAssertTrue(text.contains("c after =copy"), text)
        press(app, .char("g"))
        XCTAssertTrue(screen(app, term).contains("active: t=0 < length 5"))
    }

    func testTimeMajorToggleKeepsNumbers() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        press(app, .char("l"), .char("l"))
        let before = screen(app, term)
        let frameRows = { (s: String) in s.split(separator: "\n").filter { $0.contains("input gate") || $0.contains("h after") } }
        press(app, .char("t"))
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 10))
        let after = screen(app, term)
        XCTAssertTrue(after.contains("[9, 4, 3]"), after)
        XCTAssertTrue(after.contains("[time, batch, depth]"), after)
        XCTAssertTrue(after.contains("[9, 4, 4]"), after)
        XCTAssertTrue(after.contains("time-major"), after)
        XCTAssertEqual(frameRows(before), frameRows(after))
        XCTAssertEqual(app.state.t, 2)
        press(app, .char("t"))
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 10))
        XCTAssertTrue(screen(app, term).contains("[4, 9, 3]"))
    }

    /// After an edit re-runs the pass, the screen must not stay at "computing" once the pass is done: either it
    /// already shows the finished pass or a redraw is pending (a re-run that ends at the same step count as the
    /// previous one once went unnoticed).
    func testScreenCatchesUpWhenAReRunFinishes() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        app.tick()
        app.redraw()
        XCTAssertTrue(term.screenText.contains("done: 9 steps"), term.screenText)
        press(app, .char("t"))
        app.redraw()
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 10))
        app.tick()
        XCTAssertTrue(app.dirty || term.screenText.contains("done: 9 steps"),
                      "the screen shows an unfinished pass and no redraw is pending:\n\(term.screenText)")
        if app.dirty { app.redraw() }
        XCTAssertTrue(term.screenText.contains("done: 9 steps"), term.screenText)
    }

    func testZeroTimeStepsSaySoInsteadOfComputing() throws {
        let spec = ExperimentSpec(name: "empty", cell: .gru(numUnits: 3, activation: .tanh), batchSize: 2, maxTime: 0, inputDepth: 2)
        let (app, term) = try makeApp(width: 100, height: 30, spec: spec)
        press(app, .char("l"), .char("G"), .char("t"))
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 10))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("max_time is 0: there is no step to show"), text)
        XCTAssertFalse(text.contains("not computed yet"), text)
    }

    /// Masked steps are hatched across the whole heatmap cell (not just dimmed, which a coloured background hides).
    func testMaskedHeatmapStepsAreHatched() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        press(app, .char("j"))  // example 1: length 5 of 9, so t = 5...8 are masked
        XCTAssertEqual(app.state.example, 1)
        let rows = screen(app, term).split(separator: "\n").filter { $0.contains("Heatmaps") == false }
        let hatch = String(repeating: "· · · ", count: 4).trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(rows.contains { $0.contains(hatch) }, "no hatched run of 4 masked steps in\n\(rows.joined(separator: "\n"))")
        press(app, .char("k"))  // example 0 runs all 9 steps: nothing hatched
        XCTAssertFalse(screen(app, term).contains(hatch))
    }

    func testHelpOverlayNamesQuitAndEscCloses() throws {
        let (app, term) = try makeApp()
        press(app, .char("?"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("Help"), text)
        XCTAssertTrue(text.contains("quit (exit status 0)"), text)
        press(app, .escape)
        XCTAssertFalse(screen(app, term).contains("Help (Esc closes)"))
        press(app, .function(1))
        XCTAssertTrue(screen(app, term).contains("Help (Esc closes)"))
    }

    func testASCIIWhenNotUTF8() throws {
        let (app, term) = try makeApp(unicode: false)
        let text = screen(app, term)
        XCTAssertTrue(text.unicodeScalars.allSatisfy { $0.isASCII }, text)
        XCTAssertTrue(text.contains("t=0 of max_time 9"))
        press(app, .down, .down, .down)
        XCTAssertTrue(screen(app, term).contains("masked: t=0 >= length 0"), term.screenText)
    }

    func testStackEditReRunsAndRefusalsExplain() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        press(app, .tab, .tab)  // frame -> heatmap -> stack
        XCTAssertEqual(app.state.focus, .stack)
        press(app, .char("+"))
        XCTAssertEqual(app.state.spec.cell, .multi([.lstm(numUnits: 7, options: LSTMOptions()), .gru(numUnits: 4, activation: .tanh)]))
        XCTAssertTrue(screen(app, term).contains("c=[4, 7] h=[4, 7]"))
        // A residual around layer 0 (input depth 3, output 7) cannot work: refused with the engine's reason.
        press(app, .char("R"))
        XCTAssertTrue(app.state.messageIsError)
        XCTAssertTrue(screen(app, term).contains("ResidualWrapper"), term.screenText)
        XCTAssertEqual(app.state.spec.cell.layers[0], .lstm(numUnits: 7, options: LSTMOptions()))
        // Units below 1 are refused.
        press(app, .enter)
        XCTAssertEqual(app.state.prompt?.kind, .units)
        press(app, .ctrl("u"), .char("0"), .enter)
        XCTAssertTrue(app.state.message.contains("num_units must be at least 1"), app.state.message)
        // Add a layer, move it, change its type, delete it.
        press(app, .char("a"))
        XCTAssertEqual(app.state.spec.cell.layers.count, 3)
        press(app, .char("T"))
        XCTAssertEqual(app.state.spec.cell.layers[1].typeName, "gru")
        press(app, .char("X"))
        XCTAssertEqual(app.state.spec.cell.layers.count, 2)
        press(app, .down, .char("R"))  // gru(4) after gru... layer 1 input depth 7 != 4: refused
        XCTAssertTrue(app.state.messageIsError)
        press(app, .char("D"))
        XCTAssertEqual(app.state.spec.cell.layers[1].typeName, "dropout")
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 10))
        XCTAssertTrue(screen(app, term).contains("dropout(gru(4)"))
    }

    func testSequenceLengthEditing() throws {
        let (app, term) = try makeApp(width: 100, height: 30)
        press(app, .tab, .tab, .tab)  // frame -> heatmap -> stack -> sequences
        XCTAssertEqual(app.state.focus, .sequences)
        press(app, .down, .char("-"))
        XCTAssertEqual(app.state.spec.sequenceLength, [9, 4, 2, 0])
        press(app, .enter, .ctrl("u"), .char("7"), .enter)
        XCTAssertEqual(app.state.spec.sequenceLength, [9, 7, 2, 0])
        // TF accepts any length: above max_time never masks, ≤ 0 keeps the initial state.
        press(app, .enter, .ctrl("u"), .char("1"), .char("2"), .enter)
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertEqual(app.state.spec.sequenceLength, [9, 12, 2, 0])
        press(app, .enter, .ctrl("u"), .char("-"), .char("1"), .enter)
        XCTAssertEqual(app.state.spec.sequenceLength, [9, -1, 2, 0])
        press(app, .char("n"))
        XCTAssertNil(app.state.spec.sequenceLength)
        XCTAssertTrue(screen(app, term).contains("None (no masking)"))
        XCTAssertTrue(app.state.message.contains("whole batch"), app.state.message)
        // n again restores the lengths it had, not max_time.
        press(app, .char("n"))
        XCTAssertEqual(app.state.spec.sequenceLength, [9, -1, 2, 0])
    }

    func testBidirectionalDirectionSelector() throws {
        var spec = ExperimentSpec(name: "bi", cell: .lstm(numUnits: 3, options: LSTMOptions()),
                                  cellBackward: .gru(numUnits: 2, activation: .tanh), bidirectional: true,
                                  sequenceLength: [5, 2, 3], batchSize: 3, maxTime: 5, inputDepth: 2, seed: 1)
        spec.description = "two directions"
        let (app, term) = try makeApp(width: 120, height: 40, spec: spec)
        XCTAssertTrue(screen(app, term).contains("Frame fw t=0"))
        press(app, .char("d"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("Frame bw (rows reversed) t=0"), text)
        XCTAssertTrue(text.contains("gru(2)"), text)
        XCTAssertTrue(text.contains("r reset gate"), text)
    }

    func testMouseClickSelectsStep() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        _ = screen(app, term)
        let layout = Layout(width: 120, height: 40, state: app.state)
        let g = SequencesPane.Geometry(rect: layout.sequences, state: app.state)
        let x = g.inner.x + g.labelWidth + 4 * g.cellWidth
        press(app, .mouse(x: x, y: g.inner.y + 2, kind: .press))
        XCTAssertEqual(app.state.t, 4)
        XCTAssertEqual(app.state.example, 2)
    }
}
