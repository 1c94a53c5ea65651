import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Loading, editing, saving and exporting through `ExplorerModel`.
final class ModelTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("explorer-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    func frame(_ model: ExplorerModel, _ t: Int, direction: Direction = .forward) throws -> FrameData {
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return try XCTUnwrap(model.session.frames(direction, t..<(t + 1)).first)
    }

    /// An experiment file whose weights and inputs live in an .npz (made from the built-in one).
    func writeFileExperiment() throws -> URL {
        let builtIn = try ExplorerModel.builtIn()
        XCTAssertTrue(builtIn.session.waitUntilComplete(timeout: 30))
        var arrays = try builtIn.session.weightArrays()
        arrays.append(("inputs", try builtIn.session.inputsArray()))
        try Npz.write(arrays, to: dir.appendingPathComponent("data.npz"))
        var spec = DefaultExperiment.spec
        spec.name = "from file"
        spec.weights = "data.npz"
        spec.inputs = "data.npz"
        spec.batchSize = nil
        spec.maxTime = nil
        spec.inputDepth = nil
        let url = dir.appendingPathComponent("exp.json")
        try spec.jsonData().write(to: url)
        return url
    }

    func testFileExperimentMatchesBuiltIn() throws {
        let url = try writeFileExperiment()
        let fromFile = try ExplorerModel.load(path: url.path)
        let builtIn = try ExplorerModel.builtIn()
        let a = try frame(fromFile, 3), b = try frame(builtIn, 3)
        XCTAssertEqual(a.output, b.output)
        XCTAssertEqual(a.layers[0].gates.map(\.value), b.layers[0].gates.map(\.value))
    }

    func testTimeMajorToggleKeepsFrames() throws {
        let model = try ExplorerModel.builtIn()
        let before = try frame(model, 4)
        try model.toggleTimeMajor()
        XCTAssertEqual(model.session.inputShape, [9, 4, 3])
        XCTAssertTrue(model.spec.timeMajor)
        let after = try frame(model, 4)
        XCTAssertEqual(before.output, after.output)
        XCTAssertEqual(before.state, after.state)
        XCTAssertEqual(before.masked, after.masked)
    }

    func testStackEditKeepsFittingWeights() throws {
        let url = try writeFileExperiment()
        let model = try ExplorerModel.load(path: url.path)
        let before = try frame(model, 2)
        var spec = model.spec
        spec.cell = .multi([.lstm(numUnits: 6, options: LSTMOptions()), .gru(numUnits: 5, activation: .tanh)])
        let note = try model.apply(spec: spec)
        XCTAssertTrue(note.contains("kept 2 given weights"), note)
        let after = try frame(model, 2)
        // Layer 0 kept its weights: same numbers; layer 1 is new.
        XCTAssertEqual(before.layers[0].gates.map(\.value), after.layers[0].gates.map(\.value))
        XCTAssertEqual(after.layers[1].cellOutput.shape, [4, 5])
        // A residual whose shapes do not match is refused and the previous experiment stays.
        var bad = model.spec
        bad.cell = .multi([.residual(.lstm(numUnits: 6, options: LSTMOptions()))])
        XCTAssertThrowsError(try model.apply(spec: bad)) { e in
            XCTAssertTrue(describe(e).contains("ResidualWrapper"), describe(e))
        }
        XCTAssertEqual(model.spec.cell, spec.cell)
    }

    func testSaveReferencesUnchangedArraysAndWritesChangedOnes() throws {
        let url = try writeFileExperiment()
        let model = try ExplorerModel.load(path: url.path)
        // Unchanged: the saved file keeps referencing data.npz.
        let same = dir.appendingPathComponent("same.json")
        _ = try model.save(to: same.path)
        let s1 = try ExperimentLoader.readSpec(same)
        XCTAssertEqual(s1.weights, "data.npz")
        XCTAssertEqual(s1.inputs, "data.npz")
        // Saved elsewhere after a time-major toggle: weights by absolute path, inputs written alongside.
        try model.toggleTimeMajor()
        let otherDir = dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: otherDir, withIntermediateDirectories: true)
        let moved = otherDir.appendingPathComponent("moved.json")
        let note = try model.save(to: moved.path)
        XCTAssertTrue(note.contains("moved.arrays.npz"), note)
        let s2 = try ExperimentLoader.readSpec(moved)
        XCTAssertEqual(s2.inputs, "moved.arrays.npz")
        XCTAssertTrue(s2.weights?.hasSuffix("/data.npz") ?? false, "\(s2.weights ?? "nil")")
        XCTAssertTrue(s2.timeMajor)
        let reloaded = try ExplorerModel.load(path: moved.path)
        XCTAssertEqual(try frame(reloaded, 5).output, try frame(model, 5).output)
        // Edited stack: weights written alongside too.
        var spec = model.spec
        spec.cell = .multi([.lstm(numUnits: 6, options: LSTMOptions()), .gru(numUnits: 3, activation: .tanh)])
        _ = try model.apply(spec: spec)
        let edited = dir.appendingPathComponent("edited.json")
        _ = try model.save(to: edited.path)
        let s3 = try ExperimentLoader.readSpec(edited)
        XCTAssertEqual(s3.weights, "edited.arrays.npz")
        XCTAssertEqual(s3.description, "multi[lstm(6), gru(3)] (edited in unroll)", "the old description named the old cells")
        XCTAssertFalse(s1.description.contains("edited in unroll"), "an unedited stack keeps its description")
        let again = try ExplorerModel.load(path: edited.path)
        XCTAssertEqual(try frame(again, 5).output, try frame(model, 5).output)
    }

    /// A model file opened on seeded inputs (held in memory): saved elsewhere, the experiment names the model from
    /// its folder and writes the inputs alongside, and reloads to the same frames.
    func testSaveAModelFileOnSeededInputs() throws {
        let onnx = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance/onnx/onnx_lstm_fwd.onnx")
        let model = try ExplorerModel.load(path: onnx.path, options: CommandLineInputs(batch: 2, time: 4))
        let saved = dir.appendingPathComponent("model.json")
        let note = try model.save(to: saved.path)
        XCTAssertTrue(note.contains("model.arrays.npz"), note)
        let spec = try ExperimentLoader.readSpec(saved)
        XCTAssertEqual(spec.inputs, "model.arrays.npz")
        XCTAssertEqual(spec.modelFile, onnx.path)
        let reloaded = try ExplorerModel.load(path: saved.path)
        XCTAssertEqual(try frame(reloaded, 3).output, try frame(model, 3).output)
    }

    func testSaveBuiltInKeepsGeneratedInputs() throws {
        let model = try ExplorerModel.builtIn()
        let out = dir.appendingPathComponent("default.json")
        _ = try model.save(to: out.path)
        let spec = try ExperimentLoader.readSpec(out)
        XCTAssertNil(spec.weights)
        XCTAssertNil(spec.inputs)
        XCTAssertEqual(spec.cell, DefaultExperiment.spec.cell)
        XCTAssertEqual(try frame(ExplorerModel.load(path: out.path), 2).output, try frame(model, 2).output)
    }

    func testExportWritesNpzAndCsv() throws {
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let path = dir.appendingPathComponent("frames.npz")
        let note = try Export.write(session: model.session, to: path.path)
        XCTAssertTrue(note.contains("frames.csv"), note)
        let arrays = try Npz.read(path)
        // The built-in experiment is batch-major: arrays are [batch, time, ...], as its inputs and outputs.
        XCTAssertTrue(note.contains("[batch, time, ...]"), note)
        XCTAssertEqual(arrays["frames/h/layer0"]?.shape, [4, 9, 6])
        XCTAssertEqual(arrays["frames/c/layer0"]?.shape, [4, 9, 6])
        XCTAssertEqual(arrays["frames/h/layer1"]?.shape, [4, 9, 4])
        XCTAssertEqual(arrays["frames/gates/i/layer0"]?.shape, [4, 9, 6])
        XCTAssertEqual(arrays["frames/gates/r/layer1"]?.shape, [4, 9, 4])
        XCTAssertEqual(arrays["frames/x/layer1"]?.shape, [4, 9, 6])
        XCTAssertEqual(arrays["frames/output"]?.shape, [4, 9, 4])
        XCTAssertEqual(arrays["frames/masked"]?.shape, [4, 9])
        XCTAssertEqual(arrays["frames/masked"]?.asDoubles()[3 * 9], 1)  // example 3 has length 0
        XCTAssertEqual(arrays["frames/masked"]?.asDoubles()[3], 0)  // example 0 runs at t=3
        // The recorded h at t=8 is dynamic_rnn's final state.
        let result = try ExperimentLoader.load(DefaultExperiment.spec, file: "x", baseDirectory: dir, as: Float.self).run()
        let h0 = try XCTUnwrap(arrays["frames/h/layer0"]).asDoubles()
        guard case let .tuple(layers) = result.states[0], case let .lstm(_, h) = layers[0] else { return XCTFail() }
        var last: [Double] = []
        for b in 0..<4 {
            let from = (b * 9 + 8) * 6
            last += h0[from..<(from + 6)]
        }
        XCTAssertEqual(last, h.scalars.map(Double.init))
        // The emitted outputs are dynamic_rnn's outputs, in its layout.
        XCTAssertEqual(try XCTUnwrap(arrays["frames/output"]).asDoubles(), result.outputs[0].scalars.map(Double.init))
        let csv = try String(contentsOf: dir.appendingPathComponent("frames.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("time,example,layer,name,unit,value\n"))
        XCTAssertTrue(csv.contains("\n8,3,1,output,3,0.0\n"), String(csv.prefix(300)))
    }

    func testExportAddsTheExtensionWhenMissing() throws {
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        _ = try Export.write(session: model.session, to: dir.appendingPathComponent("plain").path)
        XCTAssertEqual(try Npz.read(dir.appendingPathComponent("plain.npz"))["frames/output"]?.shape, [4, 9, 4])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("plain.csv").path))
    }

    func testLoadWeightsByName() throws {
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        var arrays = try model.session.weightArrays()
        // Zero the last layer's kernel: its output must change.
        if let i = arrays.firstIndex(where: { $0.0.hasSuffix("cell_1/gru_cell/candidate/kernel") }) {
            arrays[i].1 = try NumpyArray(float32: Array(repeating: 0, count: arrays[i].1.count), shape: arrays[i].1.shape)
        }
        let path = dir.appendingPathComponent("w.npz")
        try Npz.write(arrays, to: path)
        let note = try model.loadWeights(path: path.path)
        XCTAssertTrue(note.contains("loaded \(arrays.count) weights"), note)
        let f = try frame(model, 0)
        XCTAssertEqual(f.layers[1].gate("c")?.scalars.allSatisfy { $0 == 0 }, true)
        // An archive that lacks weights is refused.
        try Npz.write([("rnn/other", try NumpyArray(float32: [1], shape: [1]))], to: path)
        XCTAssertThrowsError(try model.loadWeights(path: path.path))
    }

    func testOpenErrorsNameFileAndField() {
        let bad = dir.appendingPathComponent("bad.json")
        try? Data(#"{"cell": {"type": "lstm"}}"#.utf8).write(to: bad)
        XCTAssertThrowsError(try ExplorerModel.load(path: bad.path)) { e in
            XCTAssertEqual((e as? ExperimentError)?.field, "cell.num_units")
        }
    }
}
