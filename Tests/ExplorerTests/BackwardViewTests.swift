import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI
import TestSupport

/// View 5, the backward pass: the numbers on screen are the engine's (checked against a `GradientRun` built here
/// from the same experiment), stepping follows the sweep, masked steps say what happens, at 80x24.
final class BackwardViewTests: ExplorerAppTestCase {
    static let samples = RepositoryPaths.samples

    func openSample(_ name: String, width: Int = 80, height: Int = 24, colorMode: ColorMode = .palette256,
                    unicode: Bool = true) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: width, height: height,
                                      capabilities: TerminalCapabilities(colorMode: colorMode, unicode: unicode, mouse: true))
        let model = try ExplorerModel.load(path: Self.samples.appendingPathComponent(name).path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return (ExplorerApp(terminal: terminal, model: model, clock: clock), terminal)
    }

    /// Waits for the backward view's sweep (its job's messages applied).
    func sweep(_ app: ExplorerApp) {
        _ = app.model.backwardData(state: app.state, range: 0..<1)
        guard case let .success(s)? = app.model.backwardCache.source else { return XCTFail("no sweep") }
        settle(app)
        XCTAssertTrue(s.isComplete || s.failure != nil)
    }

    /// The engine's gradient frames for a sample, computed here without the explorer.
    func engineFrames(_ name: String, loss: RNNLoss<Float>) throws -> GradientRun<Float> {
        let url = Self.samples.appendingPathComponent(name)
        let spec = try ExperimentLoader.readSpec(url)
        let loaded = try ExperimentLoader.load(spec, file: name, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        let run = try GradientRun(loop: try loaded.makeLoop(), loss: loss)
        run.compute()
        XCTAssertNil(run.error)
        return run
    }

    /// The number after `label` on the screen (`from t+1 ∂h[0] +1.23e-04` gives 1.23e-4; `0` is zero).
    func number(after label: String, in text: String) -> Double? {
        guard let r = text.range(of: label) else { return nil }
        let rest = text[r.upperBound...].drop { $0 == " " }
        return Double(String(rest.prefix { !$0.isWhitespace && !"│|,)".contains($0) }))
    }

    func assertClose(_ shown: Double?, _ engine: Float, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let shown else { return XCTFail("\(what) not on screen", file: file, line: line) }
        XCTAssertTrue(isClose(shown, Double(engine), rtol: 6e-3, atol: 1e-30), "\(what): shown \(shown), engine \(engine)", file: file, line: line)
    }

    func testStepsBackFromTheLossAndShowsTheEnginesNumbers() throws {
        let (app, term) = try openSample("gradients/vanishing_rnn.json", width: 100, height: 32)
        press(app, .char("5"))
        XCTAssertEqual(app.state.view, .backward)
        XCTAssertEqual(app.state.t, 99, "the view opens at the loss's step (the file's loss: output unit 0 of example 0 at t=99)")
        sweep(app)
        var text = screen(app, term)
        XCTAssertTrue(text.contains("L = output[ex 0, t=99, unit 0]"), text)
        XCTAssertTrue(text.contains("from the output at t: ∂y[0] +1.00e+00"), text)
        press(app, .char("l"))
        XCTAssertEqual(app.state.t, 98, "the first step key goes from the loss's step towards t=0")
        press(app, .right, .char("l"))
        XCTAssertEqual(app.state.t, 96)
        text = screen(app, term)
        let run = try engineFrames("gradients/vanishing_rnn.json", loss: .outputUnit(example: 0, step: 99, unit: 0))
        let f = try XCTUnwrap(try run.frame(at: 96))
        assertClose(number(after: "from t+1 ∂h[0]", in: text), f.stateGradient.flattened[0].row(0).first!, "arriving from t+1")
        assertClose(number(after: "total ∂h_t[0]", in: text), f.layers[0].gradient("h")!.row(0).first!, "total")
        assertClose(number(after: "to t-1: ∂h[0]", in: text), f.previousStateGradient.flattened[0].row(0).first!, "passed back")
        assertClose(number(after: "∂x_t[3] (", in: text), f.inputGradient.row(0).first!, "input gradient")
        // The trace's norm is the engine's kept norm.
        let norm = try XCTUnwrap(run.stateGradientNorms(at: 96, example: 0))
        let afterFrom = String(text[(text.range(of: "from t+1")?.upperBound ?? text.startIndex)...])
        XCTAssertEqual(number(after: "‖∂h‖", in: afterFrom) ?? -1, norm[0], accuracy: norm[0] * 6e-3, text)
        // g goes back to the loss's step, G to t=0; h steps forward again.
        press(app, .char("G"))
        XCTAssertEqual(app.state.t, 0)
        press(app, .char("h"))
        XCTAssertEqual(app.state.t, 1)
        press(app, .char("g"))
        XCTAssertEqual(app.state.t, 99)
        // Vanishing: at t=0 the arriving gradient is a tiny fraction of what it is near the loss.
        press(app, .char("G"))
        text = screen(app, term)
        let f0 = try XCTUnwrap(try run.frame(at: 0))
        assertClose(number(after: "from t+1 ∂h[0]", in: text), f0.stateGradient.flattened[0].row(0).first!, "arriving at t=0")
    }

    func testMaskedStepPassesTheGradientThroughTheCopy() throws {
        let (app, term) = try openSample("gradients/masked_batch.json", width: 100, height: 32)
        press(app, .char("5"))
        XCTAssertEqual(app.model.backwardCache.key?.selection.choice, .sumOfOutputs, "the file's loss: the sum of outputs")
        sweep(app)
        focus(app, .sequences)
        press(app, .char("j"), .char("j"), .char("j"))  // example 3, length 3
        focus(app, .frame)
        press(app, .char("g"))
        for _ in 0..<9 { press(app, .char("l")) }
        XCTAssertEqual(app.state.t, 10)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("masked: t=10 ≥ length 3"), text)
        let flat = text.replacingOccurrences(of: "│", with: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(flat.contains("the output's gradient is 0 and"), text)
        XCTAssertTrue(flat.contains("passes back through the copy unchanged"), text)
        let run = try engineFrames("gradients/masked_batch.json", loss: .sumOfOutputs)
        let f = try XCTUnwrap(try run.frame(at: 10))
        XCTAssertEqual(f.stateGradient.flattened[0].row(3).first!, f.previousStateGradient.flattened[0].row(3).first!)
        assertClose(number(after: "from t+1 ∂h[0]", in: text), f.stateGradient.flattened[0].row(3).first!, "arriving")
        // With the sum of outputs, nothing reaches example 3 after its length: zero from t+1 and passed back.
        XCTAssertEqual(number(after: "from t+1 ∂h[0]", in: text), 0, text)
        XCTAssertEqual(number(after: "to t-1: ∂h[0]", in: text), 0, text)
        // At t=2 (its last valid step) the output's gradient arrives.
        for _ in 0..<8 { press(app, .char("l")) }
        XCTAssertEqual(app.state.t, 2)
        let active = screen(app, term)
        XCTAssertTrue(active.contains("from the output at t: ∂y[0] +1.00e+00"), active)
    }

    func testLossChoicesAndASCIIWithoutColourAt80x24() throws {
        let (app, term) = try openSample("gradients/surviving_lstm.json", colorMode: .none, unicode: false)
        press(app, .char("5"))
        sweep(app)
        var text = screen(app, term)
        XCTAssertTrue(text.unicodeScalars.allSatisfy(\.isASCII), text)
        for needle in ["Backward", "L = output[ex 0, t=99, unit 0]", "dh", "dc", "|dh|", "from t+1 dh[0]", "b loss", "C convention"] {
            XCTAssertTrue(text.contains(needle), "missing \(needle):\n\(text)")
        }
        XCTAssertEqual(text.split(separator: "\n", omittingEmptySubsequences: false).count, 24)
        press(app, .char("b"))
        XCTAssertEqual(app.state.backward.choice, .finalState)
        sweep(app)
        text = screen(app, term)
        XCTAssertTrue(text.contains("L = sum of the final state"), text)
        press(app, .char("b"))
        sweep(app)
        XCTAssertTrue(screen(app, term).contains("L = sum of all outputs"))
        // The sweep at t=99 under the sum of outputs: the output's gradient is 1 at every unit.
        XCTAssertTrue(screen(app, term).contains("from the output at t: dy[0] +1.00e+00"), term.screenText)
    }

    func testOtherConventionsSayWhyThereIsNoSweep() throws {
        let (app, term) = try openSample("gradients/surviving_lstm.json")
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .keras)
        press(app, .char("5"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("the backward view follows dynamic_rnn"), text)
    }

    /// A row of length 0, no time steps, a bidirectional run and a stack edit: the view says what it can, never crashes.
    func testEdgeCases() throws {
        let (app, term) = try makeApp(width: 80, height: 24)   // built-in: lengths [9, 5, 2, 0]
        press(app, .char("j"), .char("j"), .char("j"), .char("5"))
        XCTAssertEqual(app.state.example, 3)
        XCTAssertTrue(screen(app, term).contains("example 3 has length 0"), term.screenText)
        press(app, .char("b"))
        sweep(app)
        XCTAssertTrue(screen(app, term).contains("L = sum of the final state"), term.screenText)
        // An edit re-runs: the sweep follows the new session.
        focus(app, .stack)
        press(app, .char("+"))
        sweep(app)
        XCTAssertTrue(screen(app, term).contains("from t+1"), term.screenText)
        for spec in [ExperimentSpec(name: "empty", cell: .gru(numUnits: 2, activation: .tanh), batchSize: 2, maxTime: 0, inputDepth: 1),
                     ExperimentSpec(name: "bi", cell: .lstm(numUnits: 3, options: LSTMOptions()), bidirectional: true,
                                    sequenceLength: [4, 2], batchSize: 2, maxTime: 4, inputDepth: 2, seed: 3)] {
            let (a, t) = try makeApp(width: 80, height: 24, spec: spec)
            press(a, .char("5"))
            _ = screen(a, t)
            press(a, .char("b"), .char("d"), .char("l"), .char("b"), .char("G"))
            _ = screen(a, t)
            press(a, .char("6"), .char("6"), .char("C"))
            XCTAssertTrue(screen(a, t).contains("unroll"), t.screenText)
        }
    }

    /// Space plays the sweep: the cursor moves towards t=0, one step per play interval, and stops there.
    func testPlayRunsTheSweepBackwards() throws {
        let (app, _) = try openSample("gradients/masked_batch.json")
        press(app, .char("5"))
        sweep(app)
        press(app, .char("}"), .char("}"), .char("}"))   // 25 steps per second
        press(app, .char(" "))
        XCTAssertTrue(app.state.playing)
        let start = app.state.t
        app.tick()
        XCTAssertEqual(app.state.t, start, "no step before the play interval has passed")
        clock.advance(by: app.playInterval / 2)
        app.tick()
        XCTAssertEqual(app.state.t, start)
        clock.advance(by: app.playInterval / 2 + 1e-9)
        app.tick()
        XCTAssertEqual(app.state.t, start - 1, "one step per play interval")
        for _ in 0..<40 where app.state.playing {
            clock.advance(by: app.playInterval + 1e-9)
            app.tick()
        }
        XCTAssertEqual(start, 19)
        XCTAssertEqual(app.state.t, 0, "played back to t=0")
        XCTAssertFalse(app.state.playing)
        XCTAssertTrue(app.state.message.contains("the sweep is done"), app.state.message)
    }

    /// In a bidirectional run's backward pass the loss's step is its loop's last valid step, which reads input step 0.
    func testBackwardDirectionNamesTheInputStep() throws {
        let spec = ExperimentSpec(name: "bi", cell: .lstm(numUnits: 3, options: LSTMOptions()), bidirectional: true,
                                  sequenceLength: [4, 2], batchSize: 2, maxTime: 4, inputDepth: 2, seed: 3)
        let (app, term) = try makeApp(width: 100, height: 32, spec: spec)
        press(app, .char("j"), .char("d"), .char("5"))
        sweep(app)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("L = bw output[ex 1, t=1, unit 0] (input step 0)"), text)
        XCTAssertEqual(app.state.t, 1)
    }
}
