import Experiment
import Foundation
import XCTest
import TestSupport

/// `unroll run` on every Keras and PyTorch case (../shared/conformance/frameworks), through the real binary:
/// the framework's own result names, shapes and dtypes, within 1e-5 (float32) or 1e-10 (float64).
final class FrameworkRunTests: XCTestCase {
    static var frameworksDirectory: URL {
        RepositoryPaths.frameworkCases
    }

    func testRunReproducesEveryFrameworkCase() throws {
        try BinaryRunner.assertRunMatchesEveryCase(in: Self.frameworksDirectory, atLeast: 12)
    }

    /// The project's own Keras and PyTorch cases (Tests/ExperimentTests/Fixtures/framework_cases) through the binary too.
    func testRunReproducesTheProjectFrameworkCases() throws {
        let fixtures = RepositoryPaths.fixtures.appendingPathComponent("framework_cases")
        try BinaryRunner.assertRunMatchesEveryCase(in: fixtures, atLeast: 14)
    }

    /// PyTorch refuses a row of length 0 (pack_padded_sequence): so does the torch convention, in one line naming
    /// the file, the field and the row; the same experiment under tf runs.
    func testTorchLengthZeroIsRefused() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Self.frameworksDirectory.appendingPathComponent("torch_lstm_packed")
        try FileManager.default.copyItem(at: source.appendingPathExtension("npz"), to: dir.appendingPathComponent("torch_lstm_packed.npz"))
        var json = try String(contentsOf: source.appendingPathExtension("json"), encoding: .utf8)
        json = json.replacingOccurrences(of: "\"sequence_length\": [\n    6,\n    2,\n    4\n  ]", with: "\"sequence_length\": [6, 0, 4]")
        XCTAssertTrue(json.contains("[6, 0, 4]"), "test bug: the case's sequence_length is written differently")
        let exp = dir.appendingPathComponent("zero.json")
        try json.write(to: exp, atomically: true, encoding: .utf8)
        let r = try BinaryRunner.run(["run", exp.path, "-o", dir.appendingPathComponent("out.npz").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("zero.json: sequence_length: sequence_length[1] = 0: PyTorch's pack_padded_sequence refuses lengths of 0"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.npz").path))
    }

    /// `unroll shapes` on a PyTorch case shows PyTorch's result structure and state_dict keys, layer 1 reading both
    /// directions of layer 0.
    func testShapesShowsTheFrameworksStructureAndNames() throws {
        let r = try BinaryRunner.run(["shapes", Self.frameworksDirectory.appendingPathComponent("torch_lstm2_bidirectional.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        for want in ["output [3, 5, 6]", "h_n [4, 3, 3]", "c_n [4, 3, 3]", "weight_ih_l1 expected [12, 6] found [12, 6]",
                     "bias_hh_l1_reverse expected [12] found [12]"] {
            XCTAssertTrue(lines.contains(want), "no line \(want) in\n\(r.stdout)")
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("fw layer 1 lstm(3") && $0.contains("input [3, 6]") }, r.stdout)
        XCTAssertFalse(r.stdout.contains("outputs/0"))
    }
}

/// `unroll run` on the Keras and PyTorch gradient fixtures (Tests/ExperimentTests/Fixtures/framework_gradients): the
/// results and grad/inputs, grad/initial_state/... (PyTorch's h_0, c_0) and grad/<framework weight name>.
final class FrameworkGradientRunTests: XCTestCase {
    func testRunReproducesEveryFrameworkGradientCase() throws {
        let fixtures = RepositoryPaths.fixtures.appendingPathComponent("framework_gradients")
        try BinaryRunner.assertRunMatchesEveryCase(in: fixtures, atLeast: 9)
    }
}
