import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 17, item 4 and issue 19, item 15 on the in-memory screen: the Sequences pane draws each row's mask step by
/// step; `m` toggles a step's mask, `p` moves a row's padding, `s` changes the inputs' sizes; `C` cycles every
/// convention; the frame and view 6 say what each framework does under the mask; undo returns the exact experiment.
final class MaskEditTests: ExplorerAppTestCase {
    /// An app on a case of ../shared/conformance/masks.
    func maskApp(_ name: String, width: Int = 80, height: Int = 24, colorMode: ColorMode = .palette256,
                 unicode: Bool = true) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: width, height: height,
                                      capabilities: TerminalCapabilities(colorMode: colorMode, unicode: unicode, mouse: true))
        let model = try ExplorerModel.load(path: MaskExplorerTests.masks.appendingPathComponent(name + ".json").path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return (ExplorerApp(terminal: terminal, model: model, clock: clock), terminal)
    }

    /// The case's mask as the npz holds it (rows of 0/1).
    func caseMask(_ name: String) throws -> [[Bool]] {
        let m = try XCTUnwrap(try Npz.read(MaskExplorerTests.masks.appendingPathComponent(name + ".npz"))["mask"])
        let ints = m.asInts()
        return (0..<m.shape[0]).map { b in (0..<m.shape[1]).map { ints[b * m.shape[1] + $0] == 1 } }
    }

    func experiment(_ app: ExplorerApp) throws -> LoadedExperiment<Float> {
        try XCTUnwrap((app.model.session as? Session<Float>)?.experiment)
    }

    /// What undo must bring back: the spec, the mask, the inputs as laid out and every number of the run.
    struct Seen: Equatable {
        let spec: ExperimentSpec
        let mask: StepMask?
        let inputShape: [Int]
        let inputs: [Float]
        let outputs: [[Double]]
        let states: [[Double]]
    }

    func seen(_ app: ExplorerApp) throws -> Seen {
        let e = try experiment(app)
        let frames = try allFrames(app)
        XCTAssertEqual(app.state.spec, e.spec)
        XCTAssertEqual(app.state.stepMask, e.stepMask)
        XCTAssertEqual([app.state.batchSize, app.state.maxTime, app.state.inputDepth], [e.batchSize, e.maxTime, e.inputDepth])
        return Seen(spec: e.spec, mask: e.stepMask, inputShape: e.inputs.shape, inputs: e.inputs.scalars,
                    outputs: frames.map { $0.output.scalars }, states: frames.map { $0.state.flattened.flatMap(\.scalars) })
    }

    /// The frames the explorer steps through are the run `unroll run` makes of the same experiment (the engine's
    /// `run`: compaction of the masked rows and the fused path, not the loop the frames come from).
    func assertFramesAreTheRun(_ app: ExplorerApp, file: StaticString = #filePath, line: UInt = #line) throws {
        let e = try experiment(app)
        let run = try e.run()
        let o = run.outputs[0], width = o.shape[2]
        for f in try allFrames(app) {
            for b in 0..<e.batchSize {
                let at = e.spec.timeMajor ? (f.time * e.batchSize + b) * width : (b * e.maxTime + f.time) * width
                let want = o.scalars[at..<(at + width)].map(Double.init)
                let got = try XCTUnwrap(f.outputRow(b))
                for (g, w) in zip(got, want) where abs(g - w) > 1e-5 * max(1, abs(w)) {
                    XCTFail("t=\(f.time) example \(b): frame shows \(g), run gives \(w)", file: file, line: line)
                    return
                }
            }
        }
    }

    /// The characters the Sequences pane draws for row `b` after its label.
    func row(_ text: String, example b: Int, _ app: ExplorerApp) -> String {
        let layout = Layout(width: 80, height: 24, state: app.state)
        let g = SequencesPane.Geometry(rect: layout.sequences, state: app.state)
        let lines = text.components(separatedBy: "\n")
        let y = g.inner.y + b - g.top
        let chars = Array(lines[y])
        return String(chars[(g.inner.x + g.labelWidth)..<(g.inner.x + g.labelWidth + g.usedColumns * g.cellWidth)])
    }

    /// A row as the pane must draw it: each valid step a bar, each masked one a dot (the cursor's step shaded).
    func expectedRow(_ mask: [Bool], cursor: Int, cellWidth: Int, unicode: Bool) -> String {
        let (bar, shade, dot): (Character, Character, Character) = unicode ? ("█", "▒", "·") : ("#", "@", ".")
        return mask.enumerated().map { t, valid in
            valid ? String(repeating: t == cursor ? shade : bar, count: cellWidth) : String(dot) + String(repeating: " ", count: cellWidth - 1)
        }.joined()
    }

    func testSequencesPaneDrawsEachRowsMaskStepByStep() throws {
        let mask = try caseMask("keras_mask_hole_lstm")
        for (unicode, colorMode) in [(true, ColorMode.palette256), (false, .palette256), (true, .none), (false, .none)] {
            let (app, term) = try maskApp("keras_mask_hole_lstm", colorMode: colorMode, unicode: unicode)
            press(app, .char("l"), .char("l"))
            let text = screen(app, term)
            XCTAssertTrue(text.contains(unicode ? "Sequences · mask" : "Sequences | mask"), text)
            let g = SequencesPane.Geometry(rect: Layout(width: 80, height: 24, state: app.state).sequences, state: app.state)
            XCTAssertEqual(g.stepsPerColumn, 1)
            for b in 0..<3 {
                XCTAssertEqual(row(text, example: b, app), expectedRow(mask[b], cursor: 2, cellWidth: g.cellWidth, unicode: unicode),
                               "example \(b), unicode \(unicode), colours \(colorMode)\n\(text)")
                // The label counts the valid steps.
                XCTAssertTrue(text.contains("\(b) val \(mask[b].filter { $0 }.count)"), text)
            }
        }
    }

    func testMaskKeyTogglesAStepAsKerasRunsIt() throws {
        let (app, term) = try maskApp("keras_mask_hole_lstm")
        focus(app, .sequences)
        let original = try seen(app)
        // Example 1 is valid everywhere: mask its step 4.
        press(app, .down, .char("l"), .char("l"), .char("l"), .char("l"), .char("m"))
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertTrue(app.state.message.contains("mask[1, 4] = False"), app.state.message)
        let m = try XCTUnwrap(app.state.stepMask)
        XCTAssertFalse(m.isValid(example: 1, step: 4))
        XCTAssertEqual(m.valid.filter { !$0 }.count, try caseMask("keras_mask_hole_lstm").joined().filter { !$0 }.count + 1)
        try assertFramesAreTheRun(app)
        // Keras at a masked step: the state is carried and the output repeats the previous step's.
        let frames = try allFrames(app)
        XCTAssertEqual(frames[4].outputRow(1), frames[3].outputRow(1))
        XCTAssertEqual(frames[4].state.flattened.map { $0.row(1) }, frames[3].state.flattened.map { $0.row(1) })
        XCTAssertNotEqual(frames[5].outputRow(1), frames[4].outputRow(1))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("masked: mask[1, 4] = False"), text)
        XCTAssertTrue(text.contains("repeats the row's last"), text)
        // Undo: exactly the case again; redo: the edit.
        let edited = try seen(app)
        press(app, .char("u"))
        XCTAssertEqual(try seen(app), original, app.state.message)
        press(app, .ctrl("r"))
        XCTAssertEqual(try seen(app), edited, app.state.message)
    }

    func testUnderTensorFlowAPrefixStaysLengthsAndAHoleIsRefused() throws {
        let (app, _) = try sampleApp("masking_demo.json")
        focus(app, .sequences)
        XCTAssertEqual(app.state.spec.sequenceLength, [8, 4, 1, 0])
        // The last valid step of example 0 masked: still a prefix, so still lengths.
        press(app, .char("g"))
        for _ in 0..<7 { press(app, .char("l")) }
        press(app, .char("m"))
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertEqual(app.state.spec.sequenceLength, [7, 4, 1, 0])
        XCTAssertNil(app.state.stepMask)
        try assertFramesAreTheRun(app)
        // A hole: dynamic_rnn cannot express it; nothing changes.
        let before = try seen(app)
        press(app, .char("g"), .char("l"), .char("l"), .char("m"))
        XCTAssertTrue(app.state.messageIsError)
        XCTAssertFalse(app.state.message.contains("\n"))
        XCTAssertTrue(app.state.message.contains("example 0's mask is not a prefix (masked step 2)") || app.state.message.contains("example 0's mask is not a prefix (masked steps 2, 7)"),
                      app.state.message)
        XCTAssertTrue(app.state.message.contains("dynamic_rnn's sequence_length can only make a row's first steps valid"), app.state.message)
        XCTAssertEqual(try seen(app), before)
        // Pre-padding too.
        press(app, .down, .char("p"))
        XCTAssertTrue(app.state.messageIsError)
        XCTAssertTrue(app.state.message.contains("example 1's mask is not a prefix (masked steps 0, 1, 2, 3)"), app.state.message)
        XCTAssertEqual(try seen(app), before)
    }

    func testPaddingMovesToTheFrontAndBackWithTheRowsInputs() throws {
        let (app, term) = try maskApp("keras_mask_post_lstm")
        focus(app, .sequences)
        let original = try seen(app)
        let e0 = try experiment(app)
        let finalState = try XCTUnwrap(allFrames(app).last).state.flattened.map { $0.row(1) }
        press(app, .down, .char("p"))
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertTrue(app.state.message.contains("example 1's padding moved to the front"), app.state.message)
        let m = try XCTUnwrap(app.state.stepMask)
        XCTAssertEqual(m.validSteps(example: 1), [4, 5])
        let e1 = try experiment(app)
        // The two valid steps keep their inputs, now at t=4, 5; the other rows are untouched.
        let depth = e0.inputDepth
        func step(_ e: LoadedExperiment<Float>, _ b: Int, _ t: Int) -> [Float] {
            Array(e.inputs.scalars[((b * e.maxTime + t) * depth)..<((b * e.maxTime + t + 1) * depth)])
        }
        XCTAssertEqual(step(e1, 1, 4), step(e0, 1, 0))
        XCTAssertEqual(step(e1, 1, 5), step(e0, 1, 1))
        for b in [0, 2] { for t in 0..<6 { XCTAssertEqual(step(e1, b, t), step(e0, b, t)) } }
        try assertFramesAreTheRun(app)
        // Keras skips the padding: the row's final state is the same as post-padded, its outputs zero before t=4.
        let frames = try allFrames(app)
        XCTAssertEqual(frames.last?.state.flattened.map { $0.row(1) }, finalState)
        for t in 0..<4 { XCTAssertEqual(frames[t].outputRow(1)?.allSatisfy { $0 == 0 }, true, "t=\(t)") }
        XCTAssertTrue(screen(app, term).contains("▶1 val 2 ·  ·  ·  ·  ██████") || screen(app, term).contains("▶1 val 2 ·  ·  ·  ·  ▒▒▒███"), screen(app, term))
        // Back again: the experiment as it was, to the bit.
        press(app, .char("p"))
        XCTAssertEqual(try seen(app).inputs, original.inputs)
        XCTAssertEqual(try seen(app).mask, original.mask)
        XCTAssertEqual(try seen(app).outputs, original.outputs)
        press(app, .char("u"), .char("u"))
        XCTAssertEqual(try seen(app), original)
    }
}
