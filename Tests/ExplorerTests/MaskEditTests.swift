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

    func testNSetsTheMaskAsideAndBringsItBack() throws {
        let (app, _) = try maskApp("keras_mask_hole_lstm")
        focus(app, .sequences)
        let original = try seen(app)
        press(app, .char("n"))
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertNil(app.state.stepMask)
        XCTAssertNil(app.state.spec.mask)
        XCTAssertTrue(try allFrames(app).allSatisfy { !$0.masked.contains(true) })
        press(app, .char("+"))
        XCTAssertTrue(app.state.messageIsError == false || app.state.stepMask == nil)
        press(app, .char("u"))
        press(app, .char("n"))
        XCTAssertEqual(app.state.stepMask, original.mask)
        XCTAssertEqual(try seen(app).outputs, original.outputs)
        // Under a mask the length keys say what to use instead.
        press(app, .char("+"))
        XCTAssertTrue(app.state.message.hasPrefix("this experiment gives a mask, not lengths: m masks or unmasks step t"), app.state.message)
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

/// Issue 19, item 15: batch size, max_time and input depth edited in the explorer (`s` in the Sequences pane).
final class InputSizesEditTests: ExplorerAppTestCase {
    func typeSizes(_ app: ExplorerApp, _ text: String) {
        press(app, .char("s"), .ctrl("u"))
        for ch in text { press(app, .char(ch)) }
        press(app, .enter)
    }

    func inputs(_ app: ExplorerApp) throws -> Tensor<Float> {
        try XCTUnwrap((app.model.session as? Session<Float>)?.experiment.inputs)
    }

    func testCroppingKeepsTheDataAndUndoReturnsTheExactExperiment() throws {
        let (app, term) = try sampleApp("masking_demo.json")
        focus(app, .sequences)
        let before = try inputs(app)
        let (b0, t0, d0) = (app.state.batchSize, app.state.maxTime, app.state.inputDepth)
        let outputs = try allFrames(app).map { $0.output.scalars }
        XCTAssertGreaterThan(t0, 5)
        press(app, .char("s"))
        XCTAssertEqual(app.state.prompt?.text, "\(b0) \(t0) \(d0)")
        press(app, .escape)
        typeSizes(app, "3 5 \(d0)")
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertTrue(app.state.message.contains("batch \(b0) → 3") && app.state.message.contains("max_time \(t0) → 5"), app.state.message)
        XCTAssertEqual([app.state.batchSize, app.state.maxTime, app.state.inputDepth], [3, 5, d0])
        // Lengths [8, 4, 1, 0] clipped to the new max_time, the fourth row gone.
        XCTAssertEqual(app.state.spec.sequenceLength, [5, 4, 1])
        let cropped = try inputs(app)
        XCTAssertEqual(cropped.shape, [3, 5, d0])
        for b in 0..<3 { for t in 0..<5 { for k in 0..<d0 {
            XCTAssertEqual(cropped.scalars[(b * 5 + t) * d0 + k], before.scalars[(b * t0 + t) * d0 + k])
        } } }
        XCTAssertTrue(screen(app, term).contains("inputs      [3, 5, \(d0)]"), screen(app, term))
        // Undo: the experiment before, numbers and all.
        press(app, .char("u"))
        XCTAssertEqual(try inputs(app).scalars, before.scalars)
        XCTAssertEqual(try inputs(app).shape, before.shape)
        XCTAssertEqual(app.state.spec.sequenceLength, [8, 4, 1, 0])
        XCTAssertEqual(try allFrames(app).map { $0.output.scalars }, outputs)
        press(app, .ctrl("r"))
        XCTAssertEqual(try inputs(app).scalars, cropped.scalars)
    }

    func testExtendingTakesNewValuesFromTheSeedAndANewDepthNewWeights() throws {
        let (app, _) = try sampleApp("basic_rnn.json")
        focus(app, .sequences)
        let before = try inputs(app)
        let (b0, t0, d0) = (app.state.batchSize, app.state.maxTime, app.state.inputDepth)
        let weights = try app.model.session.weightArrays()
        let (b1, t1, d1) = (b0 + 2, t0 + 3, d0 + 1)
        typeSizes(app, "\(b1) \(t1) \(d1)")
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertTrue(app.state.message.contains("depth \(d0) → \(d1)"), app.state.message)
        let grown = try inputs(app)
        XCTAssertEqual(grown.shape, [b1, t1, d1])
        // What the loader generates from the seed for inputs of that shape (no inputs file).
        var spec = app.state.spec
        spec.inputs = nil
        spec.weights = nil
        (spec.batchSize, spec.maxTime, spec.inputDepth) = (b1, t1, d1)
        let seeded = try ExperimentLoader.load(spec, file: "seeded", baseDirectory: BackwardViewTests.samples, as: Float.self).inputs
        for b in 0..<b1 { for t in 0..<t1 { for k in 0..<d1 {
            let at = (b * t1 + t) * d1 + k
            let old = b < b0 && t < t0 && k < d0
            XCTAssertEqual(grown.scalars[at], old ? before.scalars[(b * t0 + t) * d0 + k] : seeded.scalars[at], "[\(b), \(t), \(k)]")
        } } }
        XCTAssertNil(app.model.session.failure)
        XCTAssertEqual(try allFrames(app).count, t1)
        press(app, .char("u"))
        let back = try app.model.session.weightArrays()
        XCTAssertEqual(back.map(\.0), weights.map(\.0))
        XCTAssertEqual(back.map(\.1), weights.map(\.1))
        XCTAssertEqual(try inputs(app).scalars, before.scalars)
    }

    func testAMaskIsCroppedAndExtendedWithValidSteps() throws {
        let terminal = MemoryTerminal(width: 80, height: 24, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true))
        let model = try ExplorerModel.load(path: MaskExplorerTests.masks.appendingPathComponent("keras_mask_pre_gru.json").path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: terminal, model: model, clock: clock)
        focus(app, .sequences)
        let mask = try XCTUnwrap(app.state.stepMask)
        typeSizes(app, "2 8 2")
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        let m = try XCTUnwrap(app.state.stepMask)
        XCTAssertEqual([m.batchSize, m.maxTime], [2, 8])
        for b in 0..<2 { for t in 0..<8 { XCTAssertEqual(m.isValid(example: b, step: t), t < 6 ? mask.isValid(example: b, step: t) : true) } }
        XCTAssertTrue(app.state.message.contains("mask extended with valid steps"), app.state.message)
        // A refusal keeps the experiment.
        typeSizes(app, "2 0 2")
        XCTAssertTrue(app.state.messageIsError)
        XCTAssertEqual(app.state.maxTime, 8)
    }
}

/// `C` under a mask and the words the frame and view 6 give for what each framework does.
final class MaskConventionTests: ExplorerAppTestCase {
    func app(_ name: String) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: 100, height: 32, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true))
        let model = try ExplorerModel.load(path: MaskExplorerTests.masks.appendingPathComponent(name + ".json").path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return (ExplorerApp(terminal: terminal, model: model, clock: clock), terminal)
    }

    func testCCyclesEveryConventionAndSaysWhatEachDoesAtAMaskedStep() throws {
        // Post-padded: a prefix, which every framework expresses (example 1 is valid at t=0, 1 only).
        let (app, term) = try app("keras_mask_post_lstm")
        press(app, .down, .char("l"), .char("l"), .char("l"))
        XCTAssertTrue(screen(app, term).contains("masked: mask[1, 3] = False → the output repeats the row's last"), screen(app, term))
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .torch, app.state.message)
        XCTAssertTrue(screen(app, term).contains("pad_packed_sequence writes zeros"), screen(app, term))
        XCTAssertEqual(try allFrames(app)[3].outputRow(1)?.allSatisfy { $0 == 0 }, true)
        press(app, .char("C"))
        // onnx: the prefix as sequence_lens, zeros past it; the next C goes on to tf.
        XCTAssertEqual(app.state.spec.convention, .onnx, app.state.message)
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertTrue(screen(app, term).contains("onnxruntime writes zeros into Y"), screen(app, term))
        XCTAssertEqual(try allFrames(app)[3].outputRow(1)?.allSatisfy { $0 == 0 }, true)
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .tf, app.state.message)
        XCTAssertTrue(screen(app, term).contains("masked: mask[1, 3] = False → the cell computes, but its state"), screen(app, term))
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .keras, app.state.message)
        // The mask went along each time.
        XCTAssertEqual(app.state.stepMask?.prefixLengths, [6, 2, 4])
    }

    func testAHoleIsRefusedByTheFrameworksWithLengthsOnly() throws {
        let (app, _) = try app("keras_mask_hole_lstm")
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .keras)
        XCTAssertTrue(app.state.message.contains("convention torch: example 0's mask is not a prefix (masked steps 2, 4, 5)"), app.state.message)
        XCTAssertTrue(app.state.message.hasSuffix("(C again: onnx)"), app.state.message)
    }

    func testViewSixShowsKerasSkippingThePaddingAndTheOthersRunningIt() throws {
        let (app, term) = try app("keras_mask_pre_gru")
        press(app, .down, .char("6"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("Mask effects"), text)
        // The view's lines as drawn (wrapped in the pane), each whole.
        let e = try XCTUnwrap((app.model.session as? Session<Float>)?.experiment)
        let d = try XCTUnwrap(try e.paddingDiagnosis())
        let flat = MaskCompareView.lines(d, example: 1, maxTime: 6).map(\.text).joined(separator: "\n")
        XCTAssertTrue(text.contains("│example 1: masked t=0..2, valid t=3..5;"), text)
        XCTAssertTrue(text.contains("│keras: with the mask (the reference): skips t=0..2"), text)
        XCTAssertTrue(flat.contains("example 1: masked t=0..2, valid t=3..5"), flat)
        XCTAssertTrue(flat.contains("keras: with the mask (the reference): skips t=0..2"), flat)
        XCTAssertTrue(flat.contains("run the padding t=0..2 first; outputs wrong from t=0"), flat)
        // The numbers are the padding doctor's (what unroll compare prints).
        let tf = try XCTUnwrap(d.entries.first { $0.convention == .tf && $0.variant == .lengths })
        XCTAssertEqual(tf.firstWrongStep[1], 0)
        XCTAssertTrue(flat.contains("max |diff| \(MaskCompareView.number(tf.outputDifference[1]))"), flat)
        // Keras' own output for the pre-padded row: zeros before its first valid step.
        let frames = try allFrames(app)
        for t in 0..<3 { XCTAssertEqual(frames[t].outputRow(1)?.allSatisfy { $0 == 0 }, true) }
        XCTAssertEqual(frames[3].outputRow(1)?.allSatisfy { $0 == 0 }, false)
    }
}

/// An edited mask and edited sizes are saved with the experiment (`w`) and come back as they were.
final class MaskSaveTests: ExplorerAppTestCase {
    func testAnEditedMaskAndSizesAreSavedAndReadBack() throws {
        let terminal = MemoryTerminal(width: 80, height: 24, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true))
        let model = try ExplorerModel.load(path: MaskExplorerTests.masks.appendingPathComponent("keras_mask_hole_lstm.json").path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: terminal, model: model, clock: clock)
        focus(app, .sequences)
        press(app, .char("j"), .char("l"), .char("l"), .char("m"), .char("p"))
        press(app, .char("s"), .ctrl("u"))
        for ch in "4 9 3" { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-masksave-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("edited.json").path
        _ = try app.model.save(to: path)
        let reloaded = try ExplorerModel.load(path: path)
        XCTAssertTrue(reloaded.session.waitUntilComplete(timeout: 30))
        XCTAssertEqual(reloaded.session.stepMask, app.model.session.stepMask)
        XCTAssertNotNil(reloaded.session.stepMask)
        XCTAssertEqual(try reloaded.session.inputsArray().asDoubles(), try app.model.session.inputsArray().asDoubles())
        XCTAssertEqual(try reloaded.session.frames(.forward, 0..<9).map { $0.output.scalars },
                       try app.model.session.frames(.forward, 0..<9).map { $0.output.scalars })
    }

    func testSizesBeyondTheMemoryBudgetAreRefusedInOneLine() throws {
        let (app, _) = try sampleApp("basic_rnn.json")
        focus(app, .sequences)
        let before = app.state.spec
        press(app, .char("s"), .ctrl("u"))
        for ch in "100000 100000 100000" { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertTrue(app.state.messageIsError, app.state.message)
        XCTAssertFalse(app.state.message.contains("\n"))
        XCTAssertTrue(app.state.message.contains("more than the"), app.state.message)
        XCTAssertEqual(app.state.spec, before)
        press(app, .char("s"), .ctrl("u"))
        for ch in "3 x" { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertTrue(app.state.message.hasPrefix("refused: type three whole numbers"), app.state.message)
    }
}

/// `L` keeps the mask: weights loaded into a masked experiment run under the same mask.
final class MaskLoadWeightsTests: ExplorerAppTestCase {
    func testLoadingWeightsKeepsTheMask() throws {
        let terminal = MemoryTerminal(width: 80, height: 24, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true))
        let url = MaskExplorerTests.masks.appendingPathComponent("keras_mask_hole_lstm.json")
        let model = try ExplorerModel.load(path: url.path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: terminal, model: model, clock: clock)
        let mask = app.model.session.stepMask
        let outputs = try allFrames(app).map { $0.output.scalars }
        press(app, .char("L"))
        for ch in url.deletingPathExtension().appendingPathExtension("npz").path { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertNotNil(mask)
        XCTAssertEqual(app.model.session.stepMask, mask)
        XCTAssertEqual(app.state.stepMask, mask)
        XCTAssertEqual(try allFrames(app).map { $0.output.scalars }, outputs)
    }
}
