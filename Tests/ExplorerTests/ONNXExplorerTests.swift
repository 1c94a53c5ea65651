import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// `C` on an onnx experiment: it converts to the next convention (tf), and back to onnx in its turn.
final class ONNXExplorerTests: ExplorerAppTestCase {
    func testSwitchingAnONNXExperimentsConventionConverts() throws {
        let url = Self.onnxCase("onnx_lstm_fwd.json")
        let model = try ExplorerModel.load(path: url.path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: MemoryTerminal(width: 100, height: 32, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true)),
                              model: model)
        press(app, .char("C"))
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        XCTAssertEqual(app.state.spec.convention, .tf, app.state.message)
        XCTAssertFalse(app.state.message.hasPrefix("refused: "), app.state.message)
        XCTAssertEqual(app.state.spec.cell.unwrappedLayer?.kind, .lstm)
        // Both cycles reach onnx and come back to tf.
        XCTAssertEqual(ConventionChoice.next(after: .torch), .onnx)
        XCTAssertEqual(ConventionChoice.cycle(after: .torch), .onnx)
        XCTAssertEqual(ConventionChoice.cycle(after: .onnx), .tf)
        XCTAssertEqual(ConventionChoice.next(after: .onnx), .tf)
    }

    /// A case of ../shared/conformance/onnx.
    static func onnxCase(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance/onnx/\(name)")
    }
}
