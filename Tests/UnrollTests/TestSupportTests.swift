import Foundation
import TestSupport
import XCTest

/// The shared test helpers themselves: the process runner and the closeness test every suite relies on.
final class TestSupportTests: XCTestCase {
    func testRunnerReportsStatusOutputAndEnvironment() throws {
        let r = try ProcessRunner.run(["sh", "-c", "echo out $X; echo err >&2; exit 3"], environment: ["X": "given", "PATH": "/usr/bin:/bin"])
        XCTAssertEqual(r.status, 3)
        XCTAssertNil(r.signal)
        XCTAssertEqual(r.stdout, "out given\n")
        XCTAssertEqual(r.stderr, "err\n")
        XCTAssertFalse(r.timedOut)
    }

    func testRunnerReportsASignalAndKillsAfterTheTimeout() throws {
        let killed = try ProcessRunner.run(["sh", "-c", "kill -9 $$"])
        XCTAssertNil(killed.status)
        XCTAssertEqual(killed.signal, 9)
        let slow = try ProcessRunner.run(["sleep", "20"], timeout: 0.3)
        XCTAssertTrue(slow.timedOut)
        XCTAssertEqual(slow.signal, 9)
        XCTAssertLessThan(slow.seconds, 10)
    }

    func testRunnerAppliesTheAddressSpaceLimit() throws {
        let r = try ProcessRunner.run(["sh", "-c", "ulimit -v"], addressSpaceKB: 123_456)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "123456\n")
        XCTAssertGreaterThan(try ProcessRunner.run(["sleep", "0.1"]).peakMegabytes, 0, "the peak resident memory is measured")
    }

    func testIsCloseIsRelativeAboveAtolAndNeverForNaN() {
        XCTAssertTrue(isClose(1000.5, 1000, rtol: 1e-3, atol: 1e-6))
        XCTAssertFalse(isClose(1002, 1000, rtol: 1e-3, atol: 1e-6))
        XCTAssertTrue(isClose(1e-7, 0, rtol: 1e-3, atol: 1e-6))
        XCTAssertFalse(isClose(1e-5, 0, rtol: 1e-3, atol: 1e-6))
        XCTAssertFalse(isClose(.nan, 0, rtol: 1, atol: 1))
        XCTAssertFalse(isClose(0, .nan, rtol: 1, atol: 1))
    }
}
