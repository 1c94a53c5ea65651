import Experiment
import Foundation
import TestSupport
import XCTest

/// Keras' files through the built `unroll` (issue 18, items 1, 2, 7): every `.keras`, `.h5` and `.weights.h5` case
/// of ../shared/conformance/models matches what Keras computed; a skipped head is one stderr line (exit 0); each
/// refused file is one line, exit 1, no output written.
final class KerasRunTests: XCTestCase {
    static var models: URL { RepositoryPaths.sharedConformance.appendingPathComponent("models") }

    /// The experiments naming a Keras file (by what they name, so unseen cases run too).
    static func namesKerasFile(_ url: URL) throws -> Bool {
        guard case let .object(o, _) = try JSONValue.parse(Data(contentsOf: url)) else { return false }
        if case let .string(m)? = o["model"] { return m.hasSuffix(".keras") || m.hasSuffix(".h5") }
        if case let .string(w)? = o["weights"] { return w.hasSuffix(".weights.h5") }
        return false
    }

    func testRunMatchesEveryKerasCase() throws {
        try BinaryRunner.assertRunMatchesEveryCase(in: Self.models, atLeast: 16, include: Self.namesKerasFile)
    }

    func testASkippedHeadIsOneStderrLine() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.npz")
        let r = try BinaryRunner.run(["run", Self.models.appendingPathComponent("keras_seq_bidir_gru_head.json").path, "--output", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("skipped the head after Bidirectional \"bidirectional\": Dense \"dense\""), r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
        // No head, no line.
        let quiet = try BinaryRunner.run(["run", Self.models.appendingPathComponent("keras_masking_lstm.json").path, "--output", out.path])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
    }

    func testRefusedKerasFilesExitOneWithOneLineAndNoOutput() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let refused = Self.models.appendingPathComponent("refused")
        for (name, words) in [("conv1d_only", ["Conv1D \"conv1d\"", "no recurrent layer"]),
                              ("truncated", ["truncated.keras", "not a complete zip archive"]),
                              ("weights_missing", ["lstm/lstm_cell/recurrent_kernel", "layer \"lstm\""])] {
            let out = dir.appendingPathComponent(name + ".npz")
            let r = try BinaryRunner.run(["run", refused.appendingPathComponent(name + ".json").path, "--output", out.path])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(name): \(r.stderr)")
            for w in words { XCTAssertTrue(r.stderr.contains(w), "\(name): «\(r.stderr)» lacks «\(w)»") }
            XCTAssertEqual(r.stdout, "", name)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), name)
        }
    }
}
