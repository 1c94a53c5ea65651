@testable import Experiment
import Foundation
import TestSupport
import XCTest

/// `unroll convert --to onnx --output OUT.onnx` through the binary: a real `.onnx` (chained nodes for a stack, one
/// node for one time-major layer) with `OUT.json` and `OUT.npz` beside it, which `unroll run` runs back to the
/// frameworks' own results (PyTorch's `output`, `h_n`, `c_n`; TF's outputs for the single node); what ONNX cannot
/// hold is refused in one line. (`scripts/check-onnx-export.py` checks the same files with onnxruntime; not in CI.)
final class ONNXConvertTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func convert(_ experiment: URL, _ name: String) throws -> (model: Onnx_ModelProto, results: [String: NumpyArray]) {
        let out = dir.appendingPathComponent(name + ".onnx")
        let c = try BinaryRunner.run(["convert", experiment.path, "--to", "onnx", "--output", out.path])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertEqual(c.stderr, "")
        let results = dir.appendingPathComponent(name + "_results.npz")
        let r = try BinaryRunner.run(["run", dir.appendingPathComponent(name + ".json").path, "--output", results.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (try Onnx_ModelProto(serializedBytes: Data(contentsOf: out)), try Npz.read(results))
    }

    private func assertClose(_ have: NumpyArray?, _ want: [Double], shape: [Int], _ what: String, line: UInt = #line) {
        guard let have else { return XCTFail("\(what) missing", line: line) }
        XCTAssertEqual(have.shape, shape, what, line: line)
        let worst = zip(have.asDoubles(), want).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5, what, line: line)
    }

    func testTorchModelsBecomeChainedGraphsThatRunToPyTorchsResults() throws {
        let shared = RepositoryPaths.frameworkCases, fixtures = RepositoryPaths.fixtures.appendingPathComponent("framework_cases")
        for (frameworks, name, recurrent, layers) in [(shared, "torch_lstm2_bidirectional", "LSTM", 2), (shared, "torch_rnn_relu_unpacked", "RNN", 2),
                                                      (shared, "torch_gru_packed", "GRU", 1), (fixtures, "torch_gru3_bidirectional_initial_state", "GRU", 3)] {
            let (model, results) = try convert(frameworks.appendingPathComponent(name + ".json"), name)
            XCTAssertEqual(model.graph.node.filter { $0.opType == recurrent }.count, layers, name)
            // Batch-major inputs: a Transpose in and out, and Transpose + Reshape after every layer.
            // Batch-major inputs: a Transpose in and out, Transpose + Reshape after every layer, the layers' states joined.
            // With an initial state, each layer's slice of h_0.
            let slices: Set<String> = name.hasSuffix("initial_state") ? ["Slice"] : []
            XCTAssertEqual(Set(model.graph.node.map(\.opType)), Set([recurrent, "Transpose", "Reshape", layers > 1 ? "Concat" : "Identity"]).union(slices), name)
            let expected = try Npz.read(frameworks.appendingPathComponent(name + ".npz"))
            let wanted = expected.keys.filter { $0.hasPrefix("expected/") }
            XCTAssertEqual(Set(results.keys), Set(wanted.map { String($0.dropFirst(9)) }), name)
            for key in wanted {
                let want = try XCTUnwrap(expected[key])
                assertClose(results[String(key.dropFirst(9))], want.asDoubles(), shape: want.shape, "\(name) \(key)")
            }
        }
    }

    /// One time-major layer is a single node (Y, Y_h: `[T, num_directions, B, H]`, `[num_directions, B, H]`):
    /// TF's bidirectional basic RNN, whose outputs/0, outputs/1 and state/0, state/1 are its slices.
    func testOneTimeMajorLayerIsASingleNode() throws {
        let source = RepositoryPaths.conformanceCases.appendingPathComponent("bidirectional_no_lengths.json")
        let (model, results) = try convert(source, "single")
        XCTAssertEqual(model.graph.node.map(\.opType), ["RNN"])
        XCTAssertEqual(model.graph.input.map(\.name), ["X"])
        XCTAssertEqual(Set(results.keys), ["Y", "Y_h"])
        let expected = try Npz.read(RepositoryPaths.conformanceCases.appendingPathComponent("bidirectional_no_lengths.npz"))
        let y = try XCTUnwrap(results["Y"]).asDoubles(), yh = try XCTUnwrap(results["Y_h"]).asDoubles()
        let (t, b, h) = (4, 2, 2)
        XCTAssertEqual(results["Y"]?.shape, [t, 2, b, h])
        for d in 0..<2 {
            // Y[:, d] and Y_h[d], from the [T, 2, B, H] and [2, B, H] layouts.
            let block = b * h
            var out: [Double] = []
            for s in 0..<t {
                let start: Int = (s * 2 + d) * block
                out += y[start..<(start + block)]
            }
            assertClose(try NumpyArray(float64: out, shape: [t, b, h]), try XCTUnwrap(expected["expected/outputs/\(d)"]).asDoubles(), shape: [t, b, h], "outputs/\(d)")
            assertClose(try NumpyArray(float64: Array(yh[(d * block)..<((d + 1) * block)]), shape: [b, h]),
                        try XCTUnwrap(expected["expected/state/\(d)"]).asDoubles(), shape: [b, h], "state/\(d)")
        }
    }

    /// `--to onnx --output OUT.json` writes an onnx experiment (no model file), and `--to keras|tf|torch` turns an
    /// onnx experiment into theirs: each runs to the other framework's expected results (one direction: ONNX's
    /// `Y [T, 1, B, H]` / `[B, T, 1, H]` holds the same numbers as the frameworks' outputs).
    func testExperimentsConvertToAndFromTheONNXConvention() throws {
        let torch = RepositoryPaths.frameworkCases.appendingPathComponent("torch_gru_packed.json")
        let onnx = RepositoryPaths.sharedConformance.appendingPathComponent("onnx/onnx_lstm_fwd.json")
        for (source, to, pairs) in [(torch, "onnx", [("Y", "output"), ("Y_h", "h_n")]),
                                    (onnx, "keras", [("outputs", "Y"), ("state/h", "Y_h"), ("state/c", "Y_c")]),
                                    (onnx, "torch", [("output", "Y"), ("h_n", "Y_h"), ("c_n", "Y_c")]),
                                    (onnx, "tf", [("outputs", "Y"), ("state/h", "Y_h"), ("state/c", "Y_c")])] {
            let out = dir.appendingPathComponent("\(to).json"), results = dir.appendingPathComponent("\(to)_results.npz")
            let c = try BinaryRunner.run(["convert", source.path, "--to", to, "--output", out.path])
            XCTAssertEqual(c.status, 0, c.stderr)
            let text = try String(contentsOf: out, encoding: .utf8)   // tf, the default, is not written
            XCTAssertTrue(to == "tf" ? !text.contains("\"onnx\"") : text.contains("\"convention\" : \"\(to)\""), text)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(to).onnx").path))
            let r = try BinaryRunner.run(["run", out.path, "--output", results.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let have = try Npz.read(results), want = try Npz.read(source.deletingPathExtension().appendingPathExtension("npz"))
            for (mine, theirs) in pairs {
                let w = try XCTUnwrap(want["expected/" + theirs], theirs).asDoubles()
                assertClose(have[mine], w, shape: have[mine]?.shape ?? [], "\(source.lastPathComponent) → \(to): \(mine)")
                XCTAssertEqual(have[mine]?.count, w.count, mine)
            }
        }
        let refused = try BinaryRunner.run(["convert", RepositoryPaths.sharedConformance.appendingPathComponent("onnx/onnx_lstm_input_forget.json").path,
                                            "--to", "tf", "--output", dir.appendingPathComponent("r.json").path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasSuffix("convention: cannot convert the onnx model to the tf convention because ONNX's input_forget (f = 1 − i) has no form in TensorFlow (dynamic_rnn)\n"), refused.stderr)
    }

    func testWhatONNXCannotHoldIsRefusedInOneLine() throws {
        let frameworks = RepositoryPaths.frameworkCases, cases = RepositoryPaths.conformanceCases
        for (source, output, words) in [
            (frameworks.appendingPathComponent("torch_gru_time_major_f64.json"), "a.onnx", "run in float32"),
            (RepositoryPaths.sharedConformance.appendingPathComponent("masks/keras_mask_hole_lstm.json"), "b.onnx", "not a mask"),
            (cases.appendingPathComponent("lstm_initial_state.json"), "c.onnx", "sequence_length[1] = 0"),
            (cases.appendingPathComponent("time_major_stack.json"), "d.onnx", "cannot convert"),
        ] {
            let out = dir.appendingPathComponent(output)
            let r = try BinaryRunner.run(["convert", source.path, "--to", "onnx", "--output", out.path])
            XCTAssertEqual(r.status, 1, "\(source.lastPathComponent): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(words), "\(source.lastPathComponent): \(r.stderr) lacks \(words)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            XCTAssertEqual(left, [], "\(source.lastPathComponent): nothing is written")
        }
        let r = try BinaryRunner.run(["convert", frameworks.appendingPathComponent("torch_gru_packed.json").path, "--to", "keras",
                                      "--output", dir.appendingPathComponent("f.onnx").path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("a .onnx name is written by --to onnx, not --to keras"), r.stderr)
    }
}
