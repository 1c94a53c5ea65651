import Experiment
import Foundation
import XCTest
import TestSupport

/// `unroll run` end to end: every TF conformance case through the real binary, compared with TF's arrays.
final class RunCommandTests: XCTestCase {
    func testRunReproducesEveryConformanceCase() throws {
        try BinaryRunner.assertRunMatchesEveryCase(in: BinaryRunner.conformanceDirectory, atLeast: 14)
    }

    /// The gradient cases: `unroll run` also writes grad/inputs, grad/initial_state/... and grad/<weight>.
    func testRunReproducesEveryGradientCase() throws {
        try BinaryRunner.assertRunMatchesEveryCase(in: BinaryRunner.gradientCasesDirectory, atLeast: 10)
    }

    /// A built-in loss on a generated experiment: the gradients of every weight and the inputs are written
    /// (no initial state given, so none for it), and the sum of outputs is linear in the cotangent it stands for.
    func testRunWritesGradientsOfABuiltInLoss() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let exp = dir.appendingPathComponent("sum.json")
        try #"{"cell": {"type": "multi", "cells": [{"type": "lstm", "num_units": 3}, {"type": "gru", "num_units": 2}]}, "batch_size": 2, "max_time": 4, "input_depth": 3, "sequence_length": [4, 0], "loss": {"sum": "outputs"}}"#
            .write(to: exp, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.npz")
        let r = try BinaryRunner.run(["run", exp.path, "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let got = try Npz.read(out)
        XCTAssertEqual(Set(got.keys.filter { $0.hasPrefix("grad/") }), [
            "grad/inputs", "grad/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel", "grad/rnn/multi_rnn_cell/cell_0/lstm_cell/bias",
            "grad/rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel", "grad/rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias",
            "grad/rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel", "grad/rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias",
        ])
        XCTAssertEqual(got["grad/inputs"]?.shape, [2, 4, 3])
        XCTAssertEqual(got["grad/rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"]?.shape, [6, 12])
        // Row 1 has length 0: no gradient reaches its inputs.
        XCTAssertEqual(Array((got["grad/inputs"]?.asDoubles() ?? [])[12...]), Array(repeating: 0, count: 12))
        XCTAssertGreaterThan((got["grad/inputs"]?.asDoubles() ?? []).map(abs).max() ?? 0, 0)
    }

    func testRunWithGeneratedInputsAndDefaultWeightsIsDeterministic() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let exp = dir.appendingPathComponent("gen.json")
        try #"{"cell": {"type": "multi", "cells": [{"type": "lstm", "num_units": 5}, {"type": "gru", "num_units": 3}]}, "batch_size": 4, "max_time": 7, "input_depth": 3, "seed": 11, "sequence_length": [7, 3, 1, 0]}"#
            .write(to: exp, atomically: true, encoding: .utf8)
        let a = dir.appendingPathComponent("a.npz"), b = dir.appendingPathComponent("b.npz")
        XCTAssertEqual(try BinaryRunner.run(["run", exp.path, "-o", a.path]).status, 0)
        XCTAssertEqual(try BinaryRunner.run(["run", exp.path, "-o", b.path]).status, 0)
        let x = try Npz.read(a), y = try Npz.read(b)
        XCTAssertEqual(x, y)
        XCTAssertEqual(x["outputs"]?.shape, [4, 7, 3])
        XCTAssertEqual(x["state/0/c"]?.shape, [4, 5])
        XCTAssertEqual(x["state/1"]?.shape, [4, 3])
        // Row 3 has length 0: every output zero.
        let out = x["outputs"]?.asDoubles() ?? []
        XCTAssertEqual(Array(out[(3 * 7 * 3)...]), Array(repeating: 0, count: 21))
    }
}
