import TestSupport
import Foundation
import XCTest

/// Issue 19, defect 9: `unroll help compare` wraps its discussion as one paragraph, not broken mid-sentence.
final class HelpCompareTextTests: XCTestCase {
    func testDiscussionIsOneParagraph() throws {
        let r = try BinaryRunner.run(["help", "compare"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = r.stdout + r.stderr
        guard let start = text.range(of: "Prints the first step"), let end = text.range(of: "USAGE:") else { return XCTFail(text) }
        let paragraph = text[start.lowerBound..<end.lowerBound].split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        XCTAssertGreaterThan(paragraph.count, 1, text)
        for line in paragraph.dropLast() {
            XCTAssertGreaterThan(line.count, 60, "a line broken before the terminal's width:\n\(text)")
        }
    }
}
