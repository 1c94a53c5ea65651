import Experiment
import Foundation
import TestSupport
import XCTest

/// `unroll run` on every mask case (../shared/conformance/masks) through the real binary, and the refusals of
/// `masks/refused/`: status 1, nothing written, one line on stderr naming the first example whose mask is not a prefix.
final class MaskRunTests: XCTestCase {
    static var masksDirectory: URL {
        BinaryRunner.conformanceDirectory.deletingLastPathComponent().appendingPathComponent("masks")
    }

    func testRunReproducesEveryMaskCase() throws {
        try BinaryRunner.assertRunMatchesEveryCase(in: Self.masksDirectory, atLeast: 21)
    }

    /// `unroll shapes` says where the mask comes from instead of "no masking".
    func testShapesNamesTheMask() throws {
        let r = try BinaryRunner.run(["shapes", Self.masksDirectory.appendingPathComponent("keras_mask_hole_lstm.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        XCTAssertTrue(lines.contains("mask [3, 8] from keras_mask_hole_lstm.npz (batch-major)"), r.stdout)
        XCTAssertFalse(r.stdout.contains("no masking"), r.stdout)
    }

    func testRunRefusesMasksThatAreNotAPrefix() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let refused = Self.masksDirectory.appendingPathComponent("refused")
        let cases = try FileManager.default.contentsOfDirectory(at: refused, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        XCTAssertGreaterThanOrEqual(cases.count, 3)
        let table = ["tf_mask_hole_refused": "example 1's mask is not a prefix (masked steps 2, 4, 5)",
                     "torch_mask_pre_refused": "example 2's mask is not a prefix (masked steps 0, 1, 2)",
                     "tf_mask_bidir_refused": "example 2's mask is not a prefix (masked step 0)"]
        for url in cases {
            let name = url.deletingPathExtension().lastPathComponent
            let out = dir.appendingPathComponent(name + ".npz")
            let r = try BinaryRunner.run(["run", url.path, "--output", out.path])
            XCTAssertEqual(r.status, 1, "\(name): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), name)
            XCTAssertEqual(r.stdout, "", name)
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("mask: convention "), r.stderr)
            if let want = table[name] { XCTAssertTrue(r.stderr.contains(want), r.stderr) }
        }
        XCTAssertTrue(Set(table.keys).isSubset(of: cases.map { $0.deletingPathExtension().lastPathComponent }))
    }
}
