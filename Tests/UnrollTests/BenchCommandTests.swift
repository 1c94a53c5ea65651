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

    /// Sizes whose products overflow `Int` (issue 21, item 4: 2^61 units trapped) are refused in one line, exit 1.
    func testSizesWhoseProductsOverflowAreRefusedInOneLine() throws {
        for (flag, value) in [("--num-units", "2305843009213693952"), ("--num-units", "\(Int.max)"), ("--input-depth", "\(Int.max)"),
                              ("--batch-size", "\(Int.max)"), ("--max-time", "\(Int.max / 2)"), ("--layers", "\(Int.max)")] {
            let r = try BinaryRunner.run(["bench", flag, value, "--repeats", "1"])
            XCTAssertEqual(r.status, 1, "\(flag) \(value): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("GB, more than half of this machine's memory"), r.stderr)
        }
    }
}
