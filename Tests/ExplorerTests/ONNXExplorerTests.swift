import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// `C` on an onnx experiment: conversions to and from onnx are not supported yet, refused in one line.
final class ONNXExplorerTests: ExplorerAppTestCase {
    func testSwitchingAnONNXExperimentsConventionIsRefused() throws {
        let url = Self.onnxCase("onnx_lstm_fwd.json")
        let model = try ExplorerModel.load(path: url.path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: MemoryTerminal(width: 100, height: 32, capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true)),
                              model: model)
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .onnx)
        XCTAssertTrue(app.state.message.hasPrefix("refused: "), app.state.message)
        XCTAssertTrue(app.state.message.contains("conversions to and from onnx are not supported yet"), app.state.message)
        XCTAssertFalse(app.state.message.contains("\n"), app.state.message)
        // The comparison view's cycle never reaches onnx; C's tries every convention in turn.
        XCTAssertEqual(ConventionChoice.next(after: .torch), .tf)
        XCTAssertEqual(ConventionChoice.cycle(after: .torch), .onnx)
        XCTAssertEqual(ConventionChoice.cycle(after: .onnx), .tf)
        XCTAssertEqual(ConventionChoice.next(after: .onnx), .keras)
    }

    /// A case of ../shared/conformance/onnx.
    static func onnxCase(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/conformance/onnx/\(name)")
    }
}
