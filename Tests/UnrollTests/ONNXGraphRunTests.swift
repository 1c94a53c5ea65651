import Experiment
import Foundation
import TestSupport
import XCTest

/// `unroll run` on every exported ONNX graph of ../shared/conformance/models (`onnx_*`, cases added later too),
/// through the real binary: the graph's outputs by name, as onnxruntime computed them; `shapes` shows an exported
/// stack as PyTorch's module and reads ONNX's optional `B` as zeros.
final class ONNXGraphRunTests: XCTestCase {
    static var models: URL { RepositoryPaths.sharedConformance.appendingPathComponent("models") }

    func testRunReproducesEveryExportedGraph() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try FileManager.default.contentsOfDirectory(at: Self.models, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" && $0.lastPathComponent.hasPrefix("onnx_") }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(cases.count, 2)
        for url in cases {
            let name = url.deletingPathExtension().lastPathComponent
            let out = dir.appendingPathComponent(name + ".npz")
            let r = try BinaryRunner.run(["run", url.path, "--output", out.path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let got = try Npz.read(out)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            XCTAssertEqual(Set(got.keys), Set(expected.keys.filter { $0.hasPrefix("expected/") }.map { String($0.dropFirst(9)) }), name)
            for (key, want) in expected where key.hasPrefix("expected/") {
                let have = try XCTUnwrap(got[String(key.dropFirst(9))], "\(name): \(key)")
                XCTAssertEqual(have.shape, want.shape, "\(name) \(key)")
                XCTAssertEqual(have.dtype, want.dtype, "\(name) \(key)")
                let worst = zip(have.asDoubles(), want.asDoubles()).map { abs($0 - $1) - 1e-5 * abs($1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-5, "\(name) \(key)")
            }
        }
    }

    /// An exported stack is PyTorch's module to `shapes`: its layers and weights under PyTorch's names.
    func testShapesListsAnExportedStackAsPyTorchsModule() throws {
        let r = try BinaryRunner.run(["shapes", Self.models.appendingPathComponent("onnx_gru_bidir2.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        for line in ["fw layer 1            gru(3)  input [3, 6]", "output                [5, 3, 6]", "h_n                   [4, 3, 3]",
                     "weight_ih_l1_reverse  expected [9, 6]  found [9, 6]"] {
            XCTAssertTrue(r.stdout.contains(line), "\(r.stdout) lacks \(line)")
        }
    }

    /// An exported stack converts like the torch experiment it is: the written experiment holds its cells and
    /// PyTorch-named weights (no model file), and runs to onnxruntime's results.
    func testAnExportedStackConvertsToAnExperiment() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["onnx_lstm_init", "onnx_gru_bidir2"] {
            let out = dir.appendingPathComponent(name + "_torch.json")
            let c = try BinaryRunner.run(["convert", Self.models.appendingPathComponent(name + ".json").path, "--to", "torch", "--output", out.path])
            XCTAssertEqual(c.status, 0, c.stderr)
            let json = try String(contentsOf: out, encoding: .utf8)
            XCTAssertFalse(json.contains("\"model\""), json)
            XCTAssertTrue(json.contains("\"cell\""), json)
            let results = dir.appendingPathComponent(name + "_results.npz")
            let r = try BinaryRunner.run(["run", out.path, "--output", results.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let got = try Npz.read(results), expected = try Npz.read(Self.models.appendingPathComponent(name + ".npz"))
            for (key, want) in expected where key.hasPrefix("expected/") {
                let have = try XCTUnwrap(got[String(key.dropFirst(9))], "\(name): \(key)")
                let worst = zip(have.asDoubles(), want.asDoubles()).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, 1e-5, "\(name) \(key)")
            }
        }
    }

    /// `onnx_lstm_init_h_only_named` has no `B` (ONNX: zeros): `shapes` lists it as such, in both forms.
    func testShapesReadsAnAbsentBAsZeros() throws {
        let dir = RepositoryPaths.sharedConformance.appendingPathComponent("onnx")
        for name in ["onnx_lstm_init_h_only_named.json", "onnx_lstm_init_h_only_named_file.json"] {
            XCTAssertFalse(try Npz.read(dir.appendingPathComponent("onnx_lstm_init_h_only_named.npz")).keys.contains("B"), "test bug: the case has B")
            let r = try BinaryRunner.run(["shapes", dir.appendingPathComponent(name).path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            let b = r.stdout.split(separator: "\n").first { $0.hasPrefix("B ") }
            XCTAssertEqual(b.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") },
                           "B expected [1, 24] absent: zeros (optional)", r.stdout)
            XCTAssertTrue(r.stdout.contains("W "), r.stdout)
        }
    }
}
