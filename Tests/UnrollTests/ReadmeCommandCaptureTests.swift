import Foundation
import TestSupport
import XCTest

/// The README's captures of `unroll compare` (the padding doctor) and `unroll shapes` on an .onnx file are what the
/// commands print: each block's `$ unroll ...` line is run (its `../shared/...` paths resolved from the repository,
/// as the README's reader runs them) and every line of the block after it (a `...` line skips what it stands for)
/// must be a line of the output, in order.
final class ReadmeCommandCaptureTests: XCTestCase {
    func testMaskAndONNXCapturesAreWhatTheCommandsPrint() throws {
        let readme = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.range(of: "### Masks and ONNX")).upperBound
        let rest = readme[section...]
        let end = rest.range(of: "\n### ")?.lowerBound ?? rest.endIndex
        let blocks = rest[..<end].components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        XCTAssertEqual(blocks.count, 2, "two captures")
        for block in blocks {
            let lines = block.split(separator: "\n").map(String.init)
            let command = try XCTUnwrap(lines.first, "a block opens with its command")
            XCTAssertTrue(command.hasPrefix("$ unroll "), command)
            let arguments = command.dropFirst("$ unroll ".count).split(separator: " ").map { word -> String in
                word.hasPrefix("../shared/") ? RepositoryPaths.root.appendingPathComponent(String(word)).standardizedFileURL.path : String(word)
            }
            let run = try BinaryRunner.run(arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            let output = run.stdout.split(separator: "\n").map { String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression) }
            var next = 0
            for line in lines.dropFirst() where line != "..." {
                let expected = line.replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
                guard let found = output[next...].firstIndex(of: expected) else {
                    XCTFail("README capture of `\(command)`: \"\(expected)\" is not in the output (after line \(next)):\n\(run.stdout)")
                    break
                }
                next = found + 1
            }
        }
    }
}
