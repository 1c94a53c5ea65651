import Experiment
import Foundation
import XCTest
import TestSupport

/// `unroll convert`: a model rewritten for another framework runs to the same numbers on full-length rows, and
/// what cannot be converted is refused with the reason.
final class ConvertCommandTests: XCTestCase {
    func testConvertAndRunThreeWays() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = BinaryRunner.conformanceDirectory.appendingPathComponent("basic_lstm_masked.json")
        let tfOut = dir.appendingPathComponent("tf.npz")
        XCTAssertEqual(try BinaryRunner.run(["run", source.path, "-o", tfOut.path]).status, 0)
        for c in ["keras", "torch"] {
            let exp = dir.appendingPathComponent("\(c).json")
            let conv = try BinaryRunner.run(["convert", source.path, "--to", c, "-o", exp.path])
            XCTAssertEqual(conv.status, 0, conv.stderr)
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(c).npz").path))
            let out = dir.appendingPathComponent("\(c)-out.npz")
            let r = try BinaryRunner.run(["run", exp.path, "-o", out.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let tf = try Npz.read(tfOut), got = try Npz.read(out)
            let want = try XCTUnwrap(tf["outputs"]).asDoubles()
            let have = try XCTUnwrap(got[c == "torch" ? "output" : "outputs"]).asDoubles()
            // Row 0 of basic_lstm_masked (a BasicLSTMCell, forget_bias 1) runs its full length: the same up to rounding.
            let rowWidth = want.count / 2
            for i in 0..<rowWidth { XCTAssertEqual(have[i], want[i], accuracy: 1e-6, "\(c) element \(i)") }
        }
    }

    func testWhatCannotBeConvertedIsRefused() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gru = BinaryRunner.conformanceDirectory.appendingPathComponent("gru_masked.json")
        let r = try BinaryRunner.run(["convert", gru.path, "--to", "torch", "-o", dir.appendingPathComponent("g.json").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("gru_masked.json: convention: cannot convert the tf model to the torch convention because PyTorch's GRU always applies the reset gate after the recurrent product"), r.stderr)
        let bad = try BinaryRunner.run(["convert", gru.path, "--to", "jax", "-o", dir.appendingPathComponent("g.json").path])
        XCTAssertEqual(bad.status, 64, "a bad --to value is a usage error")
        XCTAssertTrue(bad.stderr.contains("The value 'jax' is invalid for '--to <to>'. Please provide one of 'tf', 'keras', 'torch' or 'onnx'."), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("g.npz").path))
    }

    /// A loss named in one convention's terms is refused in one line rather than copied into an experiment `run`
    /// refuses (issue 21, item 14: `{"state": "h"}` converted to torch); `{"sum": "outputs"}` converts and runs.
    func testALossThatWouldChangeMeaningIsRefused() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = BinaryRunner.conformanceDirectory.appendingPathComponent("basic_lstm_masked.json")
        var spec = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        spec["weights"] = source.deletingPathExtension().appendingPathExtension("npz").path
        spec["inputs"] = spec["weights"]
        for (loss, converts) in [(["state": "h"], false), (["output": ["example": 0, "step": 1, "unit": 2]], false), (["sum": "outputs"], true)] {
            spec["loss"] = loss
            let exp = dir.appendingPathComponent("e.json")
            try JSONSerialization.data(withJSONObject: spec).write(to: exp)
            let out = dir.appendingPathComponent("t.json")
            let r = try BinaryRunner.run(["convert", exp.path, "--to", "torch", "-o", out.path])
            if converts {
                XCTAssertEqual(r.status, 0, r.stderr)
                let run = try BinaryRunner.run(["run", out.path, "-o", dir.appendingPathComponent("t-out.npz").path])
                XCTAssertEqual(run.status, 0, run.stderr)
            } else {
                XCTAssertEqual(r.status, 1, "\(loss): \(r.stderr)")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
                XCTAssertTrue(r.stderr.contains("e.json: loss: cannot convert this loss to the torch convention"), r.stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
            }
        }
    }
}
