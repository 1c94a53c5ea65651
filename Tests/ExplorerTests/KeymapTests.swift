import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// The keymap is one table: key handling, the key bar, the help and the README all come from it.
final class KeymapTests: XCTestCase {
    /// No key means two things in one place (a pane's own binding may shadow a global one, on purpose).
    func testNoKeyIsBoundTwiceInOneScope() {
        var seen: [KeyScope: Set<Key>] = [:]
        for b in Keymap.bindings {
            for k in b.keys {
                XCTAssertFalse(seen[b.scope, default: []].contains(k), "\(k) bound twice in \(b.scope)")
                seen[b.scope, default: []].insert(k)
            }
        }
    }

    /// Every binding in the table does what the table says: its keys reach its action.
    func testEveryKeyReachesItsAction() {
        for b in Keymap.bindings {
            for k in b.keys {
                switch b.scope {
                case .global: XCTAssertEqual(Keymap.action(for: k, focus: .frame), b.action, "\(k) anywhere")
                case let .pane(p): XCTAssertEqual(Keymap.action(for: k, focus: p), b.action, "\(k) in \(p)")
                case .overlay, .prompt, .question: XCTAssertEqual(Keymap.action(for: k, in: b.scope), b.action, "\(k) in \(b.scope)")
                }
            }
        }
    }

    /// Every binding is in the help, with its keys.
    func testHelpListsEveryBinding() {
        let help = Keymap.helpLines(glyphs: .unicode).joined(separator: "\n")
        for b in Keymap.bindings {
            XCTAssertTrue(help.contains(b.help), "help lacks \(b.help)")
        }
        XCTAssertTrue(help.contains("z"), help)
        XCTAssertTrue(help.contains("(z)"), "the help must explain (z) in the heatmap title")
    }

    /// The README's key table is the generated one, word for word.
    func testReadmeKeyTableIsGenerated() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains(Keymap.markdownTable()),
                      "README.md's key table differs from Keymap.markdownTable(); replace it with:\n\(Keymap.markdownTable())")
    }

    /// The key bar shows hints from the table, the focused pane's own first; a binding disabled in the state is
    /// left out, and its key says why.
    func testKeyBarComesFromTheTable() {
        func state(_ focus: Pane, bidirectional: Bool = false) -> ExplorerState {
            var spec = DefaultExperiment.spec
            spec.bidirectional = bidirectional
            var s = ExplorerState(spec: spec, batchSize: 4, maxTime: 9, inputDepth: 3)
            s.focus = focus
            return s
        }
        let stack = Keymap.barHints(state(.stack), glyphs: .unicode)
        XCTAssertTrue(stack.contains { $0.hint == "add" && $0.keys == "a" })
        let seq = Keymap.barHints(state(.sequences), glyphs: .unicode)
        XCTAssertTrue(seq.contains { $0.hint == "length" && $0.keys == "+ -" })
        XCTAssertFalse(seq.contains { $0.hint == "add" })
        XCTAssertFalse(seq.contains { $0.hint == "fw/bw" })
        XCTAssertTrue(Keymap.barHints(state(.frame, bidirectional: true), glyphs: .unicode).contains { $0.hint == "fw/bw" })
        for h in stack {
            XCTAssertTrue(Keymap.bindings.contains { $0.hint == h.hint }, "hint \(h.hint) not in the table")
        }
        var s = state(.frame)
        XCTAssertEqual(KeyHandler.handle(.char("d"), state: &s), [])
        XCTAssertEqual(s.message, Keymap.disabledReason(.direction, in: s))
        XCTAssertEqual(s.direction, .forward)
        XCTAssertEqual(KeyHandler.handle(.char("b"), state: &s), [])
        XCTAssertEqual(s.message, "b picks what the backward view (5) differentiates")
        XCTAssertEqual(s.backward, BackwardSelection(), "outside the backward view b changes no loss")
    }

    /// Under a non-UTF-8 locale the keys are named in ASCII.
    func testASCIIKeyNames() {
        let lines = Keymap.helpLines(glyphs: .ascii)
        let keyColumns = lines.map { String($0.prefix(18)) }.joined()
        XCTAssertTrue(keyColumns.unicodeScalars.allSatisfy(\.isASCII), keyColumns)
        XCTAssertEqual(Keymap.name(of: .right, glyphs: .ascii), "Right")
    }
}
