import Foundation
import XCTest
import TestSupport

/// `unroll compare` on a masked experiment prints the padding doctor (issue 17, item 5).
final class PaddingDoctorCommandTests: XCTestCase {
    private var masks: URL { MaskRunTests.masksDirectory }

    func testAHoleMaskIsDiagnosedForEveryFramework() throws {
        let r = try BinaryRunner.run(["compare", masks.appendingPathComponent("keras_mask_hole_lstm.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "padding doctor: the mask of 3 examples × 8 steps, as lengths [5, 8, 5] (valid steps per row)")
        XCTAssertTrue(lines.contains("tf (TensorFlow (dynamic_rnn)): cannot express the mask: convention tf: example 0's mask is not a prefix (masked steps 2, 4, 5); dynamic_rnn's sequence_length can only make a row's first steps valid (the keras convention runs any mask)"), r.stdout)
        XCTAssertTrue(lines.contains("keras (Keras): runs the mask as given"), r.stdout)
        func row(_ framework: String, _ given: String) -> [String]? {
            lines.first { $0.hasPrefix(framework + " ") && $0.split(separator: " ").dropFirst().first.map(String.init) == given }?
                .split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }
        XCTAssertEqual(row("keras", "mask"), ["keras", "mask", "same", "same", "same"])
        XCTAssertEqual(row("tf", "mask"), ["tf", "mask", "cannot", "express", "cannot", "express", "cannot", "express"])
        let dropped = try XCTUnwrap(row("tf", "dropped"), r.stdout)
        XCTAssertEqual(dropped[2], "t=2", "example 0's first masked step")
        XCTAssertEqual(dropped[4], "same", "example 1 has no masked step")
    }

    func testWithIsStillNeededWithoutAMask() throws {
        let url = FrameworkRunTests.frameworksDirectory.appendingPathComponent("keras_lstm_masked.json")
        let r = try BinaryRunner.run(["compare", url.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("--with is needed"), r.stderr)
    }
}
