import Experiment
import Foundation
import RNNEngine
import XCTest

/// Every ONNX case onnxruntime 1.32 computed (../shared/conformance/onnx) through the experiment loader, as
/// `unroll run` writes them (`Y`, `Y_h`, `Y_c`), 1e-5 for float32.
final class ONNXConformanceTests: XCTestCase {
    static var directory: URL {
        ConformanceCases.directory.deletingLastPathComponent().appendingPathComponent("onnx")
    }

    /// Each case's `.onnx` model-file form (`NAME_file.json`, `"model": "NAME.onnx"`, issue 17 item 3).
    static func isModelFileCase(_ url: URL) -> Bool { url.deletingPathExtension().lastPathComponent.hasSuffix("_file") }

    func testEveryONNXExperimentCaseMatches() throws {
        let all = try FrameworkConformanceTests.cases(in: Self.directory)
        let experiments = all.filter { !Self.isModelFileCase($0) }, modelFiles = all.filter(Self.isModelFileCase)
        XCTAssertGreaterThanOrEqual(experiments.count, 18, "expected the 18 public onnx experiment cases at least")
        for op in ["onnx_lstm_", "onnx_gru_", "onnx_rnn_"] {
            XCTAssertTrue(experiments.contains { $0.lastPathComponent.hasPrefix(op) }, op)
        }
        try FrameworkConformanceTests.check(experiments)
        // Every case also comes as its .onnx model file, and runs to the same results.
        XCTAssertEqual(modelFiles.count, experiments.count, "each case also comes as its .onnx model file")
        try FrameworkConformanceTests.check(modelFiles)
    }

    /// A lone reverse pass steps through as the backward direction (what the explorer's loop shows): stepping it
    /// to the end gives the run's `Y_h`.
    func testAReversePassStepsBackward() throws {
        for name in ["onnx_gru_reverse_layout1_init", "onnx_lstm_reverse_layout1_lens"] {
            let url = Self.directory.appendingPathComponent(name + ".json")
            let loaded = try ExperimentLoader.load(try ExperimentLoader.readSpec(url), file: name, baseDirectory: Self.directory, as: Float.self)
            let loop = try loaded.makeLoop()
            var state = loop.initialState
            for t in 0..<loop.maxTime { state = try loop.step(from: state, at: t).state }
            let h: Tensor<Float>
            switch state {
            case let .leaf(t): h = t
            case let .lstm(_, t): h = t
            case .tuple: return XCTFail("\(name): nested state")
            }
            let yh = try XCTUnwrap(try loaded.run().namedArrays().first { $0.0 == "Y_h" }?.1).tensor(Float.self, name: "Y_h")
            XCTAssertEqual(yh.shape, [h.shape[0], 1, h.shape[1]], name)   // layout 1: [batch, num_directions, H]
            for (a, b) in zip(h.scalars, yh.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6, name) }
        }
    }

    /// Each case's weights and initial state, loaded and written back under ONNX's names (both directions stacked
    /// on `num_directions`), are the arrays the case gives: zeros where the node has no `B` or `initial_c`.
    func testWeightsAndInitialStatesWriteBackAsGiven() throws {
        let experiments = try FrameworkConformanceTests.cases(in: Self.directory).filter { !Self.isModelFileCase($0) }
        XCTAssertGreaterThanOrEqual(experiments.count, 18)
        for url in experiments {
            let spec = try ExperimentLoader.readSpec(url)
            let loaded = try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
            let given = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            var written = try loaded.weightArrays()
            if spec.initialState != nil { written += try loaded.initialStateArrays() }
            let name = url.lastPathComponent
            for (key, array) in written {
                if let g = given[key] {
                    XCTAssertEqual(array, g, "\(name): \(key)")
                } else {
                    XCTAssertTrue(["B", "initial_state/initial_c"].contains(key), "\(name): \(key) written but not given")
                    XCTAssertTrue(try array.tensor(Float.self, name: key).scalars.allSatisfy { $0 == 0 }, "\(name): \(key)")
                }
            }
            for key in given.keys where ["W", "R", "B", "P", "initial_state/initial_h", "initial_state/initial_c"].contains(key) {
                XCTAssertTrue(written.contains { $0.0 == key }, "\(name): \(key) given but not written")
            }
        }
    }
}
