import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// The explorer on exported ONNX graphs (../shared/conformance/models/onnx_*): a plain one-layer stack steps as
/// PyTorch's module, frame by frame, and its last frame's state is onnxruntime's h_n; a bidirectional two-layer
/// stack, which one direction's loop cannot show, is refused in one line saying why.
final class ONNXGraphExplorerTests: ExplorerAppTestCase {
    static func model(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance/models/\(name)")
    }

    func testAnExportedLSTMStepsFrameByFrame() throws {
        let url = Self.model("onnx_lstm_init.json")
        let model = try ExplorerModel.load(path: url.path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        XCTAssertNil(model.session.failure)
        XCTAssertEqual(model.session.spec.convention, .torch)
        XCTAssertEqual(model.session.maxTime, 4)
        let frames = try model.session.frames(.forward, 0..<4)
        XCTAssertEqual(frames.count, 4)
        // Stepping to the end gives the state onnxruntime's h_n holds.
        let hn = try XCTUnwrap(try Npz.read(Self.model("onnx_lstm_init.npz"))["expected/h_n"]).asDoubles()
        let app = ExplorerApp(terminal: MemoryTerminal(width: 100, height: 32, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true)),
                              model: model)
        XCTAssertFalse(app.state.message.contains("\n"))
        let session = try XCTUnwrap(model.session as? Session<Float>)
        let last = try XCTUnwrap(session.runs.first).frames(3..<4).first
        let h = try XCTUnwrap(last).state
        guard case let .lstm(_, ht) = h else { return XCTFail("not an LSTM state") }
        for (a, b) in zip(ht.scalars, hn) { XCTAssertEqual(Double(a), b, accuracy: 1e-5) }
    }

    func testABidirectionalStackSaysInOneLineWhyItCannotBeStepped() {
        XCTAssertThrowsError(try ExplorerModel.load(path: Self.model("onnx_gru_bidir2.json").path)) { e in
            XCTAssertTrue("\(e)".contains("needs a single layer"), "\(e)")
            XCTAssertFalse("\(e)".contains("\n"), "\(e)")
        }
    }
}
