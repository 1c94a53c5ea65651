import XCTest
@testable import Explorer
import TerminalUI

/// The README's capture of the explorer is the screen the explorer draws, cell for cell (trailing blanks aside).
final class ReadmeSnapshotTests: ExplorerAppTestCase {
    func testReadmeCaptureMatchesTheScreen() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let intro = try XCTUnwrap(readme.range(of: "`unroll` with no file opens a built-in"))
        let open = try XCTUnwrap(readme.range(of: "```\n", range: intro.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "\n```", range: open.upperBound..<readme.endIndex))
        let capture = readme[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
        let (app, term) = try makeApp(width: 100, height: 32)
        press(app, .char("j"))
        for _ in 0..<5 { press(app, .char("l")) }
        let lines = screen(app, term).split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
        XCTAssertEqual(capture.count, 32)
        for (i, (a, b)) in zip(capture, lines).enumerated() {
            XCTAssertEqual(a, b, "README capture line \(i + 1) differs from the screen")
        }
    }
}
