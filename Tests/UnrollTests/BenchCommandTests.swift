import Foundation
import XCTest
import TestSupport

/// `unroll bench` runs and reports what it timed (no timing is asserted: the numbers depend on the machine).
final class BenchCommandTests: XCTestCase {
    private let small = ["--num-units", "4", "--layers", "2", "--batch-size", "2", "--max-time", "9", "--input-depth", "3", "--repeats", "1", "--json"]

    func testBackwardTimesForwardPlusGradients() throws {
        for cell in ["basic_rnn", "lstm", "gru"] {
            let r = try BinaryRunner.run(["bench", "--cell", cell, "--backward"] + small)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("\"backward\": true"), r.stdout)
            XCTAssertTrue(r.stdout.contains("\"cell\": \"\(cell)\""), r.stdout)
        }
        let forward = try BinaryRunner.run(["bench"] + small)
        XCTAssertTrue(forward.stdout.contains("\"backward\": false"), forward.stdout)
    }

    func testBackwardRefusesTheStepPath() throws {
        let r = try BinaryRunner.run(["bench", "--backward", "--step-path"] + small)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--backward and --step-path cannot be combined"), r.stderr)
    }
}
