import Experiment
@testable import Explorer
import Foundation
import RNNEngine
import XCTest

/// The frames the panes read are the engine's, in the experiment's scalar type: rows come out as Doubles where
/// they are read, whole tensors on request, both equal to the engine's numbers. Export names arrays from the
/// structure and writes them in the experiment's dtype.
final class FrameDataTests: XCTestCase {
    let samples = BackwardViewTests.samples

    /// A float32 stack with a residual, dropout and a peephole/clip/projection LSTM, so every kind of value shows.
    func spec(dtype: DType) -> ExperimentSpec {
        ExperimentSpec(name: "kinds", cell: .multi([.residual(.lstm(numUnits: 3, options: LSTMOptions())),
                                                    .dropout(.gru(numUnits: 3, activation: .tanh), DropoutOptions(outputKeepProb: 0.5, seed: 3)),
                                                    .lstm(numUnits: 2, options: LSTMOptions(usePeepholes: true, cellClip: 0.5, numProj: 2))]),
                       dtype: dtype, sequenceLength: [4, 2, 0], batchSize: 3, maxTime: 5, inputDepth: 3, seed: 9)
    }

    func testRowsAreTheEnginesNumbers() throws {
        let spec = spec(dtype: .float32)
        let model = try ExplorerModel.make(spec: spec, file: nil, baseDirectory: samples)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        // The engine's own frames of the same experiment.
        let loaded = try ExperimentLoader.load(spec, file: "kinds", baseDirectory: samples, as: Float.self)
        let run = RecordedRun(loop: try loaded.makeLoop(), swapMemory: false)
        run.compute(shouldStop: { false })
        let engine = try run.frames(0..<5)
        let shown = try model.session.frames(.forward, 0..<5)
        XCTAssertEqual(shown.count, 5)
        var checked = 0
        for (e, f) in zip(engine, shown) {
            XCTAssertEqual(f.time, e.time)
            XCTAssertEqual(f.masked, e.masked)
            for b in 0..<3 {
                XCTAssertEqual(f.outputRow(b), e.output.row(b).map(Double.init))
                XCTAssertEqual(f.outputRow(b), rowValues(f.output, b))
                for el in e.layers {
                    let ld = try XCTUnwrap(f.layer(el.layer))
                    XCTAssertEqual(ld.row(.input, b), el.input.row(b).map(Double.init))
                    XCTAssertEqual(ld.row(.cellOutput, b), el.cellOutput.row(b).map(Double.init))
                    for g in el.gates {
                        XCTAssertEqual(ld.row(.gate(g.name), b), g.value.row(b).map(Double.init), g.name)
                        XCTAssertEqual(ld.gate(g.name), g.value.cast(to: Double.self), g.name)
                        checked += 1
                    }
                    for t in el.terms {
                        XCTAssertEqual(ld.row(.term(t.name), b), t.value.row(b).map(Double.init), t.name)
                        XCTAssertEqual(ld.term(t.name), t.value.cast(to: Double.self), t.name)
                        checked += 1
                    }
                    for (kind, nest) in [(LayerStateKind.before, el.stateBefore), (.computed, el.computedState), (.after, el.stateAfter)] {
                        let parts = ld.stateRows(kind, b)
                        XCTAssertEqual(parts.map(\.name), nest.flattened.count == 2 ? ["c", "h"] : ["h"])
                        for (name, values) in parts { XCTAssertEqual(ld.stateRow(kind, name, b), values) }
                    }
                    XCTAssertEqual(ld.stateRows(.computed, b).last?.values, el.computedState.flattened.last?.row(b).map(Double.init))
                }
            }
        }
        XCTAssertGreaterThan(checked, 100)
        XCTAssertNil(shown[0].layer(0)?.row(.gate("no such gate"), 0))
        XCTAssertNil(shown[0].layer(0)?.row(.input, 3), "a row past the batch")
    }

    /// Past every row's length no cell runs: the layer's state rows come from the kept state.
    func testStateRowsWithoutACellComeFromTheKeptState() throws {
        var spec = spec(dtype: .float64)
        spec.sequenceLength = [2, 1, 0]
        let model = try ExplorerModel.make(spec: spec, file: nil, baseDirectory: samples)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let frames = try model.session.frames(.forward, 0..<5)
        let last = try XCTUnwrap(frames.last)
        XCTAssertFalse(last.ran)
        for l in 0..<3 {
            let parts = try XCTUnwrap(last.stateRows(layer: l, layerCount: 3, row: 0))
            let kept = try XCTUnwrap(frames[1].layer(l)).stateRows(.after, 0)
            XCTAssertEqual(parts.map(\.name), kept.map(\.name))
            XCTAssertEqual(parts.map(\.values), kept.map(\.values), "layer \(l)")
        }
        XCTAssertNil(last.stateRows(layer: 3, layerCount: 3, row: 0))
    }

    /// Array names come from (direction, layer, quantity); the export writes the experiment's dtype.
    func testExportNamesArraysFromTheStructure() throws {
        typealias Key = Export.Key
        XCTAssertEqual(Key(direction: nil, layer: nil, quantity: .output).arrayName, "frames/output")
        XCTAssertEqual(Key(direction: .backward, layer: 1, quantity: .gate("cell output")).arrayName, "frames/bw/gates/cell_output/layer1")
        XCTAssertEqual(Key(direction: .forward, layer: 0, quantity: .computedState("c")).arrayName, "frames/fw/computed/c/layer0")
        XCTAssertEqual(Key(direction: nil, layer: 2, quantity: .term("f_pre")).arrayName, "frames/terms/f_pre/layer2")
        XCTAssertEqual(Key(direction: nil, layer: 2, quantity: .input).arrayName, "frames/x/layer2")
        XCTAssertEqual(Key(direction: .backward, layer: 0, quantity: .state("h")).csvName, "bw/h")
        XCTAssertEqual(Key(direction: nil, layer: 1, quantity: .state("h")).csvLayer(topLayer: 2), 1)
        XCTAssertEqual(Key(direction: nil, layer: nil, quantity: .output).csvLayer(topLayer: 2), 2)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-frames-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for dtype in [DType.float32, .float64] {
            let model = try ExplorerModel.make(spec: spec(dtype: dtype), file: nil, baseDirectory: samples)
            XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
            let path = dir.appendingPathComponent("\(dtype.rawValue).npz").path
            _ = try Export.write(session: model.session, to: path)
            let arrays = try Npz.read(URL(fileURLWithPath: path))
            let gate = try XCTUnwrap(arrays["frames/gates/cell_output/layer0"])
            XCTAssertEqual(gate.dtype, dtype == .float32 ? .float32 : .float64)
            XCTAssertEqual(arrays["frames/masked"]?.dtype, .int32)
            // Batch-major as the experiment: row 1, step 1 of the frames' own numbers.
            let f = try XCTUnwrap(model.session.frames(.forward, 1..<2).first)
            let width = 3, steps = 5
            let exported = gate.asDoubles()
            XCTAssertEqual(Array(exported[((1 * steps) + 1) * width..<((1 * steps) + 2) * width]), f.layer(0)?.row(.gate("cell output"), 1))
        }
    }
}
