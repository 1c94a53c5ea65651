import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Every text that names a key (messages, titles, hints, overlays, prompts, questions) takes the key from the
/// keymap table: no text names a key the table does not bind, and renaming a key in the table renames it in them.
final class KeyTextTests: ExplorerAppTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-keytext-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        Keymap.bindings = Keymap.standard
        try? FileManager.default.removeItem(at: dir)
    }

    /// The first key the table in use binds to `action` in `scope`.
    private func key(_ action: Action, _ scope: KeyScope = .global) -> Key {
        guard let k = Keymap.bindings.first(where: { $0.action == action && $0.scope == scope })?.keys.first else {
            XCTFail("no key for \(action) in \(scope)")
            return .resize
        }
        return k
    }

    /// A tour, pressing keys by action (so it works with a renamed table), that makes every text naming a key
    /// appear; returns each screen and every message on the way.
    private func tour(width: Int = 160, height: Int = 40, unicode: Bool = true) throws -> (screens: [String], messages: [String]) {
        let spec = ExperimentSpec(name: "tour", cell: .multi([.gru(numUnits: 3, activation: .tanh), .lstm(numUnits: 2, options: LSTMOptions())]),
                                  bidirectional: true, sequenceLength: [4, 0], batchSize: 2, maxTime: 4, inputDepth: 2, seed: 3)
        let (app, term) = try makeApp(width: width, height: height, unicode: unicode, spec: spec)
        var screens: [String] = [screen(app, term)]
        func type(_ keys: [Key]) {
            for k in keys { XCTAssertTrue(app.handle(k)) }
            settle(app)
            screens.append(screen(app, term))
        }
        func act(_ actions: Action..., in scope: KeyScope = .global) { type(actions.map { key($0, scope) }) }
        act(.help)                                          // the help: its title and bar
        act(.cancel, in: .overlay)
        act(.messageLog)                                    // the message log
        act(.cancel, in: .overlay)
        act(.faster, .slower, .heatmapScale, .heatmapScale, .lossNext, .direction, .direction)
        for v in ExplorerView.allCases { act(.view(v)) }
        act(.view(.compare))                                // the other convention (PyTorch refuses length 0)
        act(.down)                                          // example 1, of length 0
        act(.view(.backward))                               // no loss at length 0: another loss
        act(.lossNext, .play)                               // the final state's sweep, played to t=0
        for _ in 0..<10 where app.state.playing { clock.advance(by: app.playInterval + 1e-9); app.tick() }
        screens.append(screen(app, term))
        act(.view(.frame), .play, .last)
        app.tick()                                          // the end of the sequence
        act(.open)                                          // a path prompt: its bar
        act(.cancel, in: .prompt)
        focus(app, .stack)
        act(.typeUnits, in: .pane(.stack))                  // a num_units prompt
        act(.cancel, in: .prompt)
        act(.togglePeepholes, in: .pane(.stack))            // a GRU has no peepholes: the type key
        act(.unitsUp, in: .pane(.stack))                    // an edit: the undo key
        focus(app, .sequences)
        act(.toggleMasking, in: .pane(.sequences))          // the restore key
        let existing = dir.appendingPathComponent("exists.json")
        try Data("{}".utf8).write(to: existing)
        act(.save)
        act(.clearLine, in: .prompt)
        type(existing.path.map { .char($0) } + [key(.confirm, .prompt)])  // the overwrite question
        type([.char("n")])
        act(.conventionNext, .view(.backward))              // keras: the backward view names the convention key
        act(.open)
        type(Array(repeating: Key.char("x"), count: 300) + [key(.confirm, .prompt)])  // too long for the line: the log key
        return (screens, app.state.messageLog)
    }

    /// No text on any screen of the tour, nor any message, names a key the table does not bind.
    func testEveryKeyNamedInATextIsBound() throws {
        for unicode in [true, false] {
            let (screens, messages) = try tour(unicode: unicode)
            for text in screens + messages {
                XCTAssertFalse(text.contains(KeyNames.unbound), text)
            }
            XCTAssertTrue(messages.contains { $0.contains("(u undoes)") }, messages.joined(separator: "\n"))
        }
        let text = Layout.minimum.message(width: 10, height: 5)
        XCTAssertTrue(text.contains("(\(Keymap.names()(.quit)) quits)"), "the enlarge screen names the quit key: \(text)")
        XCTAssertEqual(Keymap.action(for: .char("q"), in: .global), .quit, "the enlarge screen's key quits")
    }

    /// Renaming keys in the table renames them in the messages, titles, bars, overlays, prompts and questions.
    func testRenamingAKeyInTheTableRenamesItInEveryText() throws {
        func rename(_ action: Action, in scope: KeyScope = .global, to keys: [Key]) {
            guard let i = Keymap.bindings.firstIndex(where: { $0.action == action && $0.scope == scope }) else { return XCTFail("\(action)") }
            Keymap.bindings[i].keys = keys
        }
        rename(.undo, to: [.char("U")])
        rename(.view(.compare), to: [.char("9")])
        rename(.heatmapScale, to: [.char("Z")])
        rename(.lossNext, to: [.char("B")])
        rename(.toggleMasking, in: .pane(.sequences), to: [.char("N")])
        rename(.messageLog, to: [.char("!")])
        rename(.cancel, in: .overlay, to: [.char("Q")])
        rename(.complete, in: .prompt, to: [.ctrl("t")])
        rename(.confirm, in: .question, to: [.char("k")])
        let (screens, messages) = try tour()
        let all = (screens + messages).joined(separator: "\n")
        for (renamed, old) in [("(U undoes)", "(u undoes)"), ("9 compare)", "6 compare)"), ("(9: the other one)", "(6: the other one)"),
                               ("(Z: fixed", "(z: fixed"), ("(B: another loss)", "(b: another loss)"), ("(B)", "(b)"),
                               ("(N restores", "(n restores"), ("Help (Q closes)", "Help (Esc closes)"),
                               ("Messages (Q closes)", "Messages (Esc closes)"), ("(k: yes, any other key: no)", "(y: yes")] {
            XCTAssertTrue(all.contains(renamed), "\(renamed) is not shown")
            XCTAssertFalse(all.contains(old), "\(old) is still shown")
        }
        XCTAssertTrue(all.contains(" ^T complete"), "the prompt's bar names the renamed key" + messages.joined(separator: "\n"))
        XCTAssertTrue(all.contains("(!: full message)"), all)
        let help = Keymap.helpLines(glyphs: .unicode).joined(separator: "\n")
        XCTAssertTrue(help.contains("delete the layer (U undoes)"), help)
        XCTAssertTrue(help.contains("(9 again: the other convention)"), help)
        XCTAssertTrue(help.contains("open an experiment or a model file (^T completes the path)"), help)
        XCTAssertTrue(help.contains("this help (Q closes;"), help)
        XCTAssertTrue(Keymap.barHints(ExplorerState(spec: DefaultExperiment.spec, batchSize: 4, maxTime: 9, inputDepth: 3), glyphs: .unicode).contains { $0.keys == "1-9" && $0.hint == "views" })
        // The keys themselves moved too: the old ones no longer do what the table took from them.
        XCTAssertEqual(Keymap.action(for: .char("U"), focus: .stack), .undo)
        XCTAssertNil(Keymap.action(for: .char("u"), focus: .stack))
    }
}
