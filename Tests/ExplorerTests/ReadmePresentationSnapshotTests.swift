import XCTest
@testable import Explorer
import TerminalUI

/// The README's capture of presentation mode is the screen the explorer draws, cell for cell (trailing blanks aside).
final class ReadmePresentationSnapshotTests: ExplorerAppTestCase {
    func testReadmePresentationCaptureMatchesTheScreen() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let intro = try XCTUnwrap(readme.range(of: "### Presentation mode and lessons"))
        let open = try XCTUnwrap(readme.range(of: "```\n", range: intro.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "\n```", range: open.upperBound..<readme.endIndex))
        func trimmed(_ text: Substring) -> [String] {
            text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
        }
        let capture = trimmed(readme[open.upperBound..<close.lowerBound])
        let (app, term) = try makeApp(width: 80, height: 24)
        press(app, .char("j"))
        for _ in 0..<5 { press(app, .char("l")) }
        press(app, .char("2"), .char("f"))
        let lines = trimmed(Substring(screen(app, term)))
        XCTAssertEqual(capture.count, 24)
        for (i, (a, b)) in zip(capture, lines).enumerated() {
            XCTAssertEqual(a, b, "README presentation capture line \(i + 1) differs from the screen")
        }
    }
}
