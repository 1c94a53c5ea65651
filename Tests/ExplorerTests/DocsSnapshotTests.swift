import XCTest
@testable import Explorer
import TerminalUI

/// docs/explorer.md's capture of a masked experiment is the screen the explorer draws, cell for cell (trailing blanks
/// aside).
final class DocsSnapshotTests: ExplorerAppTestCase {
    func testMaskCaptureMatchesTheScreen() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/explorer.md"), encoding: .utf8)
        let intro = try XCTUnwrap(doc.range(of: "after `Tab Tab Tab j l l l l m`"))
        let open = try XCTUnwrap(doc.range(of: "```\n", range: intro.upperBound..<doc.endIndex))
        let close = try XCTUnwrap(doc.range(of: "\n```", range: open.upperBound..<doc.endIndex))
        let capture = doc[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
        let terminal = MemoryTerminal(width: 100, height: 32, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true))
        let model = try ExplorerModel.load(path: MaskExplorerTests.masks.appendingPathComponent("keras_mask_hole_lstm.json").path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: terminal, model: model, clock: clock)
        press(app, .tab, .tab, .tab, .char("j"), .char("l"), .char("l"), .char("l"), .char("l"), .char("m"))
        let lines = screen(app, terminal).split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
        XCTAssertEqual(capture.count, 32)
        for (i, (a, b)) in zip(capture, lines).enumerated() {
            XCTAssertEqual(a, b, "docs/explorer.md capture line \(i + 1) differs from the screen")
        }
    }
}
