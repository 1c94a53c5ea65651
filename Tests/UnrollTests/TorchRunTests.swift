import Experiment
import Foundation
import XCTest
import TestSupport

/// `unroll run` on PyTorch's own files (../shared/conformance/models/torch_*, each from its `.pt` and its
/// `.safetensors`) through the real binary, and the refused files: exit 1, one line, no output.
final class TorchRunTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// The case's experiment rewritten into the temporary folder, its files named by absolute path, weights with `ext`.
    private func experiment(_ url: URL, ext: String) throws -> URL {
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let folder = url.deletingLastPathComponent()
        for key in ["inputs", "initial_state"] {
            if let path = object[key] as? String { object[key] = folder.appendingPathComponent(path).path }
        }
        object["weights"] = folder.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ext).path
        let out = dir.appendingPathComponent(url.deletingPathExtension().lastPathComponent + ext + ".json")
        try JSONSerialization.data(withJSONObject: object).write(to: out)
        return out
    }

    func testRunReproducesEveryTorchCaseFromBothFiles() throws {
        let cases = try FileManager.default.contentsOfDirectory(at: TorchModelFiles.directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" && $0.lastPathComponent.hasPrefix("torch_") }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(cases.count, 9)
        for url in cases {
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            for ext in [".pt", ".safetensors"] {
                let name = url.deletingPathExtension().lastPathComponent + ext
                let out = dir.appendingPathComponent(name + ".npz")
                let exp = try experiment(url, ext: ext)
                let r = try BinaryRunner.run(["run", exp.path, "--output", out.path])
                XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
                // `shapes` reads the tensors' headers alone (a module without biases too) and lists PyTorch's results.
                let shapes = try BinaryRunner.run(["shapes", exp.path])
                XCTAssertEqual(shapes.status, 0, "\(name): \(shapes.stderr)")
                XCTAssertTrue(shapes.stdout.contains("weight_ih_l0") && shapes.stdout.contains("h_n"), "\(name): \(shapes.stdout)")
                let got = try Npz.read(out)
                for (key, want) in expected where key.hasPrefix("expected/") {
                    let array = String(key.dropFirst("expected/".count))
                    guard let have = got[array] else { XCTFail("\(name): no \(array) in \(got.keys.sorted())"); continue }
                    XCTAssertEqual(have.shape, want.shape, "\(name) \(array)")
                    XCTAssertEqual(have.dtype, want.dtype, "\(name) \(array)")
                    let tol = want.dtype == .float64 ? 1e-10 : 1e-5
                    let worst = zip(have.asDoubles(), want.asDoubles()).map { abs($0 - $1) - tol * abs($1) }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, tol, "\(name) \(array)")
                }
                XCTAssertEqual(Set(got.keys), Set(expected.keys.filter { $0.hasPrefix("expected/") }.map { String($0.dropFirst(9)) }), name)
            }
        }
    }

    /// refused/README.md: each answer names the problem in one stderr line, exit 1, nothing written.
    func testRefusedTorchFilesGetTheirOneLine() throws {
        let refused = TorchModelFiles.directory.appendingPathComponent("refused")
        let answers: [String: [String]] = [
            "pickle_global": ["pickle_global.pt", "os.system"],
            "two_rnn_modules": ["\"encoder\"", "\"decoder\"", "pick one with \"module\""],
            "rnn_without_cell": ["nonlinearity", "tanh or relu", "\"cell\""],
            "header_too_long": ["header length 864000 exceeds the file size (864 bytes"],
        ]
        for (name, words) in answers.sorted(by: { $0.key < $1.key }) {
            let out = dir.appendingPathComponent(name + ".npz")
            let r = try BinaryRunner.run(["run", refused.appendingPathComponent(name + ".json").path, "--output", out.path])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertEqual(r.stdout, "", name)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(name): \(r.stderr)")
            for w in words { XCTAssertTrue(r.stderr.contains(w), "\(name): «\(r.stderr)» lacks «\(w)»") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), name)
        }
    }
}
