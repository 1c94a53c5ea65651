import Foundation
import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI
import TestSupport

/// The backward view's "which weights learn" rows (`W`) and a second experiment beside the first (`O`,
/// `--beside`): the numbers on screen are the engine's, re-derived here without the trace's code, and the two
/// sweeps share one log scale, at 80x24 and 100x32.
final class BesideAndWeightsViewTests: ExplorerAppTestCase {
    let vanishing = "gradients/vanishing_rnn.json", surviving = "gradients/surviving_lstm.json"

    private func engineRun(_ name: String) throws -> (GradientRun<Float>, LoadedExperiment<Float>) {
        let url = BackwardViewTests.samples.appendingPathComponent(name)
        let spec = try ExperimentLoader.readSpec(url)
        let loaded = try ExperimentLoader.load(spec, file: name, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        let loop = try loaded.makeLoop()
        let run = try GradientRun(loop: loop, loss: .outputUnit(example: 0, step: loop.maxTime - 1, unit: 0))
        run.compute()
        XCTAssertNil(run.error)
        return (run, loaded)
    }

    /// The numbers after the last `label` (`Wh   2.53e-01 | 1.22e+00` gives [0.253, 1.22]; the numbers come below the rows).
    private func pair(after label: String, in text: String) -> (Double, Double)? {
        guard let r = text.range(of: label + " ", options: .backwards) else { return nil }
        let words = text[r.upperBound...].split(whereSeparator: { $0 == " " || $0 == "|" || $0 == "\n" }).prefix(2).compactMap { Double(String($0)) }
        return words.count == 2 ? (words[0], words[1]) : nil
    }

    private func norm(_ m: [[Double]]) -> Double { m.flatMap { $0 }.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// A tanh RNN's step t adds `[x_t, h_{t−1}]ᵀ·δ_t` to its kernel, `δ_t = ∂L/∂h_t ⊙ (1 − h_t²)`: computed here from
    /// the engine's outputs (h) and its recorded ∂L/∂h, the view's numbers at t (this step, and summed from t=99 down
    /// to t) agree; at t=0 the sum is the engine's whole kernel gradient.
    func testWhichWeightsLearnShowsTheEnginesContributions() throws {
        let (app, term) = try sampleApp(vanishing, width: 100, height: 32)
        press(app, .char("W"))
        XCTAssertFalse(app.state.backwardWeights, "W outside the backward view only says where it works")
        XCTAssertTrue(app.state.message.contains("backward view"), app.state.message)
        press(app, .char("5"))
        _ = app.model.backwardData(state: app.state, range: 0..<1)
        settle(app)
        press(app, .char("W"))
        XCTAssertTrue(app.state.backwardWeights)
        for _ in 0..<5 { press(app, .char("l")) }
        XCTAssertEqual(app.state.t, 94)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("t=94 ‖∂L/∂W‖, batch summed: this step | sum t=99..94"), text)
        for label in ["Wx", "Wh", "b"] { XCTAssertTrue(text.contains("│" + label + " "), "a row for \(label)\n\(text)") }

        let (run, loaded) = try engineRun(vanishing)
        let g = try XCTUnwrap(run.result())
        let y = g.result.outputs, x = loaded.inputs
        let (batch, units, depth) = (2, 8, 3)
        func h(_ b: Int, _ t: Int, _ j: Int) -> Double { t < 0 ? 0 : Double(y[b, t, j]) }
        func delta(_ t: Int) throws -> [[Double]] {
            let dh = try XCTUnwrap(try run.frame(at: t)?.layers[0].gradient("h"))
            return (0..<batch).map { b in (0..<units).map { j in Double(dh[b, j]) * (1 - h(b, t, j) * h(b, t, j)) } }
        }
        var sumX = Array(repeating: Array(repeating: 0.0, count: units), count: depth)
        var sumH = Array(repeating: Array(repeating: 0.0, count: units), count: units)
        var stepX = sumX, stepH = sumH
        for t in stride(from: 99, through: 94, by: -1) {
            let d = try delta(t)
            stepX = (0..<depth).map { i in (0..<units).map { j in (0..<batch).reduce(0.0) { $0 + Double(x[$1, t, i]) * d[$1][j] } } }
            stepH = (0..<units).map { i in (0..<units).map { j in (0..<batch).reduce(0.0) { $0 + h($1, t - 1, i) * d[$1][j] } } }
            for i in 0..<depth { for j in 0..<units { sumX[i][j] += stepX[i][j] } }
            for i in 0..<units { for j in 0..<units { sumH[i][j] += stepH[i][j] } }
        }
        let shownX = try XCTUnwrap(pair(after: "Wx", in: text), text), shownH = try XCTUnwrap(pair(after: "Wh", in: text), text)
        XCTAssertTrue(isClose(shownX.0, norm(stepX), rtol: 6e-3, atol: 0), "Wx this step: \(shownX.0) vs \(norm(stepX))")
        XCTAssertTrue(isClose(shownX.1, norm(sumX), rtol: 6e-3, atol: 0), "Wx so far: \(shownX.1) vs \(norm(sumX))")
        XCTAssertTrue(isClose(shownH.0, norm(stepH), rtol: 6e-3, atol: 0), "Wh this step: \(shownH.0) vs \(norm(stepH))")
        XCTAssertTrue(isClose(shownH.1, norm(sumH), rtol: 6e-3, atol: 0), "Wh so far: \(shownH.1) vs \(norm(sumH))")

        // At t=0 the sum is the whole gradient of the recurrent rows (kernel rows 3..<11), and the step adds nothing:
        // the initial state is zero, so the recurrent kernel learns nothing from t=0.
        press(app, .char("G"))
        let end = screen(app, term)
        let kernel = try XCTUnwrap(g.weights["rnn/basic_rnn_cell/kernel"])
        let whole = norm((depth..<(depth + units)).map { i in (0..<units).map { Double(kernel[i, $0]) } })
        let atZero = try XCTUnwrap(pair(after: "Wh", in: end), end)
        XCTAssertEqual(atZero.0, 0, "nothing from t=0: h_{-1} = 0")
        XCTAssertTrue(isClose(atZero.1, whole, rtol: 6e-3, atol: 0), "Wh summed over the run: \(atZero.1) vs the engine's \(whole)")
        // Early steps hardly teach the recurrent kernel: t=50's part is many decades below t=94's.
        press(app, .char("g"))
        for _ in 0..<49 { press(app, .char("l")) }
        XCTAssertEqual(app.state.t, 50)
        let early = try XCTUnwrap(pair(after: "Wh", in: screen(app, term)))
        XCTAssertLessThan(early.0, shownH.0 * 1e-4, "vanishing: the recurrent kernel stops learning from early steps")
    }

    /// The one-row block area at 80x24 keeps its name (every block is listed in the numbers below).
    func testWhichWeightsLearnAt80x24() throws {
        let (app, term) = try sampleApp(surviving, width: 80, height: 24)
        press(app, .char("5"))
        _ = app.model.backwardData(state: app.state, range: 0..<1)
        settle(app)
        press(app, .char("W"), .char("l"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("│Wx·i "), text)
        XCTAssertTrue(text.contains("whole run (z)"), "the scale stays visible at 80 columns\n\(text)")
        XCTAssertFalse(text.contains("<unbound>"), text)
    }

    /// The split: both experiments' backward views, one above the other, on one log scale spanning both runs' norms
    /// (computed here from two engine runs), each with its own numbers.
    func testBesideSharesOneLogScale() throws {
        for (width, height) in [(100, 32), (80, 24)] {
            let terminal = MemoryTerminal(width: width, height: height,
                                          capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true))
            let a = try ExplorerModel.load(path: BackwardViewTests.samples.appendingPathComponent(vanishing).path)
            let b = try ExplorerModel.load(path: BackwardViewTests.samples.appendingPathComponent(surviving).path)
            let app = ExplorerApp(terminal: terminal, model: a, beside: b, clock: clock)
            XCTAssertEqual(app.state.view, .backward, "--beside opens the backward view")
            XCTAssertTrue(a.session.waitUntilComplete(timeout: 30) && b.session.waitUntilComplete(timeout: 30))
            _ = screen(app, terminal)
            settle(app)
            for _ in 0..<5 { press(app, .char("l")) }
            let text = screen(app, terminal)
            let (ra, _) = try engineRun(vanishing), (rb, _) = try engineRun(surviving)
            var largest = 0.0, smallest = Double.infinity
            for run in [ra, rb] {
                for t in 0..<100 {
                    for e in 0..<2 {
                        for n in try XCTUnwrap(run.stateGradientNorms(at: t, example: e)) where n > 0 {
                            largest = max(largest, n)
                            smallest = min(smallest, n)
                        }
                    }
                }
            }
            let top = Int(log10(largest).rounded(.up)), bottom = max(top - 16, Int(log10(smallest).rounded(.down)))
            let legend = "1e\(top)"
            let scaleLines = text.split(separator: "\n").filter { $0.contains("both runs (z)") }
            XCTAssertEqual(scaleLines.count, 2, "\(width)x\(height): one legend per experiment, both on the shared scale\n\(text)")
            for line in scaleLines {
                XCTAssertTrue(line.contains("scale  \(legend) ") && line.contains(" 1e\(min(top - 1, bottom)) both runs"),
                              "\(width)x\(height): the scale spans both runs (\(legend)..1e\(bottom))\n\(line)")
            }
            // Which weights learn: the blocks' rows share one scale too, spanning both runs' contributions.
            press(app, .char("W"))
            let weightsText = screen(app, terminal)
            var wLargest = 0.0, wSmallest = Double.infinity
            for run in [ra, rb] {
                let trace = try XCTUnwrap(try run.weightGradientTrace())
                for t in trace.times { for v in try XCTUnwrap(trace.contribution(at: t)) where v > 0 { wLargest = max(wLargest, v); wSmallest = min(wSmallest, v) } }
            }
            let wTop = Int(log10(wLargest).rounded(.up)), wBottom = min(wTop - 1, max(wTop - 16, Int(log10(wSmallest).rounded(.down))))
            let weightScales = weightsText.split(separator: "\n").filter { $0.contains("both runs (z)") }
            XCTAssertEqual(weightScales.count, 2, "\(width)x\(height)\n\(weightsText)")
            for line in weightScales {
                XCTAssertTrue(line.contains("scale  1e\(wTop) ") && line.contains(" 1e\(wBottom) both runs"), "\(width)x\(height): 1e\(wTop)..1e\(wBottom)\n\(line)")
            }
            press(app, .char("W"))
            let halves = text.components(separatedBy: "Backward · surviving_lstm")
            XCTAssertEqual(halves.count, 2, "the second view is named\n\(text)")
            XCTAssertTrue(halves[0].contains("Backward · vanishing_rnn"), text)
            for (half, run) in [(halves[0], ra), (halves[1], rb)] {
                let f = try XCTUnwrap(try run.frame(at: 94))
                let shown = try XCTUnwrap(number(after: "from t+1 ∂h[0]", in: half), "\(width)x\(height)\n\(half)")
                let engine = Double(f.stateGradient.flattened.last!.row(0).first!)
                XCTAssertTrue(isClose(shown, engine, rtol: 6e-3, atol: 1e-30), "\(width)x\(height): shown \(shown), engine \(engine)")
            }
        }
    }

    /// `O` asks for a path (Tab completes it) and opens the experiment beside; `O` again closes it.
    func testBOpensAndClosesTheExperimentBeside() throws {
        let (app, term) = try sampleApp(vanishing, width: 100, height: 32)
        press(app, .char("O"))
        XCTAssertEqual(app.state.prompt?.kind, .beside)
        XCTAssertTrue(PromptKind.beside.isPath, "Tab completes the path")
        for ch in BackwardViewTests.samples.appendingPathComponent(surviving).path { press(app, .char(ch)) }
        press(app, .enter)
        settle(app)
        XCTAssertNotNil(app.beside)
        XCTAssertEqual(app.state.view, .backward)
        XCTAssertTrue(screen(app, term).contains("Backward · surviving_lstm"))
        press(app, .char("O"))
        XCTAssertNil(app.beside)
        XCTAssertNil(app.state.beside)
        XCTAssertFalse(screen(app, term).contains("Backward · surviving_lstm"))
        press(app, .char("O"))
        for ch in "no-such-file.json" { press(app, .char(ch)) }
        press(app, .enter)
        settle(app)
        XCTAssertNil(app.beside)
        XCTAssertTrue(app.state.messageIsError && app.state.message.contains("no-such-file.json"), app.state.message)
    }

    /// View 6 with an experiment beside compares the two files' outputs (the engine's comparison of two results):
    /// the readout at t is each experiment's own output there and their |difference|.
    func testCompareViewComparesTheExperimentBeside() throws {
        let (app, term) = try sampleApp(vanishing, width: 100, height: 32)
        let b = try ExplorerModel.load(path: BackwardViewTests.samples.appendingPathComponent(surviving).path)
        app.showBeside(b, view: false)
        XCTAssertTrue(b.session.waitUntilComplete(timeout: 30))
        press(app, .char("6"), .char("G"))
        XCTAssertEqual(app.state.t, 99)
        _ = screen(app, term)
        settle(app)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("Compare vanishing_rnn vs surviving_lstm"), text)
        XCTAssertTrue(text.contains("first difference at t=0, example 0, unit 0"), text)
        let (ra, _) = try engineRun(vanishing), (rb, _) = try engineRun(surviving)
        let ya = Double(try XCTUnwrap(ra.result()).result.outputs[0, 99, 0]), yb = Double(try XCTUnwrap(rb.result()).result.outputs[0, 99, 0])
        let shownA = try XCTUnwrap(number(after: "u0: vanishing_rnn", in: text), text)
        let shownB = try XCTUnwrap(number(after: "| surviving_lstm", in: text), text)
        XCTAssertEqual(shownA, ya, accuracy: 1e-3)
        XCTAssertEqual(shownB, yb, accuracy: 1e-3)
        // The readout wraps at 100 columns: the difference is on the next line.
        let rest = text[text.range(of: "| |diff|")!.upperBound...].drop { " │\n".contains($0) }
        let diff = try XCTUnwrap(Double(String(rest.prefix { !$0.isWhitespace && $0 != "│" })), text)
        XCTAssertTrue(isClose(diff, abs(ya - yb), rtol: 6e-3, atol: 0), "\(diff) vs \(abs(ya - yb))")
    }

    private func number(after label: String, in text: String) -> Double? {
        guard let r = text.range(of: label) else { return nil }
        let rest = text[r.upperBound...].drop { $0 == " " }
        return Double(String(rest.prefix { !$0.isWhitespace && !"│|,)".contains($0) }))
    }
}

/// The README's capture of two experiments side by side is the right-hand column the explorer draws (100x32,
/// `NO_COLOR`), cell for cell (trailing blanks aside).
final class ReadmeBesideSnapshotTests: ExplorerAppTestCase {
    /// The capture as the explorer draws it: `unroll samples/gradients/vanishing_rnn.json --beside
    /// samples/gradients/surviving_lstm.json`, then five `l`.
    func besideCapture() throws -> [String] {
        let terminal = MemoryTerminal(width: 100, height: 32, capabilities: TerminalCapabilities(colorMode: .none, unicode: true, mouse: true))
        let a = try ExplorerModel.load(path: BackwardViewTests.samples.appendingPathComponent("gradients/vanishing_rnn.json").path)
        let b = try ExplorerModel.load(path: BackwardViewTests.samples.appendingPathComponent("gradients/surviving_lstm.json").path)
        XCTAssertTrue(a.session.waitUntilComplete(timeout: 30) && b.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: terminal, model: a, beside: b, clock: clock)
        _ = screen(app, terminal)
        settle(app)
        for _ in 0..<5 { press(app, .char("l")) }
        let rect = Layout(width: 100, height: 32, state: app.state).frame
        return screen(app, terminal).split(separator: "\n", omittingEmptySubsequences: false).dropFirst(rect.y).prefix(rect.height)
            .map { String(String($0).dropFirst(rect.x)).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
    }

    func testReadmeBesideCaptureMatchesTheScreen() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = try besideCapture()
        if ProcessInfo.processInfo.environment["PRINT_BESIDE_CAPTURE"] != nil { print(lines.joined(separator: "\n")) }
        let intro = try XCTUnwrap(readme.range(of: "--beside samples/gradients/surviving_lstm.json"), "the README shows the split")
        let open = try XCTUnwrap(readme.range(of: "```\n", range: intro.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "\n```", range: open.upperBound..<readme.endIndex))
        let capture = readme[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
        XCTAssertEqual(capture.count, lines.count)
        for (i, (a, b)) in zip(capture, lines).enumerated() {
            XCTAssertEqual(a, b, "README capture line \(i + 1) differs from the screen")
        }
    }
}
