import Foundation
import XCTest
import TestSupport

/// Bad input never crashes `unroll run`: each case gets one `error: <file>: <field>: ...` line on stderr,
/// exit status 1, and no output file.
final class CLIErrorTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try BinaryRunner.temporaryDirectory()
        let cases = BinaryRunner.conformanceDirectory
        try FileManager.default.copyItem(at: cases.appendingPathComponent("gru_masked.npz"), to: dir.appendingPathComponent("g.npz"))
        try Data("this is not a zip".utf8).write(to: dir.appendingPathComponent("corrupt.npz"))
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private let gen = #""batch_size": 2, "max_time": 3, "input_depth": 2"#

    /// Runs `unroll run` on `json` and checks the exit status, the one-line message and that no file was written.
    private func assertRejected(_ json: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let exp = dir.appendingPathComponent("e.json")
        try json.write(to: exp, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.npz")
        let r = try BinaryRunner.run(["run", exp.path, "--output", out.path])
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: \(exp.path): "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(expected), "expected «\(expected)» in «\(r.stderr)»", file: file, line: line)
        XCTAssertLessThanOrEqual(r.stderr.split(separator: "\n").count, 2, r.stderr, file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Backtrace"), file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output on error", file: file, line: line)
    }

    /// A bad "loss": each form's mistakes are named with the field.
    func testBadLossField() throws {
        let cell = #""cell": {"type": "lstm", "num_units": 3}"#
        try assertRejected("{\(cell), \(gen), \"loss\": 3}", "loss: expected a path to an .npz of cotangents")
        try assertRejected("{\(cell), \(gen), \"loss\": {}}", "loss: empty")
        try assertRejected("{\(cell), \(gen), \"loss\": {\"sum\": \"state\"}}", "loss.sum: expected \"outputs\"")
        try assertRejected("{\(cell), \(gen), \"loss\": {\"sum\": \"outputs\", \"state\": \"h\"}}", "loss: give one of")
        try assertRejected("{\(cell), \(gen), \"loss\": {\"output\": {\"example\": 0, \"unit\": 1}}}", "loss.output.step: missing")
        try assertRejected("{\(cell), \(gen), \"loss\": {\"output\": {\"example\": 5, \"step\": 0, \"unit\": 1}}}",
                           "loss: example 5 is out of range: batch_size is 2")
        try assertRejected("{\(cell), \(gen), \"loss\": {\"output\": {\"example\": 0, \"step\": 3, \"unit\": 1}}}",
                           "loss: step 3 is out of range: max_time is 3")
        try assertRejected("{\(cell), \(gen), \"loss\": {\"state\": \"m\"}}", "loss: the state has no array \"m\"; its arrays: \"c\", \"h\"")
        try assertRejected("{\(cell), \(gen), \"loss\": {\"stat\": \"h\"}}", "loss.stat: unknown field (did you mean \"state\"?)")
        try assertRejected("{\(cell), \(gen), \"loss\": \"nothere.npz\"}", "loss: nothere.npz: no such file")
        try assertRejected("{\(cell), \(gen), \"loss\": \"g.npz\"}", "loss: g.npz has no loss/... arrays")
    }

    func testMalformedAndTruncatedJSON() throws {
        try assertRejected(#"{"cell": {"type": "lstm", "num_units": 4}, "#, "not valid JSON")
        try assertRejected("", "not valid JSON")
        try assertRejected("[1, 2]", "(top level): expected an object, got a list")
    }

    func testBadCellSpecifications() throws {
        try assertRejected(#"{"cell": {"type": "lsmt", "num_units": 4}, \#(gen)}"#, #"cell.type: unknown cell type "lsmt""#)
        try assertRejected(#"{"cell": {"type": "lstm", "num_units": -4}, \#(gen)}"#, "cell.num_units: must be at least 1, got -4")
        try assertRejected(#"{"cell": {"type": "lstm", "num_units": 2.5}, \#(gen)}"#, "cell.num_units: expected an integer, got 2.5")
        try assertRejected(#"{"cell": {"type": "lstm", "num_units": "4"}, \#(gen)}"#, "cell.num_units: expected an integer, got a string")
        try assertRejected(#"{"cell": {"type": "multi", "cells": []}, \#(gen)}"#, "cell.cells: empty")
        try assertRejected(#"{"cell": {"type": "multi", "cells": [{"type": "gru"}]}, \#(gen)}"#, "cell.cells[0].num_units: missing")
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 3, "activation": "swish"}, \#(gen)}"#, #"cell.activation: unknown activation "swish""#)
        try assertRejected(#"{"cell": {"type": "residual", "cell": {"type": "gru", "num_units": 5}}, \#(gen)}"#,
                           "cell: ResidualWrapper: input depth 2 and cell output size 5 differ")
        try assertRejected(#"{"cell": {"type": "dropout", "cell": {"type": "gru", "num_units": 5}, "input_keep_prob": 0}, \#(gen)}"#,
                           "cell.input_keep_prob: must be in (0, 1], got 0.0")
    }

    func testAbsurdSizesAreRefusedBeforeAllocating() throws {
        try assertRejected(#"{"cell": {"type": "lstm", "num_units": 1000000000}, \#(gen)}"#, "cell: this experiment would need about")
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 5}, "batch_size": 2000000000, "max_time": 300000, "input_depth": 2}"#,
                           "inputs: this experiment would need about")
    }

    func testBadSequenceLengthsAndDTypes() throws {
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 4}, \#(gen), "sequence_length": [1, 2, 3]}"#,
                           "sequence_length: has 3 values, expected batch_size = 2")
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 4}, \#(gen), "sequence_length": [1, 2.5]}"#,
                           "sequence_length[1]: expected an integer")
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 4}, \#(gen), "dtype": "float16"}"#,
                           #"dtype: unsupported dtype "float16""#)
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 4}, "weights": "g.npz", "inputs": "g.npz", "sequence_length": [1, 2]}"#,
                           "sequence_length: has 2 values, expected batch_size = 3")
    }

    func testMissingOrCorruptArchivesAndWrongWeights() throws {
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 4}, "weights": "nope.npz", \#(gen)}"#, "weights: nope.npz: no such file")
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 4}, "weights": "corrupt.npz", \#(gen)}"#, "weights: corrupt.npz:")
        try assertRejected(#"{"cell": {"type": "lstm", "num_units": 4}, "weights": "g.npz", "inputs": "g.npz"}"#,
                           "weights: weight rnn/lstm_cell/kernel is missing (expected shape [7, 16])")
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 5}, "weights": "g.npz", "inputs": "g.npz"}"#,
                           "weights: weight rnn/gru_cell/gates/kernel has shape [7, 8], expected [8, 10]")
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 4}, "weights": "g.npz", "inputs": "nope.npz"}"#,
                           "inputs: nope.npz: no such file")
    }

    func testMissingFileAndUnknownField() throws {
        let r = try BinaryRunner.run(["run", dir.appendingPathComponent("absent.json").path, "-o", dir.appendingPathComponent("o.npz").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("absent.json: no such file"), r.stderr)
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 5}, \#(gen), "seqence_length": [1, 2]}"#,
                           #"seqence_length: unknown field (did you mean "sequence_length"?)"#)
        try assertRejected(#"{"cell": {"type": "gru", "num_units": 5}}"#, "batch_size: missing")
    }

    func testUnwritableOutputIsRefusedUpFront() throws {
        let exp = BinaryRunner.conformanceDirectory.appendingPathComponent("gru_masked.json").path
        let missing = try BinaryRunner.run(["run", exp, "-o", dir.appendingPathComponent("no/such/out.npz").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("--output: the folder") && missing.stderr.contains("does not exist"), missing.stderr)
        let folder = try BinaryRunner.run(["run", exp, "-o", dir.path])
        XCTAssertEqual(folder.status, 1)
        XCTAssertTrue(folder.stderr.contains("--output: is a folder"), folder.stderr)
    }

    /// `convert` checks its `--output` as `run` does (one shared option group), plus the .json name it needs.
    func testConvertOutputIsCheckedLikeRun() throws {
        let exp = BinaryRunner.conformanceDirectory.appendingPathComponent("gru_masked.json").path
        let missing = try BinaryRunner.run(["convert", exp, "--to", "keras", "-o", dir.appendingPathComponent("no/such/out.json").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "error: \(dir.path)/no/such/out.json: --output: the folder \(dir.path)/no/such does not exist\n")
        let folder = dir.appendingPathComponent("taken.json")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        let taken = try BinaryRunner.run(["convert", exp, "--to", "keras", "-o", folder.path])
        XCTAssertEqual(taken.status, 1)
        XCTAssertEqual(taken.stderr, "error: \(folder.path): --output: is a folder; give a file name such as \(folder.path)/out.json\n")
        let npz = try BinaryRunner.run(["convert", exp, "--to", "keras", "-o", dir.appendingPathComponent("out.npz").path])
        XCTAssertEqual(npz.status, 1)
        XCTAssertTrue(npz.stderr.hasSuffix("out.npz: --output: give a .json name (the .npz is written beside it)\n"), npz.stderr)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), ["g.npz", "corrupt.npz", "taken.json"],
                       "nothing written")
    }

    /// A convention or dtype the command line does not know is a usage error (exit 64) that lists the allowed values.
    func testUnknownConventionOrDTypeListsTheValues() throws {
        let exp = BinaryRunner.conformanceDirectory.appendingPathComponent("gru_masked.json").path
        let cases: [([String], String)] = [
            (["convert", exp, "--to", "jax", "-o", dir.appendingPathComponent("o.json").path],
             "The value 'jax' is invalid for '--to <to>'. Please provide one of 'tf', 'keras', 'torch' or 'onnx'."),
            (["compare", exp, "--with", "tf", "--against", "caffe"],
             "The value 'caffe' is invalid for '--against <against>'. Please provide one of 'tf', 'keras', 'torch' or 'onnx'."),
            (["bench", "--dtype", "float16"],
             "The value 'float16' is invalid for '--dtype <dtype>'. Please provide one of 'float32' and 'float64'."),
        ]
        for (arguments, message) in cases {
            let r = try BinaryRunner.run(arguments)
            XCTAssertEqual(r.status, 64, arguments.joined(separator: " "))
            XCTAssertTrue(r.stderr.hasPrefix("Error: " + message), r.stderr)
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), ["g.npz", "corrupt.npz"], "nothing written")
    }

    func testShapesReportsEveryMismatchedWeight() throws {
        let exp = dir.appendingPathComponent("s.json")
        try #"{"cell": {"type": "gru", "num_units": 5}, "weights": "g.npz", "inputs": "g.npz"}"#.write(to: exp, atomically: true, encoding: .utf8)
        let r = try BinaryRunner.run(["shapes", exp.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("inputs") && r.stdout.contains("[3, 5, 3]"), r.stdout)
        for name in ["gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"] {
            XCTAssertTrue(r.stdout.split(separator: "\n").contains { $0.contains(name) && $0.contains("MISMATCH") }, name)
        }
        XCTAssertTrue(r.stdout.contains("expected [8, 10]  found [7, 8]"), r.stdout)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr)
    }

    func testShapesOfAStackFollowTimeMajor() throws {
        let r = try BinaryRunner.run(["shapes", BinaryRunner.conformanceDirectory.appendingPathComponent("time_major_stack.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("inputs") && $0.hasSuffix("[5, 2, 4]") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("outputs") && $0.hasSuffix("[5, 2, 2]") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("layer 0") && $0.contains("state [2, 3]") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("layer 1") && $0.contains("state [2, 2]") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("state") && $0.hasSuffix("([2, 3], [2, 2])") }, r.stdout)
    }

    /// An error with stderr closed, full (`/dev/full`) or a pipe nobody reads (issue 21, item 5: writing the line
    /// trapped) still exits with status 1.
    func testExitStatusDoesNotDependOnAWritableStderr() throws {
        let arguments = ["run", dir.appendingPathComponent("missing.json").path, "-o", dir.appendingPathComponent("out.npz").path]
        for redirect in ["2>&-", "2>/dev/full"] {
            let r = try ProcessRunner.run(["/bin/sh", "-c", "exec \"$0\" \"$@\" \(redirect)", BinaryRunner.executable.path] + arguments)
            XCTAssertEqual(r.status, 1, "\(redirect): \(r.stderr)")
        }
        // The reader `:` exits at once; the status is reported on the shell's own stdout (fd 3).
        let script = "exec 3>&1; { \"$0\" \"$@\" 2>&1 >/dev/null 3>&-; echo \"status $?\" >&3; } | :"
        let piped = try ProcessRunner.run(["/bin/sh", "-c", script, BinaryRunner.executable.path] + arguments)
        XCTAssertEqual(piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "status 1", piped.stderr)
    }

    /// An `UNROLL_KERNEL` that names no path is refused in one line naming the allowed values (it was ignored
    /// silently); a known one runs.
    func testAnUnknownKernelIsRefused() throws {
        let sample = RepositoryPaths.samples.appendingPathComponent("bidirectional.json").path
        var environment = ProcessInfo.processInfo.environment
        for value in ["bogus", "avx3", "x\u{1B}[31m"] {
            environment["UNROLL_KERNEL"] = value
            let r = try BinaryRunner.run(["shapes", sample], environment: environment)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("error: UNROLL_KERNEL=") && r.stderr.contains("expected auto, portable, avx2 or avx512"), r.stderr)
            XCTAssertFalse(r.stderr.contains("\u{1B}"), "escaped")
        }
        for value in ["", "auto", "portable", "PORTABLE"] {
            environment["UNROLL_KERNEL"] = value
            XCTAssertEqual(try BinaryRunner.run(["shapes", sample], environment: environment).status, 0, value)
        }
    }
}
