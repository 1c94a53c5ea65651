@testable import Experiment
import Foundation
import RNNEngine
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `ModelFiles`: what a command-line file is, the experiment a model file stands for, and the command line's inputs
/// (`--inputs` .npy/.npz, `--lengths`, `--mask`, seeded inputs). Expected values are onnxruntime's (the conformance
/// cases' `expected/...`) or read off the files by hand (input sizes from the `.onnx` initializers' shapes).
final class ModelFilesTests: XCTestCase {
    static var onnx: URL { RepositoryPaths.sharedConformance.appendingPathComponent("onnx") }
    static func onnx(_ name: String) -> String { onnx.appendingPathComponent(name).path }

    // MARK: - Kinds

    func testKindsByName() throws {
        for name in ["m.onnx", "dir/m.ONNX", "m.keras", "legacy.h5"] { XCTAssertEqual(try ModelFiles.kind(of: name), .model, name) }
        for name in ["sd.pt", "sd.pth", "sd.safetensors", "SD.PT"] { XCTAssertEqual(try ModelFiles.kind(of: name), .torchWeights, name) }
        for name in ["e.json", "e", "e.npz", "onnx.json"] { XCTAssertEqual(try ModelFiles.kind(of: name), .experiment, name) }
        XCTAssertEqual(ModelFiles.modelEndings, [".onnx", ".keras", ".h5", ".pt", ".pth", ".safetensors"])
    }

    func testAWeightsFileIsRefusedInOneLine() {
        XCTAssertThrowsError(try ModelFiles.kind(of: "out/model.weights.h5")) { e in
            XCTAssertEqual("\(e)", "out/model.weights.h5: a .weights.h5 file holds weights but no architecture; write an experiment with \"cell\", \"convention\": \"keras\" and \"weights\": \"model.weights.h5\"")
        }
        XCTAssertThrowsError(try ModelFiles.open("M.Weights.H5"))
    }

    /// A PyTorch state_dict stands for the torch experiment naming it as weights (its reader is the torch work's;
    /// here only the experiment it becomes: the parser's complaint names the fields of that experiment).
    func testATorchFileStandsForATorchExperiment() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pt = dir.appendingPathComponent("m.pt").path
        XCTAssertThrowsError(try ModelFiles.open(pt, options: CommandLineInputs(inputs: Self.onnx("onnx_lstm_fwd_file.npz")))) { e in
            // The experiment {"convention": "torch", "weights": "m.pt", "inputs": ...} is what was parsed: its
            // first complaint is about the torch experiment (no cell yet, or the file's contents), never about JSON.
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix(pt + ": "), text)
            XCTAssertFalse(text.contains("not valid JSON"), text)
        }
    }

    // MARK: - Inputs

    func testAnONNXFileWithAnNpzRunsAsOnnxruntime() throws {
        let opened = try ModelFiles.open(Self.onnx("onnx_lstm_fwd.onnx"), options: CommandLineInputs(inputs: Self.onnx("onnx_lstm_fwd_file.npz")))
        XCTAssertEqual(opened.spec.convention, .onnx)
        XCTAssertEqual(opened.spec.modelFile, Self.onnx("onnx_lstm_fwd.onnx"))
        XCTAssertEqual(opened.spec.name, "onnx_lstm_fwd.onnx")
        try assertMatchesExpected(opened, expected: Self.onnx("onnx_lstm_fwd_file.npz"))
    }

    func testAnNpyIsTheInputsServedFromMemory() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = try Npz.read(URL(fileURLWithPath: Self.onnx("onnx_lstm_fwd_file.npz")))["inputs"]!
        let npy = dir.appendingPathComponent("x.npy")
        try Npy.encode(x).write(to: npy)
        let opened = try ModelFiles.open(Self.onnx("onnx_lstm_fwd.onnx"), options: CommandLineInputs(inputs: npy.path))
        XCTAssertEqual(opened.spec.memoryArchives[npy.path]?["inputs"], x)
        try assertMatchesExpected(opened, expected: Self.onnx("onnx_lstm_fwd_file.npz"))
    }

    /// `--lengths` is the node's sequence_lens; the graph inputs initial_h / initial_c come from the `--inputs` archive.
    func testLengthsAreTheSequenceLens() throws {
        let name = "onnx_lstm_reverse_layout1_lens"
        let opened = try ModelFiles.open(Self.onnx(name + ".onnx"),
                                         options: CommandLineInputs(inputs: Self.onnx(name + "_file.npz"), lengths: [3, 5, 2]))
        XCTAssertEqual(opened.spec.sequenceLength, [3, 5, 2])
        try assertMatchesExpected(opened, expected: Self.onnx(name + "_file.npz"))
        // Other lengths give other results: the option is used.
        let other = try ModelFiles.open(Self.onnx(name + ".onnx"), options: CommandLineInputs(inputs: Self.onnx(name + "_file.npz"), lengths: [1, 1, 1]))
        let y = try ExperimentLoader.run(other).first { $0.0 == "Y" }!.1
        let expected = try Npz.read(URL(fileURLWithPath: Self.onnx(name + "_file.npz")))["expected/Y"]!
        XCTAssertGreaterThan(zip(y.asDoubles(), expected.asDoubles()).map { abs($0 - $1) }.max() ?? 0, 1e-3)
    }

    /// Without `--inputs`: seeded inputs of the model's input size (3: W is [1, 16, 3] in onnx_lstm_fwd.onnx),
    /// `[time, batch, depth]` as the node's layout 0 is time-major; 4 examples and 8 steps by default.
    func testSeededInputsHaveTheModelsInputSize() throws {
        let opened = try ModelFiles.open(Self.onnx("onnx_lstm_fwd.onnx"))
        let inputs = try XCTUnwrap(opened.spec.inputs.flatMap { opened.spec.memoryArchives[$0]?["inputs"] })
        XCTAssertEqual(inputs.shape, [8, 4, 3])
        XCTAssertEqual(inputs.dtype, .float32)
        XCTAssertTrue(inputs.asDoubles().allSatisfy { abs($0) <= 1 })
        let sized = try ModelFiles.open(Self.onnx("onnx_lstm_fwd.onnx"), options: CommandLineInputs(batch: 2, time: 3, seed: 7))
        let small = try XCTUnwrap(sized.spec.inputs.flatMap { sized.spec.memoryArchives[$0]?["inputs"] })
        XCTAssertEqual(small.shape, [3, 2, 3])
        let reseeded = try ModelFiles.open(Self.onnx("onnx_lstm_fwd.onnx"), options: CommandLineInputs(batch: 2, time: 3, seed: 8))
        XCTAssertNotEqual(reseeded.spec.inputs.flatMap { reseeded.spec.memoryArchives[$0]?["inputs"] }, small, "--seed changes the inputs")
        // Layout 1 (batch-major) and input size 2 (W is [2, 3, 2] in onnx_rnn_relu_bidir_layout1.onnx), 5 steps.
        let layout1 = try ModelFiles.open(Self.onnx("onnx_rnn_relu_bidir_layout1.onnx"), options: CommandLineInputs(time: 5))
        let rnnInputs = try XCTUnwrap(layout1.spec.inputs.flatMap { layout1.spec.memoryArchives[$0]?["inputs"] })
        XCTAssertEqual(rnnInputs.shape, [4, 5, 2])
        XCTAssertEqual(try ExperimentLoader.run(layout1).first { $0.0 == "Y" }?.1.shape, [4, 5, 2, 3], "Y: [batch, time, num_directions, hidden] under layout 1")
    }

    /// Seeded ids for a model that looks ids up (an Embedding of input_dim 5): every id in [1, 5) (0 is the padding
    /// id a mask_zero Embedding masks), each of 1...4 drawn among 200; a vocabulary of one id gives 0.
    func testSeededIDsStayWithinTheVocabulary() throws {
        let ids = try ModelFiles.seededIDs(count: 200, vocabulary: 5, seed: 0, shape: [20, 10])
        XCTAssertEqual(ids.shape, [20, 10])
        XCTAssertEqual(ids.dtype, .int32)
        XCTAssertEqual(Set(ids.asInts()), [1, 2, 3, 4])
        XCTAssertEqual(Set(try ModelFiles.seededIDs(count: 10, vocabulary: 1, seed: 0, shape: [10]).asInts()), [0])
    }

    /// A Keras model whose first layer is an Embedding gets seeded integer ids, not features, and runs: the ids are
    /// within its input_dim (the table in keras_embedding_lstm.keras is [input_dim, output_dim]; its config's
    /// input_dim, read by hand, is checked against the table's rows by the reader).
    func testAnEmbeddingModelOnSeededIDsRuns() throws {
        let path = RepositoryPaths.sharedConformance.appendingPathComponent("models/keras_embedding_lstm.keras").path
        let opened = try ModelFiles.open(path, options: CommandLineInputs(batch: 3, time: 4, seed: 1))
        let vocabulary = try XCTUnwrap(opened.spec.embeddingInputDim, "the Keras reader answers the Embedding's input_dim")
        let ids = try XCTUnwrap(opened.spec.memoryArchives.values.compactMap { $0["inputs"] }.first)
        XCTAssertEqual(ids.dtype, .int32)
        XCTAssertEqual(ids.shape, [3, 4])
        XCTAssertTrue(ids.asInts().allSatisfy { (0..<vocabulary).contains($0) })
        let results = try ExperimentLoader.run(opened)
        XCTAssertEqual(results.first { $0.0 == "outputs" }?.1.shape.prefix(2), [3, 4])
    }

    /// A graph input besides X (initial_h fed by the graph) has no seeded value: refused, saying what to give.
    func testSeededInputsCannotFeedTheGraphsStateInputs() {
        let model = Self.onnx("onnx_lstm_reverse_layout1_lens.onnx")
        XCTAssertThrowsError(try ModelFiles.open(model, options: CommandLineInputs(lengths: [2, 0, 5]))) { e in
            XCTAssertEqual("\(e)", "\(model): --inputs: the model's graph also takes initial_c and initial_h, which seeded inputs cannot give; give --inputs FILE.npz holding inputs and initial_c, initial_h")
        }
    }

    /// An experiment file keeps its fields; the options replace its inputs or masking (paths from the current
    /// directory, though the experiment's own are relative to its folder).
    func testOptionsReplaceAnExperimentsInputsAndMasking() throws {
        let url = RepositoryPaths.conformanceCases.appendingPathComponent("basic_lstm_masked.json")
        let own = try ModelFiles.open(url.path)
        XCTAssertEqual(own.spec.sequenceLength, [4, 1])
        let relengthed = try ModelFiles.open(url.path, options: CommandLineInputs(lengths: [4, 4]))
        XCTAssertEqual(relengthed.spec.sequenceLength, [4, 4])
        XCTAssertEqual(relengthed.spec.weights, own.spec.weights)
        let reinput = try ModelFiles.open(url.path, options: CommandLineInputs(inputs: url.deletingPathExtension().path + ".npz"))
        XCTAssertEqual(reinput.spec.inputs, url.deletingPathExtension().path + ".npz")
        XCTAssertEqual(try ExperimentLoader.run(reinput).map(\.1), try ExperimentLoader.run(own).map(\.1))
    }

    // MARK: - Refusals, one line each

    func testRefusalsNameTheFileAndTheOption() throws {
        let model = Self.onnx("onnx_lstm_fwd.onnx")
        let experiment = RepositoryPaths.conformanceCases.appendingPathComponent("basic_lstm_masked.json").path
        let cases: [(String, CommandLineInputs, String)] = [
            (model, CommandLineInputs(lengths: [1], mask: "m.npy"), "\(model): --mask: give --lengths or --mask, not both"),
            (model, CommandLineInputs(inputs: "x.npz", batch: 2), "\(model): --batch: shapes seeded inputs; not with --inputs"),
            (experiment, CommandLineInputs(time: 3), "\(experiment): --time: shapes the seeded inputs of a model file; an experiment gives batch_size, max_time and seed"),
            (model, CommandLineInputs(batch: 0), "\(model): --batch: must be at least 1, got 0"),
            (model, CommandLineInputs(lengths: [1, 2], batch: 3), "\(model): --lengths: has 2 values, expected --batch = 3"),
            (model, CommandLineInputs(inputs: "/nonexistent/x.npy"), "\(model): --inputs: /nonexistent/x.npy: no such file"),
            (model, CommandLineInputs(inputs: "/nonexistent/x.npz"), "\(model): --inputs: /nonexistent/x.npz: no such file"),
            (model, CommandLineInputs(lengths: [1, 2, 3, 4]), "\(model): --lengths: the model's node has no sequence_lens input"),
        ]
        for (file, options, expected) in cases {
            XCTAssertThrowsError(try ModelFiles.open(file, options: options), expected) { e in
                XCTAssertEqual("\(e)", expected)
                XCTAssertFalse("\(e)".contains("\n"))
            }
        }
        // Only regular files: a FIFO named as the inputs is refused before it is opened for reading.
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("x.npy").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        XCTAssertThrowsError(try ModelFiles.open(model, options: CommandLineInputs(inputs: fifo))) { e in
            XCTAssertEqual("\(e)", "\(model): --inputs: \(fifo): is a FIFO (named pipe), not a regular file")
        }
        // A mask the node cannot take: named as the option, with what the experiment does take.
        XCTAssertThrowsError(try ModelFiles.open(model, options: CommandLineInputs(mask: Self.onnx("onnx_lstm_fwd_file.npz")))) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(model): --mask: this file's experiment takes no \"mask\" (unknown field"), "\(e)")
        }
    }

    // MARK: - Helpers

    /// Runs `opened` and checks `Y`, `Y_h`, `Y_c` against onnxruntime's `expected/...` in `expected` (1e-5).
    private func assertMatchesExpected(_ opened: ModelFiles.Opened, expected path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let produced = Dictionary(uniqueKeysWithValues: try ExperimentLoader.run(opened))
        let expected = try Npz.read(URL(fileURLWithPath: path))
        var checked = 0
        for (key, e) in expected where key.hasPrefix("expected/") {
            let name = String(key.dropFirst("expected/".count))
            let p = try XCTUnwrap(produced[name], name, file: file, line: line)
            XCTAssertEqual(p.shape, e.shape, name, file: file, line: line)
            for (a, b) in zip(p.asDoubles(), e.asDoubles()) { XCTAssertEqual(a, b, accuracy: 1e-5, name, file: file, line: line) }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0, file: file, line: line)
    }
}
