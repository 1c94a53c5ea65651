@testable import Experiment
import Foundation
import RNNEngine
import TestSupport
import XCTest

/// Keras' files (issue 18, items 1, 2, 7, 8): every `.keras`, legacy `.h5` and `.weights.h5` case Keras 3.15 and
/// tf-keras 2.21 saved and computed (../shared/conformance/models, found by what each experiment names, so unseen
/// cases run too) through the loader; the refused files' one-line answers; hostile HDF5.
private extension FileManager {
    func removeItem(at url: URL, ignoringMissing: Bool) throws {
        if fileExists(atPath: url.path) || !ignoringMissing { try removeItem(at: url) }
    }
}

final class KerasModelFileTests: XCTestCase {
    static var modelsDirectory: URL { RepositoryPaths.sharedConformance.appendingPathComponent("models") }
    static var hostileDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/keras_hostile")
    }

    /// The experiments in `dir` that name a Keras file: `"model"` a `.keras` / `.h5`, or `"weights"` a `.weights.h5`.
    static func kerasCases(in dir: URL) throws -> [URL] {
        try FrameworkConformanceTests.cases(in: dir).filter { url in
            guard case let .object(o, _) = try JSONValue.parse(Data(contentsOf: url)) else { return false }
            if case let .string(m)? = o["model"] { return m.hasSuffix(".keras") || m.hasSuffix(".h5") }
            if case let .string(w)? = o["weights"] { return w.hasSuffix(".weights.h5") }
            return false
        }
    }

    func testEveryKerasModelFileCaseMatches() throws {
        let urls = try Self.kerasCases(in: Self.modelsDirectory)
        XCTAssertGreaterThanOrEqual(urls.count, 16, "the 16 public keras_, h5_ and kw_ cases at least")
        for prefix in ["keras_", "h5_", "kw_"] {
            XCTAssertTrue(urls.contains { $0.lastPathComponent.hasPrefix(prefix) }, prefix)
        }
        try FrameworkConformanceTests.check(urls)
    }

    /// What the config says, read as Keras wrote it (hand-read from the cases' config.json / model_config).
    func testTheConfigBecomesTheExperimentItDescribes() throws {
        func spec(_ name: String) throws -> ExperimentSpec {
            try ExperimentLoader.readSpec(Self.modelsDirectory.appendingPathComponent(name + ".json"))
        }
        let stack = try spec("keras_masking_stack")
        XCTAssertEqual(stack.convention, .keras)
        XCTAssertEqual(stack.maskValue, 0)
        XCTAssertEqual(stack.cell.layers.map(\.numUnits), [4, 3])
        XCTAssertEqual(stack.cell.layers.compactMap { $0.unwrappedLayer?.kind }, [.lstm, .gruResetAfter])
        let bidir = try spec("h5_seq_bidir_gru_head")
        XCTAssertTrue(bidir.bidirectional)
        XCTAssertEqual(bidir.maskValue, -1)
        XCTAssertEqual(bidir.kerasModel?.mergeMode, "concat")
        XCTAssertEqual(bidir.kerasModel?.skipped.map(\.label), ["Dense \"dense\""])
        let none = try spec("keras_bidir_none_gru_init")
        XCTAssertNil(none.kerasModel?.mergeMode)
        XCTAssertEqual(none.cell.layers.first?.unwrappedLayer?.kind, .gru)   // reset_after=False
        let f64 = try spec("keras_return_state_f64_tm")
        XCTAssertEqual(f64.dtype, .float64)
        XCTAssertNil(f64.modelNote)
        let noBias = try spec("keras_nobias_relu")
        XCTAssertEqual(noBias.cell.layers.first?.unwrappedLayer?.activation, .relu)
        XCTAssertEqual(noBias.kerasModel?.recurrent.map(\.useBias), [false, false])
    }

    /// samples/ports/lstm_keras.keras, saved by Keras 3 from the weights of lstm_keras.npz, runs to exactly the
    /// numbers of its `.npz` twin (same inputs, initial state and lengths).
    func testThePortSavedByKerasRunsAsItsNpzTwin() throws {
        let ports = RepositoryPaths.samples.appendingPathComponent("ports")
        let model = try ExperimentLoader.runFile(ports.appendingPathComponent("lstm_keras_model.json"))
        let twin = try ExperimentLoader.runFile(ports.appendingPathComponent("lstm_keras.json"))
        XCTAssertEqual(model.map(\.0).sorted(), ["outputs", "state/c", "state/h"])
        XCTAssertEqual(Dictionary(model, uniquingKeysWith: { a, _ in a }), Dictionary(twin, uniquingKeysWith: { a, _ in a }))
    }

    /// An experiment naming a Keras model is written back (the explorer's save) as it was given: the model, the
    /// ids file (not the looked-up inputs), the experiment's mask and initial state; and it parses to the same spec.
    func testAModelExperimentWritesBackAsGiven() throws {
        for name in ["keras_embedding_gru_head", "keras_return_state_f64_tm", "keras_bidir_none_gru_init"] {
            let url = Self.modelsDirectory.appendingPathComponent(name + ".json")
            let spec = try ExperimentLoader.readSpec(url)
            guard case let .object(o, _) = try JSONValue.parse(try spec.jsonData()),
                  case let .object(given, _) = try JSONValue.parse(Data(contentsOf: url)) else { return XCTFail(name) }
            for key in ["model", "inputs", "mask", "initial_state", "sequence_length"] {
                XCTAssertEqual(o[key], given[key], "\(name): \(key)")
            }
            let again = try ExperimentSpec.parse(try spec.jsonData(), file: name, baseDirectory: Self.modelsDirectory)
            XCTAssertEqual(again.cell, spec.cell, name)
            XCTAssertEqual(again.inputs, spec.inputs, name)
            XCTAssertEqual(again.mask, spec.mask, name)
        }
    }

    /// Keras' `to_snake_case` and its numbering of same-class layers (what `layers/...` groups are called).
    func testKerasGroupNames() {
        XCTAssertEqual(KerasWeightPaths.snakeCase("SimpleRNN"), "simple_rnn")
        XCTAssertEqual(KerasWeightPaths.snakeCase("InputLayer"), "input_layer")
        XCTAssertEqual(KerasWeightPaths.snakeCase("Conv1D"), "conv1d")
        XCTAssertEqual(KerasWeightPaths.groupNames(["LSTM", "GRU", "LSTM", "LSTM"]), ["lstm", "gru", "lstm_1", "lstm_2"])
    }

    // MARK: - Refused

    private func assertRefused(_ run: () throws -> Any, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try run()
            XCTFail("expected a refusal containing \(fragments)", file: file, line: line)
        } catch {
            let text = "\(error)"
            for f in fragments { XCTAssertTrue(text.contains(f), "«\(text)» lacks «\(f)»", file: file, line: line) }
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
        }
    }

    /// `file` copied as a legacy `.h5` and a `.keras` model into `dir`: each experiment naming it is refused in one
    /// line naming the model file (when it is read, or at the latest when its shapes are).
    private func assertRefusedAsModels(_ file: URL, in dir: URL, line: UInt = #line) throws {
        for ext in ["h5", "keras"] {
            try FileManager.default.removeItem(at: dir.appendingPathComponent("m.\(ext)"), ignoringMissing: true)
            try FileManager.default.copyItem(at: file, to: dir.appendingPathComponent("m.\(ext)"))
            assertRefused({
                let spec = try ExperimentSpec.parse(Data(#"{"model": "m.\#(ext)", "inputs": "io.npz"}"#.utf8), file: "e.json", baseDirectory: dir)
                return try ExperimentLoader.load(spec, file: "e.json", baseDirectory: dir, as: Float.self, shapesOnly: true)
            }, ["m.\(ext)"], line: line)
        }
    }

    func testRefusedKerasFilesAnswerInOneLine() {
        let dir = Self.modelsDirectory.appendingPathComponent("refused")
        func run(_ name: String) -> () throws -> Any { { try ExperimentLoader.runFile(dir.appendingPathComponent(name + ".json")) } }
        assertRefused(run("conv1d_only"), ["conv1d_only.keras", "no recurrent layer", "Conv1D \"conv1d\"", "does not run"])
        assertRefused(run("truncated"), ["truncated.keras", "not a complete zip archive", "truncated"])
        assertRefused(run("weights_missing"), ["weights_missing.h5", "lstm/lstm_cell/recurrent_kernel", "layer \"lstm\"", "missing",
                                               "found: lstm/lstm_cell/kernel:0"])
    }

    /// Writes `json` as an experiment beside copies of `files` (from the models folder) and runs it.
    private func runCopy(_ json: String, files: [String], patch: ((URL) throws -> Void)? = nil) throws -> () throws -> Any {
        let dir = try BinaryRunner.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for f in files {
            try FileManager.default.copyItem(at: Self.modelsDirectory.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        try patch?(dir)
        let url = dir.appendingPathComponent("case.json")
        try Data(json.utf8).write(to: url)
        return { try ExperimentLoader.runFile(url) }
    }

    func testTheModelsMaskAndTheExperimentsAreNeverBoth() throws {
        assertRefused(try runCopy(#"{"model": "keras_masking_lstm.keras", "inputs": "keras_masking_lstm_io.npz", "sequence_length": [6, 6, 6]}"#,
                                  files: ["keras_masking_lstm.keras", "keras_masking_lstm_io.npz"]),
                      ["sequence_length", "Masking \"masking\"", "never both"])
        assertRefused(try runCopy(#"{"model": "keras_masking_lstm.keras", "inputs": "keras_masking_lstm_io.npz", "cell": {"type": "lstm", "num_units": 4}}"#,
                                  files: ["keras_masking_lstm.keras", "keras_masking_lstm_io.npz"]),
                      ["cell", "not with a Keras model"])
        assertRefused(try runCopy(#"{"model": "keras_masking_lstm.keras", "inputs": "keras_masking_lstm_io.npz", "dtype": "float64"}"#,
                                  files: ["keras_masking_lstm.keras", "keras_masking_lstm_io.npz"]),
                      ["dtype", "float32"])
    }

    func testAnEmbeddingIdOutsideTheTableIsRefused() throws {
        assertRefused(try runCopy(#"{"model": "keras_embedding_lstm.keras", "inputs": "ids.npz"}"#, files: ["keras_embedding_lstm.keras"]) { dir in
            try Npz.write([("inputs", try NumpyArray([Int32(1), 2, 12, 0], shape: [2, 2]))], to: dir.appendingPathComponent("ids.npz"))
        }, ["ids.npz", "inputs[1, 0] = 12", "outside [0, 12)", "Embedding \"embedding\""])
        assertRefused(try runCopy(#"{"model": "keras_embedding_lstm.keras", "inputs": "ids.npz"}"#, files: ["keras_embedding_lstm.keras"]) { dir in
            try Npz.write([("inputs", try NumpyArray([Float(1), 2], shape: [1, 2]))], to: dir.appendingPathComponent("ids.npz"))
        }, ["ids.npz", "float32", "integer ids"])
    }

    /// A `.weights.h5` whose groups do not match the experiment's cells names what it holds, closest first.
    func testAWeightsFileWithoutTheCellsGroupListsItsGroups() throws {
        let json = #"{"convention": "keras", "cell": {"type": "gru", "num_units": 5}, "weights": "kw_lstm_head.weights.h5", "inputs": "kw_lstm_head_io.npz"}"#
        assertRefused(try runCopy(json, files: ["kw_lstm_head.weights.h5", "kw_lstm_head_io.npz"]),
                      ["kw_lstm_head.weights.h5", "layers/gru", "no such group", "found: layers/lstm, layers/dense"])
    }

    // MARK: - Hostile HDF5

    private func runWeights(_ fixture: URL) throws -> () throws -> Any {
        let dir = try BinaryRunner.temporaryDirectory()
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("w.weights.h5")
        if FileManager.default.fileExists(atPath: fixture.path) { try FileManager.default.copyItem(at: fixture, to: target) }
        try Npz.write([("inputs", try NumpyArray([Float](repeating: 0.5, count: 6), shape: [1, 2, 3]))], to: dir.appendingPathComponent("io.npz"))
        let url = dir.appendingPathComponent("case.json")
        try Data(#"{"convention": "keras", "cell": {"type": "lstm", "num_units": 2}, "weights": "w.weights.h5", "inputs": "io.npz"}"#.utf8).write(to: url)
        return { try ExperimentLoader.runFile(url) }
    }

    func testHostileWeightsFilesAreRefusedInOneLine() throws {
        let h = Self.hostileDirectory
        assertRefused(try runWeights(h.appendingPathComponent("int_kernel.weights.h5")), ["layers/lstm/cell/vars/0", "expected float32 or float64", "integers"])
        assertRefused(try runWeights(h.appendingPathComponent("unwritten_kernel.weights.h5")), ["layers/lstm/cell/vars/0", "holds no data"])
        assertRefused(try runWeights(h.appendingPathComponent("huge_claim.weights.h5")), ["w.weights.h5", "layers/lstm/cell/vars/0"])
        assertRefused(try runWeights(h.appendingPathComponent("absurd_dims.weights.h5")), ["w.weights.h5", "layers/lstm/cell/vars/0"])
    }

    func testTruncatedAndForeignAndFIFOWeightsFilesAreRefused() throws {
        let real = try Data(contentsOf: Self.modelsDirectory.appendingPathComponent("kw_lstm_head.weights.h5"))
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, data, fragment) in [("cut", real.prefix(real.count / 2), "not a readable HDF5 file"),
                                       ("short", real.prefix(5), "too short for an HDF5 file"),
                                       ("npz", try Data(contentsOf: Self.modelsDirectory.appendingPathComponent("kw_lstm_head_io.npz")), "no HDF5 signature")] {
            let url = dir.appendingPathComponent(name + ".weights.h5")
            try Data(data).write(to: url)
            assertRefused(try runWeights(url), ["w.weights.h5", fragment])
        }
        let fifo = dir.appendingPathComponent("fifo.weights.h5")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        assertRefused({ try HDF5File(path: fifo.path) }, ["FIFO"])
        assertRefused({ try ArrayArchives.open(fifo) }, ["FIFO"])
    }

    /// The inputs FuzzKeras kept (fuzz/crashes/FuzzKeras): libhdf5 1.10 walked their global heap forever (a
    /// free-space object of size 0); the walk Unroll makes first refuses them in one line, as a legacy `.h5`, a
    /// `.keras` and a `.weights.h5`.
    func testKeptFuzzInputsAreRefusedBeforeLibHDF5LoopsOnThem() throws {
        let folder = RepositoryPaths.root.appendingPathComponent("fuzz/crashes/FuzzKeras")
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertGreaterThanOrEqual(kept.count, 3)
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in kept {
            try assertRefusedAsModels(folder.appendingPathComponent(name), in: dir)
            assertRefused({ try HDF5File(path: folder.appendingPathComponent(name).path) }, ["global heap collection", "does not fit"])
        }
    }

    /// Inputs a later FuzzKeras run kept (Fixtures/keras-fuzz): corrupt metadata that makes libhdf5 ask for an
    /// absurd allocation (AddressSanitizer aborted; a plain build's malloc returns NULL and libhdf5 fails), or
    /// leak on its error paths. Each, as a legacy `.h5`, a `.keras` and a `.weights.h5`, is refused in one line
    /// naming the file, never run.
    func testFuzzInputsThatStrainLibHDF5AreRefusedInOneLine() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/keras-fuzz")
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertGreaterThanOrEqual(kept.count, 7)
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in kept {
            try assertRefusedAsModels(folder.appendingPathComponent(name), in: dir)
            let weights = dir.appendingPathComponent("w.weights.h5")
            try FileManager.default.removeItem(at: weights, ignoringMissing: true)
            try FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: weights)
            let experiment = #"{"convention": "keras", "cell": {"type": "lstm", "num_units": 4}, "weights": "w.weights.h5", "inputs": "io.npz"}"#
            assertRefused({
                let spec = try ExperimentSpec.parse(Data(experiment.utf8), file: "w.json", baseDirectory: dir)
                return try ExperimentLoader.load(spec, file: "w.json", baseDirectory: dir, as: Float.self, shapesOnly: true)
            }, ["w.weights.h5"])
        }
    }

    /// A chunked, deflated file reads as Keras wrote the arrays (h5py's values, saved beside it).
    func testDeflatedDatasetsRead() throws {
        let file = try HDF5File(path: Self.hostileDirectory.appendingPathComponent("gzip_ok.weights.h5").path)
        let expected = try Npz.read(Self.hostileDirectory.appendingPathComponent("gzip_ok_expected.npz"))
        XCTAssertEqual(try file.array("layers/lstm/cell/vars/0", maxBytes: 1 << 20), expected["kernel"])
        XCTAssertEqual(try file.array("layers/lstm/cell/vars/2", maxBytes: 1 << 20), expected["bias"])
        assertRefused({ try file.array("layers/lstm/cell/vars/0", maxBytes: 95) }, ["layers/lstm/cell/vars/0", "96 B", "more than"])
        XCTAssertEqual(try file.strings("name", of: "layers/lstm/cell/vars"), ["lstm_cell"])
    }
}
