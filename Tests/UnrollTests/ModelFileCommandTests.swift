import Experiment
import Foundation
import TestSupport
import XCTest

/// `unroll run|shapes|compare MODEL_FILE` with `--inputs`, `--lengths`, `--mask`, seeded inputs, and
/// `unroll compare A B`, through the real binary. Expected numbers are onnxruntime's and TensorFlow's (the
/// conformance cases' `expected/...`, and Fixtures/model_files made by scripts/make_model_compare_fixtures.py).
final class ModelFileCommandTests: XCTestCase {
    static var onnx: URL { RepositoryPaths.sharedConformance.appendingPathComponent("onnx") }
    static func onnx(_ name: String) -> String { onnx.appendingPathComponent(name).path }
    static var fixtures: URL { RepositoryPaths.fixtures.appendingPathComponent("model_files") }
    var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDown() { if let dir { try? FileManager.default.removeItem(at: dir) } }

    // MARK: - run and shapes

    func testRunAModelFileOnAnNpzOrAnNpyMatchesOnnxruntime() throws {
        let expected = try Npz.read(URL(fileURLWithPath: Self.onnx("onnx_lstm_fwd_file.npz")))
        let npy = dir.appendingPathComponent("x.npy")
        try Npy.encode(try XCTUnwrap(expected["inputs"])).write(to: npy)
        for inputs in [Self.onnx("onnx_lstm_fwd_file.npz"), npy.path] {
            let out = dir.appendingPathComponent("out.npz")
            let r = try BinaryRunner.run(["run", Self.onnx("onnx_lstm_fwd.onnx"), "--inputs", inputs, "-o", out.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let produced = try Npz.read(out)
            XCTAssertEqual(Set(produced.keys), ["Y", "Y_h", "Y_c"])
            for name in ["Y", "Y_h", "Y_c"] {
                let p = try XCTUnwrap(produced[name]), e = try XCTUnwrap(expected["expected/" + name])
                XCTAssertEqual(p.shape, e.shape)
                for (a, b) in zip(p.asDoubles(), e.asDoubles()) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(name) from \(inputs)") }
            }
        }
    }

    func testLengthsReachTheNodesSequenceLens() throws {
        let name = "onnx_lstm_reverse_layout1_lens"
        let expected = try Npz.read(URL(fileURLWithPath: Self.onnx(name + "_file.npz")))
        let out = dir.appendingPathComponent("out.npz")
        let r = try BinaryRunner.run(["run", Self.onnx(name + ".onnx"), "--inputs", Self.onnx(name + "_file.npz"), "--lengths", "3,5,2", "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let y = try XCTUnwrap(try Npz.read(out)["Y"]), e = try XCTUnwrap(expected["expected/Y"])
        for (a, b) in zip(y.asDoubles(), e.asDoubles()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// Seeded inputs: the model's input size (W of onnx_lstm_fwd.onnx is [1, 16, 3]: 4 units, input size 3), time-major
    /// as the node's layout 0; `--batch 2 --time 6`, or the defaults 4 and 8.
    func testShapesAndRunOnSeededInputs() throws {
        let model = Self.onnx("onnx_lstm_fwd.onnx")
        let shapes = try BinaryRunner.run(["shapes", model, "--batch", "2", "--time", "6"])
        XCTAssertEqual(shapes.status, 0, shapes.stderr)
        XCTAssertTrue(shapes.stdout.contains("inputs           [6, 2, 3]"), shapes.stdout)
        XCTAssertTrue(shapes.stdout.contains("Y                [6, 1, 2, 4]"), shapes.stdout)
        let out = dir.appendingPathComponent("out.npz")
        let r = try BinaryRunner.run(["run", model, "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Npz.read(out)["Y"]?.shape, [8, 1, 4, 4])
    }

    /// `--mask` (an .npy) on an experiment that has none, and an `--inputs` .npz holding `mask`: Keras' own results
    /// for the mask with holes (masks/keras_mask_hole_lstm, expected/outputs).
    func testAMaskFromTheCommandLine() throws {
        let npz = RepositoryPaths.sharedConformance.appendingPathComponent("masks/keras_mask_hole_lstm.npz")
        let arrays = try Npz.read(npz)
        let maskFile = dir.appendingPathComponent("mask.npy")
        try Npy.encode(try XCTUnwrap(arrays["mask"])).write(to: maskFile)
        let experiment = dir.appendingPathComponent("unmasked.json")
        try Data(#"{"convention": "keras", "cell": {"type": "lstm", "num_units": 4}, "weights": "\#(npz.path)", "inputs": "\#(npz.path)"}"#.utf8)
            .write(to: experiment)
        let expected = try XCTUnwrap(arrays["expected/outputs"]).asDoubles()
        for options in [["--mask", maskFile.path], ["--inputs", npz.path]] {
            let out = dir.appendingPathComponent("out.npz")
            let r = try BinaryRunner.run(["run", experiment.path, "-o", out.path] + options)
            XCTAssertEqual(r.status, 0, r.stderr)
            let outputs = try XCTUnwrap(try Npz.read(out)["outputs"]).asDoubles()
            XCTAssertEqual(outputs.count, expected.count)
            for (a, b) in zip(outputs, expected) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(options)") }
        }
        // Without the mask the same experiment gives other outputs: the option was used.
        let out = dir.appendingPathComponent("plain.npz")
        XCTAssertEqual(try BinaryRunner.run(["run", experiment.path, "-o", out.path]).status, 0)
        let plain = try XCTUnwrap(try Npz.read(out)["outputs"]).asDoubles()
        XCTAssertGreaterThan(zip(plain, expected).map { abs($0 - $1) }.max() ?? 0, 1e-3)
    }

    // MARK: - Refusals: one line, exit 1

    func testRefusalsAreOneLine() throws {
        let model = Self.onnx("onnx_lstm_fwd.onnx")
        let weightsOnly = dir.appendingPathComponent("m.weights.h5")
        try Data("not read".utf8).write(to: weightsOnly)
        let copy = dir.appendingPathComponent("m.onnx")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: model), to: copy)
        let out = dir.appendingPathComponent("out.npz").path
        let cases: [([String], String)] = [
            (["run", weightsOnly.path, "-o", out],
             "error: \(weightsOnly.path): a .weights.h5 file holds weights but no architecture; write an experiment with \"cell\", \"convention\": \"keras\" and \"weights\": \"m.weights.h5\""),
            (["run", model, "--lengths", "1,x", "-o", out], "error: \(model): --lengths: expected integers separated by commas (5,3,1), got \"1,x\""),
            (["shapes", model, "--batch", "0"], "error: \(model): --batch: must be at least 1, got 0"),
            (["shapes", model, "--lengths", "1,2"], "error: \(model): --lengths: the model's node has no sequence_lens input"),
            (["run", model, "--inputs", "/nonexistent/x.npz", "-o", out], "error: \(model): --inputs: /nonexistent/x.npz: no such file"),
            (["run", copy.path, "-o", copy.path], "error: \(copy.path): --output: would replace the experiment's input \(copy.path); give another name"),
            (["compare", model, model, "--with", "keras"],
             "error: \(model): --with and --against compare one experiment under two conventions; not with a second file (\(model))"),
            (["--inputs", out], "error: (built-in): --inputs, --lengths, --mask, --batch, --time and --seed need a model or experiment file"),
        ]
        for (arguments, expected) in cases {
            let r = try BinaryRunner.run(arguments)
            XCTAssertEqual(r.status, 1, "\(arguments): \(r.stderr)")
            XCTAssertEqual(r.stderr, expected + "\n", "\(arguments)")
            XCTAssertEqual(r.stdout, "", "\(arguments)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    // MARK: - compare A B

    /// The .onnx file and the experiment naming the same weights in an .npz: every array equal, no cause.
    func testCompareEqualModels() throws {
        let r = try BinaryRunner.run(["compare", Self.onnx("onnx_lstm_fwd.onnx"), Self.onnx("onnx_lstm_fwd.json")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.dropFirst()), [
            "outputs: max |A - B| 0 (equal within 1e-06)",
            "state/c: max |A - B| 0 (equal within 1e-06)",
            "state/h: max |A - B| 0 (equal within 1e-06)",
        ])
    }

    /// Two .onnx files whose weights differ by hand (scripts/make_model_compare_fixtures.py): the forget gate's
    /// bias of unit 1 by 0.5 and one recurrent weight of the input gate by 0.25. The largest differences per array
    /// and where they first appear are onnxruntime's (both models run by it on the same inputs); t=0 cannot differ
    /// (both changes act through the previous state, zero at t=0).
    func testCompareModelsWithDifferentWeights() throws {
        let reference = try Npz.read(Self.fixtures.appendingPathComponent("onnx_lstm_fwd_changed.npz"))
        let r = try BinaryRunner.run(["compare", Self.onnx("onnx_lstm_fwd.onnx"), Self.fixtures.appendingPathComponent("onnx_lstm_fwd_changed.onnx").path,
                                      "--inputs", Self.fixtures.appendingPathComponent("onnx_lstm_fwd_changed.npz").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // onnxruntime's Y is [time, 1, batch, hidden]; Y_h and Y_c [1, batch, hidden].
        func expectation(_ name: String) throws -> (max: Double, first: String) {
            let a = try XCTUnwrap(reference["a/" + name]), b = try XCTUnwrap(reference["b/" + name])
            let (x, y) = (a.asDoubles(), b.asDoubles())
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            if name == "Y" {
                let (time, batch, hidden) = (a.shape[0], a.shape[2], a.shape[3])
                for t in 0..<time { for e in 0..<batch { for u in 0..<hidden {
                    let i = (t * batch + e) * hidden + u
                    if abs(x[i] - y[i]) > 1e-6 { return (worst, "example \(e), t=\(t), unit \(u)") }
                } } }
            } else if let i = x.indices.first(where: { abs(x[$0] - y[$0]) > 1e-6 }) {
                return (worst, "example \(i / a.shape[2]), unit \(i % a.shape[2])")
            }
            return (worst, "none")
        }
        for (line, (name, onnxName)) in zip(lines.dropFirst(), [("outputs", "Y"), ("state/c", "Y_c"), ("state/h", "Y_h")]) {
            let e = try expectation(onnxName)
            XCTAssertTrue(line.hasPrefix(name + ": max |A - B| "), line)
            let printed = try XCTUnwrap(Double(line.dropFirst((name + ": max |A - B| ").count).prefix { $0 != "," }), line)
            XCTAssertEqual(printed, e.max, accuracy: 1e-5, line)
            XCTAssertTrue(line.hasSuffix("first above 1e-06 at \(e.first)"), "\(line) (expected \(e.first))")
        }
        XCTAssertTrue(lines[1].contains("t=1"), "the first difference is at t=1: \(lines[1])")
        XCTAssertEqual(lines.last,
            "cause: the weights differ after conversion to a common form (gates in one order, forget_bias folded into the bias): most in layer 0, gate forget, max |A - B| 0.5; per gate: layer 0: forget 0.5, input 0.25")
        XCTAssertEqual(lines.filter { $0.hasPrefix("cause:") }.count, 1, r.stdout)
    }

    /// A TF experiment (lengths [4, 1]) and its Keras conversion: the same weights once forget_bias is folded,
    /// so the outputs differ only at example 1's masked steps, where Keras repeats t=0's output and TF writes
    /// zeros: the largest difference is TF's own |output[1, 0, :]| (its expected outputs), the states agree.
    func testCompareNamesTheRulesAtMaskedSteps() throws {
        let source = RepositoryPaths.conformanceCases.appendingPathComponent("basic_lstm_masked.json")
        let keras = dir.appendingPathComponent("keras.json")
        let converted = try BinaryRunner.run(["convert", source.path, "--to", "keras", "-o", keras.path])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        let tfOutputs = try XCTUnwrap(try Npz.read(source.deletingPathExtension().appendingPathExtension("npz"))["expected/outputs"])
        let row = Array(tfOutputs.asDoubles()[(1 * 4 + 0) * 3..<(1 * 4 + 0) * 3 + 3])
        let firstUnit = try XCTUnwrap(row.firstIndex { abs($0) > 1e-6 })
        let r = try BinaryRunner.run(["compare", source.path, keras.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[1].hasPrefix("outputs: max |A - B| "), lines[1])
        let printed = try XCTUnwrap(Double(lines[1].dropFirst("outputs: max |A - B| ".count).prefix { $0 != "," }))
        XCTAssertEqual(printed, row.map(abs).max() ?? 0, accuracy: 1e-5)
        XCTAssertTrue(lines[1].hasSuffix("at example 1, t=1, unit \(firstUnit)"), lines[1])
        XCTAssertTrue(lines[2].hasPrefix("state/c: ") && lines[2].hasSuffix("(equal within 1e-06)"), lines[2])
        XCTAssertTrue(lines[3].hasPrefix("state/h: ") && lines[3].hasSuffix("(equal within 1e-06)"), lines[3])
        XCTAssertEqual(Array(lines.dropFirst(4)), [
            "cause: the rules at masked steps differ: tf: dynamic_rnn writes zeros as the output; the state is copied through unchanged; keras: the output repeats the row's last valid output (zeros before its first step); the state is carried unchanged",
            "cause: the outputs first differ at a masked step (example 1, t=1)",
        ])
    }

    /// A starts from the initial state it gives, B (the same cell and weights, no initial_state) from zeros: the
    /// largest difference of the initial states is the largest |initial_state/...| of A's archive.
    func testCompareNamesDifferentInitialStates() throws {
        let source = RepositoryPaths.conformanceCases.appendingPathComponent("lstm_initial_state.json")
        let spec = try ExperimentLoader.readSpec(source)
        let npz = source.deletingPathExtension().appendingPathExtension("npz")
        let given = try Npz.read(npz).filter { $0.key.hasPrefix("initial_state") }
        XCTAssertFalse(given.isEmpty)
        let largest = given.values.flatMap { $0.asDoubles() }.map(abs).max() ?? 0
        var json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        json["initial_state"] = nil
        for key in ["weights", "inputs"] { if let p = json[key] as? String { json[key] = source.deletingLastPathComponent().appendingPathComponent(p).path } }
        let zero = dir.appendingPathComponent("zero.json")
        try JSONSerialization.data(withJSONObject: json).write(to: zero)
        let r = try BinaryRunner.run(["compare", source.path, zero.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let causes = r.stdout.split(separator: "\n").filter { $0.hasPrefix("cause:") }.map(String.init)
        XCTAssertEqual(causes.count, 1, r.stdout)
        let prefix = "cause: the initial states differ: max |A - B| "
        XCTAssertTrue(causes[0].hasPrefix(prefix), causes[0])
        XCTAssertEqual(Double(causes[0].dropFirst(prefix.count).prefix { $0 != " " }) ?? -1, largest, accuracy: 1e-6)
        XCTAssertTrue(causes[0].hasSuffix("(A gives \(spec.initialState ?? ""), B starts from zeros)"), causes[0])
    }

    /// B with lengths of its own: the masking differs, first where one masks a step the other runs.
    func testCompareNamesDifferentMasking() throws {
        let source = RepositoryPaths.conformanceCases.appendingPathComponent("basic_lstm_masked.json")
        let npz = source.deletingPathExtension().appendingPathExtension("npz").path
        let other = dir.appendingPathComponent("other.json")
        let json = """
            {"cell": {"type": "basic_lstm", "num_units": 3, "forget_bias": 1.0}, "sequence_length": [4, 2],
             "weights": "\(npz)", "inputs": "\(npz)"}
            """
        try Data(json.utf8).write(to: other)
        let r = try BinaryRunner.run(["compare", source.path, other.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[1].hasSuffix("at example 1, t=1, unit 0") || lines[1].contains("at example 1, t=1,"), lines[1])
        XCTAssertEqual(lines.filter { $0.hasPrefix("cause:") }, [
            "cause: the masking differs: A masks with lengths [4, 1], B masks with lengths [4, 2]; first at example 1, t=1 (valid in B only)",
        ])
        // With --lengths both take the same: nothing differs.
        let same = try BinaryRunner.run(["compare", source.path, other.path, "--lengths", "4,2"])
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertFalse(same.stdout.contains("cause:"), same.stdout)
        XCTAssertEqual(same.stdout.components(separatedBy: "(equal within 1e-06)").count - 1, 3, same.stdout)
    }
}
