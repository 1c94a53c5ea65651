import Experiment
import Foundation
import RNNEngine
import XCTest

/// The arrays a loaded experiment is saved as (`engineVariables`, `weightArrays`, `initialStateArrays`), the
/// converted experiment a front-end runs (`ExperimentConversion.converted`), `ExperimentWriter` and the one
/// `ExperimentError.located`.
final class LoadedExperimentArraysTests: XCTestCase {
    var samples: URL { SampleTests.samples }

    func load(_ name: String) throws -> LoadedExperiment<Float> {
        let url = samples.appendingPathComponent(name)
        let spec = try ExperimentLoader.readSpec(url, displayName: name)
        return try ExperimentLoader.load(spec, file: name, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-arrays-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Outputs and final states of a run, as arrays by name.
    func results(_ e: LoadedExperiment<Float>) throws -> [String: NumpyArray] {
        Dictionary(try e.run().namedArrays(), uniquingKeysWith: { a, _ in a })
    }

    /// The experiment a front-end switches to is the one `unroll convert` writes: same spec (but for where its
    /// arrays are), the same weights under the framework's names, and bit for bit the same results.
    func testConvertedExperimentIsWhatConvertWrites() throws {
        for (name, to) in [("ports/lstm_tf.json", Convention.keras), ("ports/lstm_tf.json", .torch), ("ports/lstm_torch.json", .tf),
                           ("gru.json", .tf), ("mixed_stack.json", .tf)] {
            let loaded = try load(name)
            guard loaded.spec.convention != to || name.hasSuffix("gru.json") || name.hasSuffix("mixed_stack.json") else { continue }
            let (converted, framework) = try ExperimentConversion.converted(loaded, to: to)
            let file = try ExperimentConversion.convert(loaded, to: to, npzName: "out.npz")
            XCTAssertEqual(converted.spec.convention, to, name)
            XCTAssertEqual(converted.spec.cell, file.spec.cell, name)
            XCTAssertEqual(converted.spec.cellBackward, file.spec.cellBackward, name)
            let written = Dictionary(file.arrays, uniquingKeysWith: { a, _ in a })
            for (n, t) in framework { XCTAssertEqual(written[n], try NumpyArray(t), "\(name) → \(to): \(n)") }
            // Reopened from the written file, the converted experiment computes what the converted one does.
            let dir = try temporaryDirectory()
            let json = dir.appendingPathComponent("out.json")
            try ExperimentWriter.write(file.spec, to: json, arrays: file.arrays, companion: "out.npz")
            let reopened = try ExperimentLoader.load(file.spec, file: "out.json", baseDirectory: json.deletingLastPathComponent(), as: Float.self)
            XCTAssertEqual(try results(reopened), try results(converted), "\(name) → \(to)")
            XCTAssertEqual(try reopened.weightArrays().map(\.0), try converted.weightArrays().map(\.0), "\(name) → \(to)")
        }
    }

    /// A framework that cannot hold the model: the reason under `convention`, naming the file.
    func testConvertedNamesTheFileAndFieldWhenRefused() throws {
        let loaded = try load("lstm_peephole_clip.json")
        XCTAssertThrowsError(try ExperimentConversion.converted(loaded, to: .torch)) { e in
            let error = e as? ExperimentError
            XCTAssertEqual(error?.file, "lstm_peephole_clip.json")
            XCTAssertEqual(error?.field, "convention")
            XCTAssertTrue(error?.message.hasPrefix("cannot convert the tf model to the torch convention because") == true, "\(e)")
        }
    }

    /// Weights are saved under the convention's framework's names: TF's are the engine's variables in the order
    /// the cells asked for them; Keras' and PyTorch's come from the layout.
    func testWeightArraysUseTheConventionsNames() throws {
        let tf = try load("ports/lstm_tf.json")
        let variables = try tf.engineVariables()
        XCTAssertEqual(variables.map(\.name), ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"])
        XCTAssertEqual(try tf.weightArrays().map(\.0), variables.map(\.name))
        XCTAssertEqual(try tf.weightArrays().map(\.1), try variables.map { try NumpyArray($0.tensor) })
        let torch = try load("ports/lstm_torch.json")
        let given = try Npz.read(samples.appendingPathComponent("ports/lstm_torch.npz"))
        let saved = try torch.weightArrays()
        XCTAssertEqual(Set(saved.map(\.0)), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
        for (name, array) in saved { XCTAssertEqual(array, given[name], name) }
    }

    /// The initial state saved as the loader reads it back: per leaf for tf and keras, stacked for torch.
    func testInitialStateArraysReadBack() throws {
        for (name, keys) in [("ports/lstm_tf.json", ["initial_state/c", "initial_state/h"]),
                             ("ports/lstm_torch.json", ["initial_state/h_0", "initial_state/c_0"])] {
            let e = try load(name)
            let arrays = try e.initialStateArrays()
            XCTAssertEqual(arrays.map(\.0), keys, name)
            let given = try Npz.read(samples.appendingPathComponent(name.replacingOccurrences(of: ".json", with: ".npz")))
            for (key, a) in arrays { XCTAssertEqual(a, given[key], "\(name): \(key)") }
        }
        XCTAssertTrue(try load("gru.json").initialStateArrays().isEmpty, "a zero state saves no arrays")
    }

    /// A bidirectional experiment whose backward pass has no given state saves that pass's zero state, so the
    /// file loads again (the loader wants every pass's arrays).
    func testInitialStateArraysFillAPassWithoutAState() throws {
        var spec = ExperimentSpec(name: "bi", cell: .gru(numUnits: 2, activation: .tanh), bidirectional: true,
                                  batchSize: 2, maxTime: 3, inputDepth: 2, seed: 1)
        let base = try ExperimentLoader.load(spec, file: "bi.json", baseDirectory: samples, as: Float.self)
        let h = try Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3, 4])
        let e = LoadedExperiment(spec: spec, file: "bi.json", inputs: base.inputs, store: base.store, initialState: .leaf(h))
        let arrays = try e.initialStateArrays()
        XCTAssertEqual(arrays.map(\.0), ["initial_state/0", "initial_state/1"])
        XCTAssertEqual(arrays[1].1, try NumpyArray(Tensor<Float>(zeros: [2, 2])))
        let dir = try temporaryDirectory()
        spec.initialState = "a.npz"
        try ExperimentWriter.write(spec, to: dir.appendingPathComponent("bi.json"), arrays: arrays, companion: "a.npz")
        let reopened = try ExperimentLoader.load(try ExperimentLoader.readSpec(dir.appendingPathComponent("bi.json")),
                                                 file: "bi.json", baseDirectory: dir.appendingPathComponent("bi.json").deletingLastPathComponent(), as: Float.self)
        XCTAssertEqual(reopened.initialState, .leaf(h))
        XCTAssertEqual(reopened.initialStateBackward, .leaf(Tensor<Float>(zeros: [2, 2])))
    }

    /// The writer leaves no archive when there are no arrays, and writes the spec the loader reads back.
    func testWriterWritesTheSpecAndOnlyANeededArchive() throws {
        let dir = try temporaryDirectory()
        let spec = ExperimentSpec(name: "w", cell: .basicRNN(numUnits: 2, activation: .tanh), batchSize: 1, maxTime: 2, inputDepth: 1)
        try ExperimentWriter.write(spec, to: dir.appendingPathComponent("w.json"), companion: "w.arrays.npz")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("w.arrays.npz").path))
        XCTAssertEqual(try ExperimentLoader.readSpec(dir.appendingPathComponent("w.json")), spec)
    }

    /// One helper locates engine and array errors: the field an engine error is about unless told, the context first.
    func testLocatedNamesFileFieldAndContext() {
        XCTAssertThrowsError(try ExperimentError.located(file: "e.json") { throw RNNError.badSequenceLength("too long") }) { e in
            XCTAssertEqual(e as? ExperimentError, ExperimentError(file: "e.json", field: "sequence_length", "too long"))
        }
        XCTAssertThrowsError(try ExperimentError.located(file: "e.json", field: "cell") { throw RNNError.badSequenceLength("too long") }) { e in
            XCTAssertEqual((e as? ExperimentError)?.field, "cell")
        }
        XCTAssertThrowsError(try ExperimentError.located(file: "e.json", field: "weights", context: "w.npz") {
            throw NumpyError("w.npz", "bad magic")
        }) { e in
            XCTAssertEqual((e as? ExperimentError)?.field, "weights")
            XCTAssertTrue((e as? ExperimentError)?.message.hasPrefix("w.npz: ") == true, "\(e)")
        }
        struct Other: Error {}
        XCTAssertThrowsError(try ExperimentError.located(file: "e.json") { throw Other() }) { XCTAssertTrue($0 is Other) }
        XCTAssertEqual(try ExperimentError.located(file: "e.json") { 7 }, 7)
    }

    /// An edited stack keeps the given weights that still fit (by name and shape) and seeds the rest; an initial
    /// state that no longer fits is dropped; unchanged cells keep everything.
    func testEditedKeepsWhatStillFits() throws {
        let stack = try load("mixed_stack.json")
        var spec = stack.spec
        spec.cell = .multi([.lstm(numUnits: 8, options: LSTMOptions()), .gru(numUnits: 6, activation: .tanh), .gru(numUnits: 4, activation: .tanh)])
        let (edited, summary) = try stack.edited(spec: spec)
        XCTAssertEqual(summary?.keptWeights, 6)
        XCTAssertEqual(summary?.seededWeights, 4)
        XCTAssertEqual(summary?.droppedInitialStates, [])
        let kept = try edited.engineVariablesByName(), given = try stack.engineVariablesByName()
        XCTAssertEqual(kept["rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"], given["rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"])
        XCTAssertEqual(kept.count, 10)
        XCTAssertNoThrow(try edited.run())

        let port = try load("ports/lstm_tf.json")
        var wider = port.spec
        wider.cell = .lstm(numUnits: 5, options: LSTMOptions())
        let (grown, grownSummary) = try port.edited(spec: wider)
        XCTAssertEqual(grownSummary?.keptWeights, 0)
        XCTAssertEqual(grownSummary?.seededWeights, 2)
        XCTAssertEqual(grownSummary?.droppedInitialStates, [.forward])
        XCTAssertNil(grown.initialState)
        XCTAssertNoThrow(try grown.run())

        var lengths = port.spec
        lengths.sequenceLength = [1, 1, 1, 1]
        lengths.timeMajor = true
        let (same, none) = try port.edited(spec: lengths, transposeInputs: true)
        XCTAssertNil(none)
        XCTAssertEqual(same.initialState, port.initialState)
        XCTAssertEqual(same.inputs, port.inputs.transposedFirstTwo())
        XCTAssertEqual(try same.engineVariables().map(\.tensor), try port.engineVariables().map(\.tensor))
    }
}
