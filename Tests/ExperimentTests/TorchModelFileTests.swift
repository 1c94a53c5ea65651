@testable import Experiment
import Foundation
import RNNEngine
import XCTest
import TestSupport

/// PyTorch's own files (../shared/conformance/models/torch_*: `torch.save(model.state_dict())` and
/// `safetensors.torch.save_file` of the same tensors, PyTorch 2.15) through the experiment loader, compared with what
/// PyTorch computed. Every case in the folder runs, from both of its files, so cases added later run too.
final class TorchModelFileTests: XCTestCase {
    static var directory: URL { RepositoryPaths.sharedConformance.appendingPathComponent("models") }

    static func torchCases() throws -> [URL] {
        try FrameworkConformanceTests.cases(in: directory).filter { $0.lastPathComponent.hasPrefix("torch_") }
    }

    /// The case's experiment with `"weights"` set to its file with `ext` (and other fields changed as given).
    static func spec(_ url: URL, weightsExtension ext: String? = nil, changes: [String: Any?] = [:]) throws -> ExperimentSpec {
        var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        if let ext {
            object["weights"] = url.deletingPathExtension().lastPathComponent + ext
        }
        for (k, v) in changes { object[k] = v }
        let data = try JSONSerialization.data(withJSONObject: object)
        return try ExperimentSpec.parse(data, file: url.lastPathComponent, baseDirectory: url.deletingLastPathComponent())
    }

    static func run(_ spec: ExperimentSpec, file: String) throws -> [(String, NumpyArray)] {
        func go<S: RNNScalar>(_: S.Type) throws -> [(String, NumpyArray)] {
            try ExperimentLoader.load(spec, file: file, baseDirectory: directory, as: S.self).run().namedArrays()
        }
        return try go(spec.dtype.scalarType)
    }

    func testEveryTorchCaseMatchesFromItsPtAndItsSafetensors() throws {
        let cases = try Self.torchCases()
        XCTAssertGreaterThanOrEqual(cases.count, 9, "expected the 9 public torch_* cases at least")
        for url in cases {
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let wanted = Set(expected.keys.filter { $0.hasPrefix("expected/") }.map { String($0.dropFirst(9)) })
            XCTAssertEqual(wanted.isSuperset(of: ["output", "h_n"]), true, url.lastPathComponent)
            for ext in [".pt", ".safetensors"] {
                let name = "\(url.lastPathComponent) (\(ext))"
                let spec = try Self.spec(url, weightsExtension: ext)
                let produced = try Self.run(spec, file: name)
                let problems = ConformanceCases.compare(produced: produced, expected: expected)
                XCTAssertTrue(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
                XCTAssertEqual(Set(produced.map(\.0)), wanted, "\(name): exactly PyTorch's results")
            }
        }
    }

    /// What the files say, checked against what each case's description says PyTorch built (hand-read facts).
    func testTheModuleIsInferredFromNamesAndShapes() throws {
        func spec(_ name: String, _ ext: String = ".pt") throws -> ExperimentSpec {
            try Self.spec(Self.directory.appendingPathComponent(name + ".json"), weightsExtension: ext)
        }
        // nn.LSTM(300, 64, num_layers=4, bidirectional=True), module found alone: "encoder".
        let big = try spec("torch_lstm4_bidir_big")
        XCTAssertEqual(big.torchModule, "encoder")
        XCTAssertTrue(big.bidirectional)
        XCTAssertEqual(big.cell.layers.count, 4)
        XCTAssertEqual(big.cell.layers.map(\.numUnits), [64, 64, 64, 64])
        XCTAssertEqual(big.cell.layers.first?.unwrappedLayer?.descriptor.torchModule, "torch.nn.LSTM")
        // nn.LSTM(4, 6, num_layers=2, proj_size=3).
        let proj = try spec("torch_lstm_proj_init")
        XCTAssertEqual(proj.cell.layers.map { $0.unwrappedLayer?.options.numProj }, [3, 3])
        XCTAssertEqual(proj.cell.layers.map(\.numUnits), [6, 6])
        // nn.GRU(3, 4, bias=False) under backbone.rnn; float64 safetensors give dtype float64.
        let gru = try spec("torch_gru_nobias_nested_tm", ".safetensors")
        XCTAssertEqual(gru.torchModule, "backbone.rnn")
        XCTAssertEqual(gru.cell.unwrappedLayer?.descriptor.torchModule, "torch.nn.GRU")
        XCTAssertEqual(gru.cell.numUnits, 4)
        XCTAssertEqual(try spec("torch_lstm_bidir2_packed_f64", ".safetensors").dtype, .float64)
        XCTAssertEqual(try spec("torch_lstm_bidir2_packed_f64", ".pt").dtype, .float64)
        XCTAssertEqual(try spec("torch_lstm_nobias_dp", ".safetensors").torchModule, "module.encoder")
        XCTAssertEqual(try spec("torch_gru_bidir2_time_major", ".pt").torchModule, "")
    }

    private func refusal(_ name: String, ext: String? = nil, changes: [String: Any?] = [:], folder: URL = directory) throws -> String {
        do {
            let url = folder.appendingPathComponent(name + ".json")
            let spec = try Self.spec(url, weightsExtension: ext, changes: changes)
            _ = try Self.run(spec, file: name)
            XCTFail("\(name) \(changes) was not refused")
            return ""
        } catch let e as ExperimentError {
            XCTAssertFalse(e.description.contains("\n"), e.description)
            return e.description
        }
    }

    func testTheRefusedFilesSayWhy() throws {
        let refused = Self.directory.appendingPathComponent("refused")
        let global = try refusal("pickle_global", folder: refused)
        XCTAssertTrue(global.contains("os.system"), global)
        let two = try refusal("two_rnn_modules", folder: refused)
        for word in ["\"encoder\"", "\"decoder\"", "\"module\""] { XCTAssertTrue(two.contains(word), two) }
        let rnn = try refusal("rnn_without_cell", folder: refused)
        for word in ["nonlinearity", "tanh or relu", "\"cell\"", "\"activation\""] { XCTAssertTrue(rnn.contains(word), rnn) }
        let header = try refusal("header_too_long", folder: refused)
        for word in ["header length 864000", "exceeds the file size", "864 bytes"] { XCTAssertTrue(header.contains(word), header) }
    }

    /// Every "not found" lists what the file holds, closest first.
    func testMismatchesNameWhatTheFileHolds() throws {
        // The bare module "" where the keys are encoder.*: the RNN module found is named.
        let bare = try refusal("torch_tagger_lstm_packed", ext: ".pt", changes: ["module": ""])
        XCTAssertTrue(bare.contains("found: encoder"), bare)
        let typo = try refusal("torch_seq2seq_decoder", ext: ".safetensors", changes: ["module": "decodr"])
        XCTAssertTrue(typo.contains("found: decoder, encoder"), typo)
        // A given cell must agree with the file: nn.LSTM(3, 4) is not an LSTM of 5 units, nor a GRU, nor two layers.
        let units = try refusal("torch_tagger_lstm_packed", ext: ".pt", changes: ["cell": ["type": "lstm", "num_units": 5]])
        XCTAssertTrue(units.contains("num_units 5") && units.contains("nn.LSTM(3, 4)"), units)
        let kind = try refusal("torch_tagger_lstm_packed", ext: ".pt", changes: ["cell": ["type": "gru", "num_units": 4]])
        XCTAssertTrue(kind.contains("layer 0 is gru"), kind)
        let layers = try refusal("torch_tagger_lstm_packed", ext: ".safetensors", changes: ["cell": ["type": "multi", "cells": [
            ["type": "lstm", "num_units": 4], ["type": "lstm", "num_units": 4]]]])
        XCTAssertTrue(layers.contains("has 2 layer(s)"), layers)
        let dtype = try refusal("torch_tagger_lstm_packed", ext: ".pt", changes: ["dtype": "float64"])
        XCTAssertTrue(dtype.contains("float32"), dtype)
        let bidir = try refusal("torch_tagger_lstm_packed", ext: ".pt", changes: ["bidirectional": true])
        XCTAssertTrue(bidir.contains("nn.LSTM(3, 4)"), bidir)
        // "module" means a PyTorch file's module: refused with an .npz.
        let npz = try refusal("torch_tagger_lstm_packed", changes: ["module": "encoder", "weights": "torch_tagger_lstm_packed.npz"])
        XCTAssertTrue(npz.contains("module"), npz)
    }

    /// A state_dict saved as an .npz with its module prefix: the missing bare name lists the file's names, closest first.
    func testAPrefixedNpzStateDictListsItsNames() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = try TorchArchive(Self.directory.appendingPathComponent("torch_tagger_lstm_packed.pt"))
        try Npz.write(try archive.keys.map { ($0, try archive.array($0, maxBytes: 1 << 20)) }, to: dir.appendingPathComponent("w.npz"))
        let json = #"{"convention": "torch", "cell": {"type": "lstm", "num_units": 4}, "batch_size": 1, "max_time": 2, "input_depth": 3, "weights": "w.npz"}"#
        let url = dir.appendingPathComponent("e.json")
        try Data(json.utf8).write(to: url)
        XCTAssertThrowsError(try ExperimentLoader.runFile(url)) { e in
            XCTAssertTrue("\(e)".contains("weight weight_ih_l0 is missing"), "\(e)")
            XCTAssertTrue("\(e)".contains("found: encoder.weight_ih_l0, "), "\(e)")
        }
    }

    /// A module with bias=False runs with zero biases, the same numbers as the file's arrays plus explicit zeros.
    func testBiasFalseIsZeroBiases() throws {
        let url = Self.directory.appendingPathComponent("torch_lstm_nobias_dp.json")
        let spec = try Self.spec(url, weightsExtension: ".safetensors")
        let loaded = try ExperimentLoader.load(spec, file: "nobias", baseDirectory: Self.directory, as: Float.self)
        let arrays = try loaded.weightArrays()
        let biases = arrays.filter { $0.0.hasPrefix("bias_") }
        XCTAssertEqual(Set(biases.map(\.0)), ["bias_ih_l0", "bias_hh_l0"])
        for (_, b) in biases { XCTAssertTrue(try b.tensor(Float.self, name: "b").scalars.allSatisfy { $0 == 0 }) }
    }
}
