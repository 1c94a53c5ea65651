import Experiment
import Foundation
import TestSupport
import XCTest
import ZIPFoundation

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

    /// `unroll shapes` lists the results `run` writes, with their shapes (a merged Bidirectional's `outputs` too).
    func testShapesListWhatRunWrites() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["keras_seq_bidir_gru_head", "keras_bidir_none_gru_init", "h5_masking_stack", "kw_bidir_simple"] {
            let url = Self.models.appendingPathComponent(name + ".json")
            let s = try BinaryRunner.run(["shapes", url.path])
            XCTAssertEqual(s.status, 0, s.stderr)
            let out = dir.appendingPathComponent(name + ".npz")
            XCTAssertEqual(try BinaryRunner.run(["run", url.path, "--output", out.path]).status, 0)
            let lines = s.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            for (key, array) in try Npz.read(out) where !key.hasPrefix("state") {
                let line = try XCTUnwrap(lines.first { $0.first == key }, "\(name): shapes lists no \(key):\n\(s.stdout)")
                XCTAssertEqual(line.dropFirst().joined(separator: " ").hasPrefix("[" + array.shape.map(String.init).joined(separator: ", ") + "]"), true,
                               "\(name) \(key): \(line) vs \(array.shape)")
            }
        }
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

/// `unroll convert --to keras --output OUT.weights.h5` (issue 18, item 6): the weights as Keras 3 saves them,
/// loaded back in Unroll as a `.weights.h5` experiment, give the run the original gives.
final class KerasWeightsConvertTests: XCTestCase {
    private func run(_ experiment: URL, in dir: URL, _ name: String) throws -> [String: NumpyArray] {
        let out = dir.appendingPathComponent(name + ".npz")
        let r = try BinaryRunner.run(["run", experiment.path, "--output", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try Npz.read(out)
    }

    func testConvertedWeightsLoadBackAndRunTheSame() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ports = RepositoryPaths.samples.appendingPathComponent("ports")
        for f in ["lstm_tf.json", "lstm_tf.npz", "lstm_keras.npz"] {
            try FileManager.default.copyItem(at: ports.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        // TF's LSTMCell: forget_bias is folded into the Keras bias by the conversion.
        let weights = dir.appendingPathComponent("port.weights.h5")
        let c = try BinaryRunner.run(["convert", dir.appendingPathComponent("lstm_tf.json").path, "--to", "keras", "--output", weights.path])
        XCTAssertEqual(c.status, 0, c.stderr)
        let experiment = dir.appendingPathComponent("from_h5.json")
        try Data(#"{"convention": "keras", "cell": {"type": "lstm", "num_units": 4}, "weights": "port.weights.h5", "inputs": "lstm_keras.npz", "initial_state": "lstm_keras.npz", "sequence_length": [8, 5, 2, 6]}"#.utf8).write(to: experiment)
        let fromH5 = try run(experiment, in: dir, "from_h5")
        // The same model under Keras' names from the .npz the samples hold (made by unroll convert, checked by
        // FrameworkConformance's Keras cases): the .weights.h5 holds the same arrays, so the runs are equal.
        try FileManager.default.copyItem(at: ports.appendingPathComponent("lstm_keras.json"), to: dir.appendingPathComponent("lstm_keras.json"))
        let fromNpz = try run(dir.appendingPathComponent("lstm_keras.json"), in: dir, "from_npz")
        XCTAssertEqual(Set(fromH5.keys), Set(fromNpz.keys))
        for (k, v) in fromNpz { XCTAssertEqual(fromH5[k], v, k) }
    }

    /// A Keras-saved `.weights.h5`, converted to keras again, holds the same datasets at the same paths.
    func testAKerasSavedFileRoundTripsExactly() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = KerasRunTests.models
        for name in ["kw_stack_lstm_gru_lstm", "kw_bidir_simple"] {
            let out = dir.appendingPathComponent(name + ".weights.h5")
            let c = try BinaryRunner.run(["convert", models.appendingPathComponent(name + ".json").path, "--to", "keras", "--output", out.path])
            XCTAssertEqual(c.status, 0, c.stderr)
            let original = try ArrayArchives.open(models.appendingPathComponent(name + ".weights.h5"))
            let written = try ArrayArchives.open(out)
            let cells = original.keys.filter { $0.contains("/cell/vars/") }
            XCTAssertFalse(cells.isEmpty)
            XCTAssertEqual(Set(written.keys), Set(cells), name)
            for k in cells { XCTAssertEqual(try written.array(k, maxBytes: 1 << 20), try original.array(k, maxBytes: 1 << 20), "\(name) \(k)") }
        }
    }

    /// A Keras model file's experiment converts to the JSON form (every array in the .npz, the model gone), which
    /// runs to the model's numbers: an Embedding's ids are written looked up, its mask as "mask".
    func testAModelFileConvertsToTheJSONForm() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["keras_embedding_lstm", "h5_seq_bidir_gru_head"] {
            let json = dir.appendingPathComponent(name + ".json")
            let c = try BinaryRunner.run(["convert", KerasRunTests.models.appendingPathComponent(name + ".json").path, "--to", "keras", "--output", json.path])
            XCTAssertEqual(c.status, 0, c.stderr)
            guard case let .object(o, _) = try JSONValue.parse(Data(contentsOf: json)) else { return XCTFail(name) }
            XCTAssertNil(o["model"], name)
            XCTAssertEqual(o["weights"], .string(name + ".npz"), name)
            let out = dir.appendingPathComponent(name + "_out.npz")
            let r = try BinaryRunner.run(["run", json.path, "--output", out.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let got = try Npz.read(out), expected = try Npz.read(KerasRunTests.models.appendingPathComponent(name + ".npz"))
            // The JSON form has no merge_mode: a Bidirectional's outputs/0 and outputs/1 concatenated are Keras' outputs.
            if let all = expected["expected/outputs"], let o0 = got["outputs/0"] ?? got["outputs"] {
                let width = o0.shape.last ?? 0
                let merged: [Float]
                if let o1 = got["outputs/1"] {
                    let (a, b) = (o0.asFloats(), o1.asFloats())
                    merged = stride(from: 0, to: a.count, by: width).flatMap { Array(a[$0..<($0 + width)]) + Array(b[$0..<($0 + width)]) }
                } else {
                    merged = o0.asFloats()
                }
                for (x, y) in zip(merged, all.asFloats()) { XCTAssertEqual(x, y, accuracy: 1e-5, name) }
                XCTAssertEqual(merged.count, all.count, name)
            } else {
                XCTFail("\(name): no outputs")
            }
        }
    }

    func testAWeightsFileIsKerasOnly() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.weights.h5")
        let r = try BinaryRunner.run(["convert", KerasRunTests.models.appendingPathComponent("kw_lstm_head.json").path, "--to", "torch", "--output", out.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("give --to keras"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}

/// Keras 3 configs edited from the conformance files (config.json rewritten, the same model.weights.h5): every
/// `merge_mode`, whose results follow from Keras' own concat results, and the options Unroll refuses by name.
final class KerasConfigVariantTests: XCTestCase {
    /// `NAME.keras` of the models folder with its config.json passed through `edit`, written to `dir` as `m.keras`
    /// beside its inputs, and the experiment naming it.
    private func variant(_ name: String, in dir: URL, _ edit: (String) -> String) throws -> URL {
        let source = KerasRunTests.models.appendingPathComponent(name + ".keras")
        let archive = try XCTUnwrap(ZIPFoundation.Archive(url: source, accessMode: .read))
        var entries: [HostileFiles.ZipEntry] = []
        for entry in archive {
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            if entry.path == "config.json" {
                let edited = edit(String(decoding: data, as: UTF8.self))
                XCTAssertNotEqual(edited, String(decoding: data, as: UTF8.self), "\(name): the edit changes the config")
                data = Data(edited.utf8)
            }
            entries.append(HostileFiles.stored(entry.path, data))
        }
        try HostileFiles.zip(entries).write(to: dir.appendingPathComponent("m.keras"))
        try? FileManager.default.copyItem(at: KerasRunTests.models.appendingPathComponent(name + "_io.npz"), to: dir.appendingPathComponent("io.npz"))
        let json = dir.appendingPathComponent("m.json")
        try Data(#"{"model": "m.keras", "inputs": "io.npz"}"#.utf8).write(to: json)
        return json
    }

    func testEveryMergeModeMergesKerasOwnDirections() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Keras' concat outputs [.., 6]: forward [.., :3], backward [.., 3:].
        let concat = try XCTUnwrap(try Npz.read(KerasRunTests.models.appendingPathComponent("keras_bidir_concat_lstm.npz"))["expected/outputs"])
        let c = concat.asFloats(), w = 3
        let fw = stride(from: 0, to: c.count, by: 2 * w).flatMap { Array(c[$0..<($0 + w)]) }
        let bw = stride(from: 0, to: c.count, by: 2 * w).flatMap { Array(c[($0 + w)..<($0 + 2 * w)]) }
        let modes: [(String, [String: [Float]])] = [
            ("\"sum\"", ["outputs": zip(fw, bw).map { $0 + $1 }]),
            ("\"mul\"", ["outputs": zip(fw, bw).map { $0 * $1 }]),
            ("\"ave\"", ["outputs": zip(fw, bw).map { ($0 + $1) / 2 }]),
            ("null", ["outputs/0": fw, "outputs/1": bw]),
        ]
        for (mode, expected) in modes {
            let json = try variant("keras_bidir_concat_lstm", in: dir) { $0.replacingOccurrences(of: #""merge_mode": "concat""#, with: #""merge_mode": \#(mode)"#) }
            let out = dir.appendingPathComponent("out.npz")
            let r = try BinaryRunner.run(["run", json.path, "--output", out.path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let got = try Npz.read(out)
            XCTAssertEqual(Set(got.keys.filter { $0.hasPrefix("outputs") }), Set(expected.keys), mode)
            for (key, want) in expected {
                let have = try XCTUnwrap(got[key], "\(mode) \(key)").asFloats()
                XCTAssertEqual(have.count, want.count, mode)
                for (a, b) in zip(have, want) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(mode) \(key)") }
            }
        }
    }

    func testOptionsUnrollDoesNotRunAreRefusedByName() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, (String) -> String, [String])] = [
            ("keras_masking_lstm", { $0.replacingOccurrences(of: #""recurrent_activation": "sigmoid""#, with: #""recurrent_activation": "hard_sigmoid""#) },
             ["LSTM \"lstm\"", "recurrent_activation \"hard_sigmoid\""]),
            ("keras_masking_lstm", { $0.replacingOccurrences(of: #""go_backwards": false"#, with: #""go_backwards": true"#) },
             ["LSTM \"lstm\"", "go_backwards outside Bidirectional"]),
            ("keras_masking_lstm", { $0.replacingOccurrences(of: #""go_backwards": false"#, with: #""go_backwards": false, "time_major": true"#) },
             ["LSTM \"lstm\"", "time_major"]),
            ("keras_masking_lstm", { $0.replacingOccurrences(of: #""class_name": "Masking""#, with: #""class_name": "Dropout""#) },
             ["Dropout \"masking\"", "does not run"]),
            ("keras_masking_lstm", { $0.replacingOccurrences(of: #""activation": "tanh""#, with: #""activation": "gelu""#) },
             ["LSTM \"lstm\"", "activation \"gelu\""]),
            ("keras_masking_stack", { $0.replacingOccurrences(of: #""name": "gru", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}"#,
                                                              with: #""name": "gru", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}"#) },
             ["LSTM \"lstm\" computes in float32", "GRU \"gru\" in float64"]),
        ]
        for (name, edit, words) in cases {
            let json = try variant(name, in: dir, edit)
            let out = dir.appendingPathComponent("refused.npz")
            let r = try BinaryRunner.run(["run", json.path, "--output", out.path])
            XCTAssertEqual(r.status, 1, "\(words): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            for word in words { XCTAssertTrue(r.stderr.contains(word), "«\(r.stderr)» lacks «\(word)»") }
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
    }
}
