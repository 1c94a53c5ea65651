import TestSupport
import Foundation
import XCTest

/// Issue 19, defect 10: the docs' commands run as written: every `unroll run` example names its `--output`, the
/// command-line page says how to get `unroll` on the PATH, and `unroll shapes` lists a given initial state.
final class DocsCommandsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func docs() throws -> [(String, String)] {
        let dir = Self.root.appendingPathComponent("docs")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".md") }.sorted()
        return try (names.map { ("docs/" + $0, try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) })
            + [("README.md", try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8))]
    }

    func testEveryRunExampleNamesItsOutput() throws {
        var examples = 0
        for (name, text) in try docs() {
            // `unroll run X.json ...` in backticks, or a line of a code block.
            let pattern = try NSRegularExpression(pattern: #"(?:`|^\$? ?)unroll run ([^`\n]*\.json[^`\n]*)"#, options: [.anchorsMatchLines])
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let r = Range(m.range(at: 1), in: text) else { continue }
                examples += 1
                XCTAssertTrue(text[r].contains("--output"), "\(name): `unroll run \(text[r])` exits 64 without --output")
            }
        }
        XCTAssertGreaterThan(examples, 1)
    }

    func testTheCommandLinePageSaysHowToPutUnrollOnThePath() throws {
        let page = try XCTUnwrap(try docs().first { $0.0 == "docs/command-line.md" }?.1)
        let intro = page.components(separatedBy: "unroll run EXPERIMENT.json")[0]
        XCTAssertTrue(intro.contains("swift build -c release"), intro)
        XCTAssertTrue(intro.contains(".build/release"), intro)
        XCTAssertTrue(intro.contains("swift run unroll"), intro)
        // And the binary is where the page says after a build (the debug one here: the same product).
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.root.appendingPathComponent(".build/debug/unroll").path))
    }

    func testShapesListsTheInitialState() throws {
        let r = try BinaryRunner.run(["shapes", Self.root.appendingPathComponent("samples/masking_demo.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        XCTAssertTrue(lines.contains("initial_state/c [4, 4]"), r.stdout)
        XCTAssertTrue(lines.contains("initial_state/h [4, 4]"), r.stdout)
        let plain = try BinaryRunner.run(["shapes", Self.root.appendingPathComponent("samples/basic_rnn.json").path])
        XCTAssertFalse(plain.stdout.contains("initial_state"), plain.stdout)
    }
}
