import Foundation
import XCTest
import TestSupport

/// `unroll compare`: the same cells and weights under two conventions' rules, where they first differ, per step.
final class CompareCommandTests: XCTestCase {
    func testKerasAgainstTFOnTheirOwnCase() throws {
        let url = FrameworkRunTests.frameworksDirectory.appendingPathComponent("keras_lstm_masked.json")
        let r = try BinaryRunner.run(["compare", url.path, "--with", "tf"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "keras vs tf: first difference at t=2, example 1: past the example's length 2, Keras repeats the output of t=1, TensorFlow (dynamic_rnn) emits zeros")
        // Lengths [6, 2, 4]: steps 0 and 1 are valid everywhere, so exactly zero; every later step differs.
        XCTAssertEqual(lines.count, 2 + 6)
        XCTAssertEqual(lines[2], "   0  0")
        XCTAssertEqual(lines[3], "   1  0")
        for line in lines[4...] { XCTAssertNotEqual(line.split(separator: " ").last, "0", line) }
    }

    func testRefusalsAreOneLine() throws {
        let torch = FrameworkRunTests.frameworksDirectory.appendingPathComponent("torch_lstm2_bidirectional.json")
        let r = try BinaryRunner.run(["compare", torch.path, "--with", "tf"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("torch_lstm2_bidirectional.json: cell: torch and tf compose a bidirectional stack differently"), r.stderr)
        let bad = try BinaryRunner.run(["compare", torch.path, "--with", "mxnet"])
        XCTAssertEqual(bad.status, 64, "a bad --with value is a usage error")
        XCTAssertTrue(bad.stderr.contains("The value 'mxnet' is invalid for '--with <with>'. Please provide one of 'tf', 'keras', 'torch' or 'onnx'."), bad.stderr)
    }
}
