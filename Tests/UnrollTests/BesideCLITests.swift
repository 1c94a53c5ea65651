import Foundation
import TestSupport
import XCTest

/// `unroll A.json --beside B.json` refuses a second file it cannot load before touching the terminal: one line
/// naming the file, exit 1.
final class BesideCLITests: XCTestCase {
    func testBesideAFileThatCannotBeLoadedIsOneErrorLine() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let a = root.appendingPathComponent("samples/gradients/vanishing_rnn.json").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-beside-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("absent.json").path
        var r = try BinaryRunner.run([a, "--beside", missing])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains("absent.json"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        // A directory is not a regular file: refused the same way.
        r = try BinaryRunner.run([a, "--beside", dir.path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains(dir.lastPathComponent), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
    }
}
