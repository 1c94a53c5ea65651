import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Regressions for the defects a new user found (issue 9), each driven through the app as a user would.
final class UsabilityTests: ExplorerAppTestCase {
    // 1. A refused move leaves the selection where it was.
    func testRefusedMoveKeepsTheSelectedLayer() throws {
        let (app, _) = try makeApp()
        focus(app, .stack)
        press(app, .char("j"), .char("+"), .char("+"), .char("R"))
        XCTAssertEqual(app.state.spec.cell.layers[1], .residual(.gru(numUnits: 6, activation: .tanh)))
        XCTAssertEqual(app.state.layer, 1)
        press(app, .char("K"))
        XCTAssertTrue(app.state.messageIsError, app.state.message)
        XCTAssertTrue(app.state.message.contains("differ"), app.state.message)
        XCTAssertEqual(app.state.layer, 1, "a refused move must not move the cursor")
        press(app, .char("J"))  // already last: refused by the editor
        XCTAssertEqual(app.state.layer, 1)
        // A move that runs moves the selection with the layer.
        press(app, .char("R"), .char("K"))
        XCTAssertFalse(app.state.messageIsError, app.state.message)
        XCTAssertEqual(app.state.layer, 0)
        XCTAssertEqual(app.state.spec.cell.layers[0], .gru(numUnits: 6, activation: .tanh))
    }

    // 2. After edits the title, the saved file and the default file names describe the stack as it is.
    func testTitleAndSavedTextsFollowEdits() throws {
        let (app, term) = try makeApp(width: 120, height: 40)
        focus(app, .stack)
        press(app, .char("a"))
        XCTAssertEqual(app.state.spec.cell.layers.count, 3)
        let title = screen(app, term).split(separator: "\n")[0]
        XCTAssertFalse(title.contains("2-layer"), String(title))
        XCTAssertFalse(title.contains("[9, 5, 2, 0] masks"), String(title))
        XCTAssertTrue(title.contains("edited"), String(title))
        XCTAssertTrue(title.contains("lstm(6)"), String(title))
        press(app, .char("w"))
        let name = app.state.prompt?.text ?? ""
        XCTAssertFalse(name.contains("2-layer"), name)
        XCTAssertTrue(name.contains("lstm(6)-lstm(6)-gru(4)") || name.contains("lstm_6_-lstm_6_-gru_4"), name)
        press(app, .escape, .char("x"))
        XCTAssertFalse((app.state.prompt?.text ?? "").contains("2-layer"))
        press(app, .escape)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-defect2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("three.json")
        _ = try app.model.save(to: file.path)
        let saved = try ExperimentLoader.readSpec(file)
        XCTAssertFalse(saved.description.contains("2-layer") || saved.description.contains("LSTMCell(6), GRUCell(4)]"), saved.description)
        XCTAssertFalse(saved.name.contains("2-layer"), saved.name)
        XCTAssertTrue(saved.description.contains("lstm(6)"), saved.description)
        // Undoing the edit brings the original texts back.
        press(app, .char("u"))
        XCTAssertTrue(screen(app, term).split(separator: "\n")[0].contains("2-layer LSTM"))
    }

    // 5. Unfocused borders stay visible with 8 colours (bright black is not drawn as black).
    func testBordersVisibleWithEightColours() throws {
        XCTAssertEqual(Color.brightBlack.degraded(to: .basic8), .default)
        XCTAssertEqual(Styles.border.degraded(to: .basic8).fg, .default)
        XCTAssertNotEqual(Styles.border.degraded(to: .basic8).fg, .black)
    }

    // 6. Lengths as TF takes them; `n` keeps custom lengths; `none` says it is for the whole batch; no collisions.
    func testSequenceRowsKeepTheirColumnsWithWideLengths() throws {
        var spec = DefaultExperiment.spec
        spec.sequenceLength = [2, -1, 10, 123]
        let (app, term) = try makeApp(width: 100, height: 30, spec: spec)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("len  -1"), text)
        XCTAssertTrue(text.contains("len 123"), text)
        XCTAssertFalse(text.contains("len -1·"), text)
    }

    // 7. Long messages can be read in full, and errors name a path once.
    func testLongMessagesOpenInTheLogAndPathsAppearOnce() throws {
        let (app, term) = try makeApp()
        let path = "/nonexistent-dir-\(UUID().uuidString)/a-rather-long-file-name-for-the-export.npz"
        press(app, .char("x"), .ctrl("u"))
        for ch in path { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertTrue(app.state.messageIsError)
        XCTAssertEqual(app.state.message.components(separatedBy: path).count - 1, 1, app.state.message)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("(M: full message)"), text)
        press(app, .char("M"))
        let log = screen(app, term)
        XCTAssertTrue(log.contains("Messages"), log)
        XCTAssertTrue(log.contains("the-export.npz"), log)
        press(app, .escape)
        XCTAssertFalse(screen(app, term).contains("Messages (Esc closes)"))
    }

    // 9. Undo/redo of edits, confirmation before overwriting, a typed num_proj that TF's rules keep.
    func testUndoRedoAndNoSilentOverwrite() throws {
        let (app, term) = try makeApp(width: 100, height: 30)
        focus(app, .stack)
        let original = app.state.spec.cell
        press(app, .delete)
        XCTAssertEqual(app.state.spec.cell.layers.count, 1)
        press(app, .char("u"))
        XCTAssertEqual(app.state.spec.cell, original)
        press(app, .ctrl("r"))
        XCTAssertEqual(app.state.spec.cell.layers.count, 1)
        press(app, .char("u"))
        XCTAssertEqual(app.state.spec.cell, original)
        press(app, .char("u"))
        XCTAssertEqual(app.state.message, "nothing to undo")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-defect9-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("keep.json")
        try Data("precious".utf8).write(to: file)
        press(app, .char("w"), .ctrl("u"))
        for ch in file.path { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertNotNil(app.state.confirmation)
        XCTAssertTrue(screen(app, term).contains("exists: overwrite it?"))
        press(app, .char("n"))
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "precious")
        press(app, .char("w"), .ctrl("u"))
        for ch in file.path { press(app, .char(ch)) }
        press(app, .enter, .char("y"))
        XCTAssertNotEqual(try String(contentsOf: file, encoding: .utf8), "precious")

        // num_proj is typed, and kept when num_units drops below it (TF allows any num_proj).
        press(app, .char("k"))
        XCTAssertEqual(app.state.layer, 0)
        press(app, .char("P"))
        XCTAssertEqual(app.state.prompt?.kind, .numProj)
        press(app, .ctrl("u"), .char("5"), .enter)
        XCTAssertEqual(StackEditor.numProj(app.state.spec.cell.layers[0]), 5)
        press(app, .enter, .ctrl("u"), .char("3"), .enter)
        XCTAssertEqual(app.state.spec.cell.layers[0].numUnits, 3)
        XCTAssertEqual(StackEditor.numProj(app.state.spec.cell.layers[0]), 5)
        press(app, .char("P"), .ctrl("u"), .enter)
        XCTAssertNil(StackEditor.numProj(app.state.spec.cell.layers[0]))
        // `u` is undo, not a hidden num_units prompt.
        press(app, .char("u"))
        XCTAssertNil(app.state.prompt)
        XCTAssertEqual(StackEditor.numProj(app.state.spec.cell.layers[0]), 5)
    }

    // 10. The help explains z and (z), and without colour it explains the characters, not "blue < 0 < red".
    func testHelpExplainsScaleAndLegendForTheColourMode() throws {
        let (app, term) = try makeApp(width: 100, height: 60, colorMode: .none)
        press(app, .char("?"))
        var text = screen(app, term)
        XCTAssertTrue(text.contains("more"), "the help says it has more rows:\n\(text)")
        XCTAssertTrue(text.contains("(z)"), text)
        press(app, .pageDown, .pageDown, .pageDown, .pageDown, .pageDown)
        text = screen(app, term)
        XCTAssertTrue(text.contains("no colour"), text)
        XCTAssertFalse(text.contains("blue"), text)
        let (colour, cterm) = try makeApp(width: 100, height: 60)
        press(colour, .char("?"), .pageDown, .pageDown, .pageDown, .pageDown, .pageDown)
        XCTAssertTrue(screen(colour, cterm).contains("blue < 0 < red"))
    }

    // 12. Play speed keys, and Space at the end plays again from the start.
    func testPlaySpeedAndReplayAtTheEnd() throws {
        let (app, _) = try makeApp()
        let slow = app.playInterval
        press(app, .char("}"), .char("}"))
        XCTAssertLessThan(app.playInterval, slow)
        press(app, .char("{"), .char("{"), .char("{"))
        XCTAssertGreaterThan(app.playInterval, slow)
        press(app, .char("G"), .char(" "))
        XCTAssertTrue(app.state.playing)
        XCTAssertEqual(app.state.t, 0)
        // Playing to the end stops there; Space then starts again from t=0.
        press(app, .char("G"))
        app.tick()
        XCTAssertFalse(app.state.playing)
        press(app, .char(" "))
        XCTAssertTrue(app.state.playing)
        XCTAssertEqual(app.state.t, 0)
    }

    // Drawing is pure: drawing twice draws the same and changes no state.
    func testDrawingChangesNoState() throws {
        let (app, term) = try makeApp(width: 60, height: 18)
        press(app, .char("G"))
        let before = app.state
        let a = screen(app, term)
        let b = screen(app, term)
        XCTAssertEqual(a, b)
        XCTAssertEqual(app.state, before)
    }
}

/// Defects 3, 4, 8 and 13: what the Frame pane says and shows.
final class FramePaneTests: ExplorerAppTestCase {
    func rows(_ text: String, _ label: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains(label) }
    }

    /// The numbers after a row label, as printed.
    func values(_ text: String, _ label: String) -> [String] {
        guard let line = rows(text, label).first, let r = line.range(of: label) else { return [] }
        return line[r.upperBound...].split(separator: " ").map(String.init).filter { Double($0) != nil }
    }

    // 3. Inside a stack at a masked step: every layer computes, layer 0's computed output feeds layer 1, only the
    // emitted output is zero, every state is copied through.
    func testMaskingIsExplainedPerLayer() throws {
        let (app, term) = try makeApp(width: 200, height: 50)
        press(app, .char("j"))  // example 1, length 5
        for _ in 0..<6 { press(app, .char("l")) }
        var text = screen(app, term)
        XCTAssertTrue(text.contains("layer 0 still computes and its computed output feeds layer 1 (not zeroed)"), text)
        XCTAssertFalse(text.contains("output zeroed"), text)
        let computed = values(text, "h computed"), fed = values(text, "out to layer 1")
        XCTAssertEqual(computed.count, 6)
        XCTAssertEqual(computed, fed, "layer 0 passes its computed output up, not zeros")
        XCTAssertFalse(fed.allSatisfy { Double($0) == 0 }, text)
        XCTAssertNotEqual(values(text, "h after =copy"), computed)
        // The heatmap readout no longer calls the copied state the emitted output.
        XCTAssertFalse(text.contains("(masked: copied through)"), text)
        XCTAssertTrue(text.contains("(masked: state copied, output to layer 1)"), text)
        press(app, .char("]"))
        text = screen(app, term)
        XCTAssertTrue(text.contains("layer 1 computes from layer 0's computed output"), text)
        XCTAssertTrue(text.contains("the stack's emitted output is 0"), text)
        XCTAssertEqual(values(text, "emitted =0"), ["0.000", "0.000", "0.000", "0.000"])
        XCTAssertFalse(values(text, "out computed").allSatisfy { Double($0) == 0 }, text)
        // The masking rule is the engine's: the frame agrees with UnrolledLoop.isMasked.
        XCTAssertTrue(app.model.session.isMasked(.forward, row: 1, time: 6))
        XCTAssertFalse(app.model.session.isMasked(.forward, row: 1, time: 4))
    }

    // 4. At 80x24 the whole LSTM frame is readable; panes that hide rows say so.
    func testSmallScreensSayWhatIsHidden() throws {
        let (app, term) = try makeApp(width: 80, height: 24)
        press(app, .char("j"))
        for _ in 0..<5 { press(app, .char("l")) }
        var text = screen(app, term)
        for needle in ["c before", "h before", "i input gate", "f forget gate", "o output gate", "h computed", "h after =copy", "out to layer 1"] {
            XCTAssertTrue(text.contains(needle), "missing \(needle) at 80x24:\n\(text)")
        }
        XCTAssertTrue(text.contains("more"), "the Shapes pane hides rows and must say so:\n\(text)")
        term.resize(width: 60, height: 18)
        XCTAssertTrue(app.handle(.resize))
        text = screen(app, term)
        XCTAssertTrue(text.contains("↓ 2 more") || text.contains("↓ 3 more"), "Sequences shows 1 or 2 of 4 examples and must say so:\n\(text)")
        // The frame scrolls (J) when it does not fit, and says how much is below.
        XCTAssertTrue(text.contains("more"), text)
        press(app, .char("J"), .char("J"))
        XCTAssertEqual(app.state.frameScroll, 2)
        XCTAssertTrue(screen(app, term).contains("↑ 2 more"), term.screenText)
    }

    // 8. Rows in compute order, labels that say what they hold, values before a clip and where it bound.
    func testLSTMWithClipAndProjectionShowsRowsInComputeOrder() throws {
        var opts = LSTMOptions(usePeepholes: true, cellClip: 0.2, numProj: 3, projClip: 0.05)
        opts.forgetBias = 1
        let spec = ExperimentSpec(name: "clip", cell: .lstm(numUnits: 4, options: opts), batchSize: 2, maxTime: 4, inputDepth: 3,
                                  seed: 2, inputScale: 4)
        let (app, term) = try makeApp(width: 120, height: 40, spec: spec)
        press(app, .char("l"), .char("l"))
        let text = screen(app, term)
        let order = ["c before", "h before", "i input gate", "j candidate", "f forget gate", "c before clip", "c = clip(c)",
                     "o output gate", "m = o*act(c)", "m*P before clip", "h = clip(m*P)", "emitted"]
        var last = -1
        for label in order {
            guard let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(where: { $0.contains(label) }) else {
                return XCTFail("missing \(label):\n\(text)")
            }
            XCTAssertGreaterThan(line, last, "\(label) out of compute order:\n\(text)")
            last = line
        }
        XCTAssertTrue(text.contains("!"), "the clip binds with inputs of scale 4 and must be marked:\n\(text)")
        XCTAssertTrue(text.contains("! = the clip bound"), text)
    }

    func testGRULabelsDoNotRunIntoNumbersAndWrappersSayWhatTheyHold() throws {
        let spec = ExperimentSpec(name: "w", cell: .multi([.residual(.gru(numUnits: 3, activation: .tanh)),
                                                           .dropout(.basicRNN(numUnits: 3, activation: .tanh), DropoutOptions(outputKeepProb: 0.5, seed: 1))]),
                                  batchSize: 2, maxTime: 3, inputDepth: 3, seed: 1)
        let (app, term) = try makeApp(width: 100, height: 40, spec: spec)
        var text = screen(app, term)
        XCTAssertTrue(text.contains("inner output"), text)
        XCTAssertTrue(text.contains("out = inner + x"), text)
        XCTAssertFalse(text.contains("output (cell)"), text)
        for line in text.split(separator: "\n") where line.contains("h before") || line.contains("u update gate") {
            XCTAssertNil(line.range(of: #"[a-z)][+-]\d"#, options: .regularExpression), "label runs into a number: \(line)")
        }
        press(app, .char("]"))
        text = screen(app, term)
        XCTAssertTrue(text.contains("out after drop"), text)
        XCTAssertFalse(text.contains("-0.000"), text)
        XCTAssertTrue(text.contains("x_t [3] = ("), text)
    }

    // 13. The backward pass says which input step it reads and where its output lands.
    func testBackwardFrameShowsTheReversedMapping() throws {
        let spec = ExperimentSpec(name: "bi", cell: .lstm(numUnits: 3, options: LSTMOptions()),
                                  cellBackward: .gru(numUnits: 2, activation: .tanh), bidirectional: true,
                                  sequenceLength: [5, 4, 3], batchSize: 3, maxTime: 5, inputDepth: 2, seed: 1)
        let (app, term) = try makeApp(width: 120, height: 40, spec: spec)
        press(app, .char("d"), .char("j"))
        var text = screen(app, term)
        XCTAssertTrue(text.contains("bw step t=0 of example 1 reads x[1, 3] and writes outputs/1[1, 3]"), text)
        press(app, .char("G"))  // t=4 is past example 1's length 4: left in place
        text = screen(app, term)
        XCTAssertTrue(text.contains("reads x[1, 4] and writes outputs/1[1, 4]"), text)
    }
}

/// Defect 14: the frame export follows the experiment's layout, holds computed and emitted values, and has no
/// spaces in its names.
final class FrameExportTests: ExplorerAppTestCase {
    func testExportHoldsComputedAndKeptStatesWithCleanNames() throws {
        let spec = ExperimentSpec(name: "ex", cell: .multi([.residual(.gru(numUnits: 3, activation: .tanh)), .lstm(numUnits: 2, options: LSTMOptions())]),
                                  timeMajor: true, sequenceLength: [3, 1], batchSize: 2, maxTime: 3, inputDepth: 3, seed: 1)
        let model = try ExplorerModel.make(spec: spec, file: nil, baseDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("f.npz")
        let note = try Export.write(session: model.session, to: path.path)
        XCTAssertTrue(note.contains("[time, batch, ...]"), note)
        let arrays = try Npz.read(path)
        XCTAssertFalse(arrays.keys.contains { $0.contains(" ") }, "\(arrays.keys.sorted())")
        XCTAssertNotNil(arrays["frames/gates/cell_output/layer0"], "\(arrays.keys.sorted())")
        XCTAssertEqual(arrays["frames/h/layer0"]?.shape, [3, 2, 3])  // time-major, as the experiment
        let kept = try XCTUnwrap(arrays["frames/h/layer0"]).asDoubles()
        let computed = try XCTUnwrap(arrays["frames/computed/h/layer0"]).asDoubles()
        let passed = try XCTUnwrap(arrays["frames/layer_output/layer0"]).asDoubles()
        let emitted = try XCTUnwrap(arrays["frames/output"]).asDoubles()
        XCTAssertNotNil(arrays["frames/terms/f_pre/layer1"])
        // Example 1 (length 1) at t=2: kept state = the one after t=0 (copied through), computed differs,
        // the layer's output still went up (not 0), the emitted output is 0.
        let at = { (t: Int, b: Int, k: Int, w: Int) in (t * 2 + b) * w + k }
        XCTAssertEqual(kept[at(2, 1, 0, 3)], kept[at(0, 1, 0, 3)])
        XCTAssertNotEqual(computed[at(2, 1, 0, 3)], kept[at(2, 1, 0, 3)])
        XCTAssertNotEqual(passed[at(2, 1, 0, 3)], 0)
        XCTAssertEqual(emitted[at(2, 1, 0, 2)], 0)
        XCTAssertEqual(emitted[at(2, 1, 1, 2)], 0)
        // For a running row the computed and kept states are the same.
        XCTAssertEqual(computed[at(2, 0, 1, 3)], kept[at(2, 0, 1, 3)])
    }
}

/// Defect 15: path prompts complete with Tab.
final class PathCompletionTests: ExplorerAppTestCase {
    func testCompletionFromAListing() {
        let listing: (String) -> [String]? = { dir in
            switch dir {
            case ".": return ["samples/", "README.md", ".hidden"]
            case "samples/": return ["gru.json", "gru.npz", "basic_rnn.json", "scale/"]
            default: return nil
            }
        }
        XCTAssertEqual(PathCompletion.complete("sa", listing: listing).text, "samples/")
        XCTAssertEqual(PathCompletion.complete("samples/g", listing: listing).text, "samples/gru.")
        XCTAssertEqual(PathCompletion.complete("samples/g", listing: listing).candidates, ["gru.json", "gru.npz"])
        XCTAssertEqual(PathCompletion.complete("samples/b", listing: listing).text, "samples/basic_rnn.json")
        XCTAssertEqual(PathCompletion.complete("samples/sc", listing: listing).text, "samples/scale/")
        XCTAssertEqual(PathCompletion.complete("nope/x", listing: listing).text, "nope/x")
        XCTAssertEqual(PathCompletion.complete("", listing: listing).candidates, ["README.md", "samples/"])
    }

    func testTabInTheOpenPrompt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-tab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("inner"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: dir.appendingPathComponent("inner/only.json"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let (app, term) = try makeApp()
        press(app, .char("o"))
        for ch in dir.path + "/in" { press(app, .char(ch)) }
        press(app, .tab)
        XCTAssertEqual(app.state.prompt?.text, dir.path + "/inner/")
        press(app, .tab)
        XCTAssertEqual(app.state.prompt?.text, dir.path + "/inner/only.json")
        XCTAssertTrue(screen(app, term).contains("only.json"))
        press(app, .escape)
    }
}

/// Defect 11: opening an experiment loads in the background, with a message, and the app keeps answering keys.
final class BackgroundOpenTests: ExplorerAppTestCase {
    func testOpenLoadsInTheBackground() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-open-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A large BasicRNN: creating its weights from the seed takes a while.
        let file = dir.appendingPathComponent("big.json")
        try Data(#"{"name": "big", "cell": {"type": "basic_rnn", "num_units": 1000}, "batch_size": 1, "max_time": 3, "input_depth": 1000}"#.utf8).write(to: file)
        let (app, term) = try makeApp()
        XCTAssertTrue(app.handle(.char("o")))
        for ch in file.path { XCTAssertTrue(app.handle(.char(ch))) }
        let started = Date()
        XCTAssertTrue(app.handle(.enter))
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "Enter must not wait for the load")
        XCTAssertTrue(app.state.message.contains("opening"), app.state.message)
        XCTAssertTrue(screen(app, term).contains("opening"))
        // Keys still work while it loads.
        XCTAssertTrue(app.handle(.char("l")))
        settle(app, timeout: 60)
        XCTAssertFalse(app.isOpening)
        XCTAssertEqual(app.model.file, file.path)
        XCTAssertEqual(app.state.spec.name, "big")
        // A bad file says why, and the current experiment stays.
        XCTAssertTrue(app.handle(.char("o")))
        for ch in dir.path { XCTAssertTrue(app.handle(.char(ch))) }
        XCTAssertTrue(app.handle(.enter))
        settle(app, timeout: 60)
        XCTAssertTrue(app.state.message.contains("is a directory"), app.state.message)
        XCTAssertEqual(app.state.spec.name, "big")
    }
}
