import Experiment
import Foundation
import XCTest

/// `unroll run` end to end: every TF conformance case through the real binary, compared with TF's arrays.
final class RunCommandTests: XCTestCase {
    func testRunReproducesEveryConformanceCase() throws {
        try BinaryRunner.checkEveryCase(in: BinaryRunner.conformanceDirectory, minimum: 14)
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
