import Experiment
import Foundation
import TestSupport
import XCTest

/// `unroll run` on every exported ONNX graph of ../shared/conformance/models (`onnx_*`, cases added later too),
/// through the real binary: the graph's outputs by name, as onnxruntime computed them; what cannot use a graph yet
/// (`shapes`, the explorer) says so in one line; `shapes` reads ONNX's optional `B` as zeros.
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

    func testShapesAndTheExplorerSayInOneLineWhyTheyCannotUseAGraph() throws {
        let url = Self.models.appendingPathComponent("onnx_gru_bidir2.json")
        for arguments in [["shapes", url.path], [url.path]] {
            let r = try BinaryRunner.run(arguments)
            XCTAssertEqual(r.status, 1, "\(arguments)")
            XCTAssertEqual(r.stdout, "", "\(arguments)")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("onnx_gru_bidir2.onnx is an exported graph (29 nodes: 2 GRU layers): unroll run computes it"), r.stderr)
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
