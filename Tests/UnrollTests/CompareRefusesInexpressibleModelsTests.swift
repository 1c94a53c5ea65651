import TestSupport
import Foundation
import XCTest

/// Issue 19, defect 3: `unroll compare` refuses, with the reason `unroll convert` gives, a framework that cannot
/// express the model (PyTorch's GRU is reset-after only, Keras' LSTM has no peepholes) instead of claiming that
/// it gives the same outputs.
final class CompareRefusesInexpressibleModelsTests: XCTestCase {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples")

    func testCompareRefusesWhatConvertRefuses() throws {
        let cases = [("gru.json", "torch", "PyTorch's GRU always applies the reset gate after the recurrent product"),
                     ("time_major.json", "torch", "PyTorch's GRU always applies the reset gate after the recurrent product"),
                     ("lstm_peephole_clip.json", "keras", "Keras' LSTM has no peepholes"),
                     ("lstm_peephole_clip.json", "torch", "PyTorch's LSTM has no peepholes")]
        for (file, with, reason) in cases {
            let path = Self.samples.appendingPathComponent(file).path
            let r = try BinaryRunner.run(["compare", path, "--with", with])
            XCTAssertEqual(r.status, 1, "\(file) --with \(with): \(r.stdout)")
            XCTAssertEqual(r.stdout, "", file)
            XCTAssertTrue(r.stderr.contains("\(file): convention: cannot convert the tf model to the \(with) convention because "), r.stderr)
            XCTAssertTrue(r.stderr.contains(reason), r.stderr)
            let convert = try BinaryRunner.run(["convert", path, "--to", with, "-o", NSTemporaryDirectory() + "unroll-defect3-\(UUID().uuidString).json"])
            XCTAssertEqual(convert.status, 1)
            XCTAssertTrue(convert.stderr.contains(reason), convert.stderr)
        }
        // What both frameworks can express is still compared.
        let gru = try BinaryRunner.run(["compare", Self.samples.appendingPathComponent("gru.json").path, "--with", "keras"])
        XCTAssertEqual(gru.status, 0, gru.stderr)
        XCTAssertTrue(gru.stdout.hasPrefix("tf vs keras: first difference at t=4"), gru.stdout)
    }
}
