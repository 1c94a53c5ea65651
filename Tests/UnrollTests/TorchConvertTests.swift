import Experiment
import Foundation
import XCTest
import TestSupport

/// `unroll convert --to torch --output W.safetensors`: the weights alone as a PyTorch state_dict, read back by
/// Unroll (`scripts/check-torch-safetensors.py` checks it with PyTorch itself where /work/venv-torch exists).
final class TorchConvertTests: XCTestCase {
    func testTheStateDictWrittenRunsAsTheConvertedExperiment() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = BinaryRunner.conformanceDirectory.appendingPathComponent("basic_lstm_masked.json")
        let weights = dir.appendingPathComponent("w.safetensors"), converted = dir.appendingPathComponent("torch.json")
        let s = try BinaryRunner.run(["convert", source.path, "--to", "torch", "-o", weights.path])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(s.stdout + s.stderr, "")
        XCTAssertEqual(try BinaryRunner.run(["convert", source.path, "--to", "torch", "-o", converted.path]).status, 0)
        // The tensors are the arrays the .npz form holds under PyTorch's names: a bare nn.LSTM's four.
        let archive = try SafetensorsArchive(weights)
        let npz = try Npz.read(dir.appendingPathComponent("torch.npz"))
        XCTAssertEqual(Set(archive.keys), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
        for key in archive.keys { XCTAssertEqual(try archive.array(key, maxBytes: 1 << 20), npz[key], key) }
        // An experiment naming the state_dict (no cell: the file says nn.LSTM) runs to the converted experiment's numbers.
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: converted)) as? [String: Any])
        object["weights"] = "w.safetensors"
        object["cell"] = nil
        object["dtype"] = nil
        let fromFile = dir.appendingPathComponent("from-file.json")
        try JSONSerialization.data(withJSONObject: object).write(to: fromFile)
        let a = dir.appendingPathComponent("a.npz"), b = dir.appendingPathComponent("b.npz")
        XCTAssertEqual(try BinaryRunner.run(["run", converted.path, "-o", a.path]).status, 0)
        let r = try BinaryRunner.run(["run", fromFile.path, "-o", b.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Npz.read(a), try Npz.read(b))
    }

    /// An experiment naming a .pt converts like any other: its weights move to the .npz under bare names.
    func testAnExperimentNamingAPtFileConverts() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = TorchModelFiles.directory.appendingPathComponent("torch_tagger_lstm_packed.json")
        let converted = dir.appendingPathComponent("c.json"), out = dir.appendingPathComponent("out.npz")
        let c = try BinaryRunner.run(["convert", source.path, "--to", "torch", "-o", converted.path])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertFalse(try String(contentsOf: converted, encoding: .utf8).contains("\"module\""))
        let r = try BinaryRunner.run(["run", converted.path, "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try Npz.read(source.deletingPathExtension().appendingPathExtension("npz")), got = try Npz.read(out)
        for key in ["output", "h_n", "c_n"] {
            let want = try XCTUnwrap(expected["expected/" + key]).asDoubles(), have = try XCTUnwrap(got[key]).asDoubles()
            XCTAssertEqual(want.count, have.count)
            for (a, b) in zip(want, have) { XCTAssertEqual(a, b, accuracy: 1e-5, key) }
        }
    }

    func testASafetensorsOutputNeedsTorch() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = BinaryRunner.conformanceDirectory.appendingPathComponent("basic_lstm_masked.json")
        let out = dir.appendingPathComponent("w.safetensors")
        let r = try BinaryRunner.run(["convert", source.path, "--to", "keras", "-o", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("w.safetensors: --output: a .safetensors file holds a PyTorch state_dict; give --to torch"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
