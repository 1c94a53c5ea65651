import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Presentation mode (`f`): the view alone, full width, at 80×24 and 120×40; the unrolled network's numbers are the
/// engine's recorded frames, the equations' kernel note the weights' shapes.
final class PresentationModeTests: ExplorerAppTestCase {
    /// `v` as the presentation draws it (`Format.num`, blanks trimmed).
    func shown(_ v: Double) -> String { Format.num(v).trimmingCharacters(in: .whitespaces) }

    func testEveryViewGoesFullScreenAndBack() throws {
        for (w, h) in [(80, 24), (120, 40)] {
            let (app, term) = try makeApp(width: w, height: h)
            for key in ["1", "2", "3", "4", "5", "6"] {
                press(app, .char(Character(key)))
                press(app, .char("f"))
                settle(app)
                XCTAssertTrue(app.state.presenting)
                let text = screen(app, term)
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                XCTAssertFalse(text.contains("Stack"), "\(w)x\(h) view \(key):\n\(text)")
                XCTAssertFalse(text.contains("Shapes ("), "\(w)x\(h) view \(key):\n\(text)")
                // The view's box spans the whole width.
                XCTAssertTrue(lines[2].hasPrefix("┌") && lines[2].hasSuffix("┐"), "\(w)x\(h) view \(key):\n\(text)")
                XCTAssertEqual(lines[2].count, w)
                press(app, .char("f"))
                XCTAssertFalse(app.state.presenting)
                XCTAssertTrue(screen(app, term).contains("Stack"))
            }
        }
    }

    /// The built-in stack at example 1 (length 5), t=5: the boxes hold the engine's gates of unit 0, the arrows the
    /// states it kept, the masked step's arrows are copies, and the output row is what the run emitted.
    func testUnrolledNetworkShowsTheEnginesValuesForTheUnit() throws {
        for (w, h, steps) in [(80, 24, 3), (120, 40, 4)] {
            let (app, term) = try makeApp(width: w, height: h)
            press(app, .char("j"))
            for _ in 0..<5 { press(app, .char("l")) }
            press(app, .char("2"), .char("f"))
            let text = screen(app, term)
            let frames = try allFrames(app)
            let range = PresentedUnrolled.range(t: 5, maxTime: 9, width: w - 2)
            XCTAssertEqual(range.count, steps, "\(w)x\(h)")
            for t in range {
                XCTAssertTrue(text.contains("t=\(t)"), "\(w)x\(h) t=\(t)\n\(text)")
                for l in 0..<2 {
                    let ld = try XCTUnwrap(frames[t].layer(l))
                    let gates = l == 0 ? ["i", "j", "f", "o"] : ["r", "u", "c"]
                    for g in gates {
                        let v = try XCTUnwrap(ld.row(.gate(g), 1))[0]
                        XCTAssertTrue(text.contains("│\(g) \(Format.num(v))│"), "\(w)x\(h) t=\(t) L\(l) \(g)=\(v)\n\(text)")
                    }
                    let after = try XCTUnwrap(frames[t].stateRows(layer: l, layerCount: 2, row: 1))
                    for part in l == 0 ? ["h", "c"] : ["h"] {
                        let v = try XCTUnwrap(after.first { $0.name == part }?.values)[0]
                        // Example 1 has length 5: from t=5 on its state is copied around the cell.
                        let arrow = t >= 5 ? "═\(part) \(Format.num(v))═▶" : "─\(part) \(Format.num(v))─▶"
                        XCTAssertTrue(text.contains(arrow), "\(w)x\(h) t=\(t) L\(l) \(arrow)\n\(text)")
                    }
                }
                let y = try XCTUnwrap(frames[t].outputRow(1))[0]
                XCTAssertTrue(text.contains("↑y \(shown(y))"), "\(w)x\(h) t=\(t) y=\(y)\n\(text)")
                if t >= 5 { XCTAssertEqual(y, 0, "dynamic_rnn emits 0 on a masked step") }
            }
            // The copied state is the state before the masked step, as TF keeps it.
            let before = try XCTUnwrap(frames[5].layer(0)?.stateRow(.before, "h", 1))[0]
            let kept = try XCTUnwrap(frames[5].stateRows(layer: 0, layerCount: 2, row: 1)?.first { $0.name == "h" }?.values)[0]
            XCTAssertEqual(before, kept)
        }
    }

    func testUnrolledNetworkDrawsInASCII() throws {
        let (app, term) = try makeApp(width: 80, height: 24, colorMode: .none, unicode: false)
        press(app, .char("j"))
        for _ in 0..<5 { press(app, .char("l")) }
        press(app, .char("2"), .char("f"))
        let text = screen(app, term)
        XCTAssertTrue(text.unicodeScalars.allSatisfy(\.isASCII), text)
        XCTAssertTrue(text.contains("=h "), text)
        press(app, .char("3"))
        let eq = screen(app, term)
        XCTAssertTrue(eq.unicodeScalars.allSatisfy(\.isASCII), eq)
    }

    /// The kernel note: the built-in layer 0 is an LSTM(6) on inputs of depth 3, so TF's kernel is [3 + 6, 4·6] and
    /// its rows 0-2 multiply x, rows 3-8 h; layer 1 (GRU(4) on layer 0's 6 outputs) has two kernels of 6 + 4 rows.
    func testEquationsSayWhichPartOfTheKernelMultipliesXAndWhichH() throws {
        for (w, h) in [(80, 24), (120, 40)] {
            let (app, term) = try makeApp(width: w, height: h)
            press(app, .char("3"), .char("f"))
            let note = PresentedEquations.kernelNote(state: app.state, data: app.screenData()).joined()
            XCTAssertTrue(note.contains("kernel [9, 24]: rows 0-2 multiply x_t, rows 3-8 multiply h"), note)
            XCTAssertTrue(note.contains("one block of 6 per gate (i, j, f, o)"), note)
            let text = screen(app, term)
            XCTAssertTrue(text.contains("kernel [9, 24]"), text)
            XCTAssertTrue(text.contains("i = σ(W_i·[x, h] + b_i)"), text)
            press(app, .char("]"))
            let gru = PresentedEquations.kernelNote(state: app.state, data: app.screenData()).joined()
            XCTAssertTrue(gru.contains("gates/kernel [10, 8] and candidate/kernel [10, 4]"), gru)
            XCTAssertTrue(gru.contains("rows 0-5 multiply x_t, rows 6-9 multiply h"), gru)
        }
    }

    func testKernelNoteUnderKerasAndTorchNamesTheirTwoMatrices() throws {
        let (app, _) = try sampleApp("ports/lstm_keras.json")
        press(app, .char("3"), .char("f"))
        let keras = PresentedEquations.kernelNote(state: app.state, data: app.screenData()).joined()
        XCTAssertTrue(keras.contains("kernel multiplies x_t, recurrent_kernel multiplies h"), keras)
        XCTAssertTrue(keras.contains("(i, f, c, o)"), keras)
        let (torch, _) = try sampleApp("ports/lstm_torch.json")
        press(torch, .char("3"), .char("f"))
        let t = PresentedEquations.kernelNote(state: torch.state, data: torch.screenData()).joined()
        XCTAssertTrue(t.contains("weight_ih_l0 multiplies x_t, weight_hh_l0 multiplies h"), t)
        XCTAssertTrue(t.contains("(i, f, g, o)"), t)
    }

    /// Three layers at 80×24: the boxes shrink to their names, the arrows keep each layer's state (the engine's); at
    /// 120×40 every box holds its gates again.
    func testATallStackShrinksTheBoxesButKeepsTheStates() throws {
        for (w, h, gates) in [(80, 24, false), (120, 40, true)] {
            let (app, term) = try sampleApp("mixed_stack.json", width: w, height: h)
            press(app, .char("2"), .char("f"))
            let text = screen(app, term)
            let frames = try allFrames(app)
            for l in 0..<3 {
                let v = try XCTUnwrap(frames[1].stateRows(layer: l, layerCount: 3, row: 0)?.first { $0.name == "h" }?.values)[0]
                XCTAssertTrue(text.contains("─h \(Format.num(v))─▶"), "\(w)x\(h) L\(l)\n\(text)")
            }
            let f = try XCTUnwrap(frames[1].layer(0)?.row(.gate("f"), 0))[0]
            XCTAssertEqual(text.contains("│f \(Format.num(f))│"), gates, "\(w)x\(h)\n\(text)")
        }
    }

    /// In presentation mode only the view is on screen: Tab never focuses a pane that is not drawn.
    func testTabStaysOnWhatIsShown() throws {
        let (app, _) = try makeApp()
        focus(app, .stack)
        press(app, .char("f"))
        XCTAssertEqual(app.state.focus, .frame)
        press(app, .tab)
        XCTAssertEqual(app.state.focus, .heatmap)
        press(app, .tab, .backTab)
        XCTAssertEqual(app.state.focus, .heatmap)
        press(app, .char("2"), .tab)
        XCTAssertEqual(app.state.focus, .frame)
        press(app, .tab)
        XCTAssertEqual(app.state.focus, .frame)
    }

    /// A stack too tall for 80×24 shows the selected layer and the layers around it that fit; the border says how
    /// many rows are hidden above and below, and nothing is drawn over the message line.
    func testATooTallStackShowsTheSelectedLayerAndSaysWhatIsHidden() throws {
        let layers = Array(repeating: CellSpec.lstm(numUnits: 2, options: LSTMOptions()), count: 5)
        let spec = ExperimentSpec(name: "tall", cell: .multi(layers), batchSize: 1, maxTime: 4, inputDepth: 2)
        let (app, term) = try makeApp(spec: spec)
        press(app, .char("2"), .char("f"))
        func rows() -> [String] { screen(app, term).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        var lines = rows()
        let text = lines.joined(separator: "\n")
        // Layer 0 selected: it and the layers above it that fit, the inputs below; the rest hidden above.
        XCTAssertTrue(text.contains("L0 ") && text.contains("x0"), text)
        XCTAssertFalse(text.contains("L4 "), text)
        XCTAssertTrue(lines[2].contains("more"), text)
        XCTAssertTrue(lines[21].hasPrefix("└") && !lines[21].contains("more"), text)
        XCTAssertTrue(lines[22].hasPrefix("presentation mode"), lines[22])
        // The top layer selected: the outputs and L4 shown, the layers below hidden.
        for _ in 0..<4 { press(app, .char("]")) }
        lines = rows()
        XCTAssertTrue(lines.contains { $0.contains("L4 ") } && lines.contains { $0.contains("out") }, lines.joined(separator: "\n"))
        XCTAssertFalse(lines.contains { $0.contains("L0 ") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines[21].contains("more"), lines.joined(separator: "\n"))
    }
}
