import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// A test case that drives an `ExplorerApp` in a `MemoryTerminal`, key by key, as a user would.
class ExplorerAppTestCase: XCTestCase {
    func makeApp(width: Int = 80, height: Int = 24, colorMode: ColorMode = .palette256, unicode: Bool = true,
                 spec: ExperimentSpec? = nil) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: width, height: height,
                                      capabilities: TerminalCapabilities(colorMode: colorMode, unicode: unicode, mouse: true))
        let model = try spec.map { try ExplorerModel.make(spec: $0, file: nil, baseDirectory: URL(fileURLWithPath: NSTemporaryDirectory())) }
            ?? ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return (ExplorerApp(terminal: terminal, model: model), terminal)
    }

    func screen(_ app: ExplorerApp, _ terminal: MemoryTerminal) -> String {
        app.redraw()
        return terminal.screenText
    }

    func press(_ app: ExplorerApp, _ keys: Key...) {
        for k in keys { XCTAssertTrue(app.handle(k)) }
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 30))
    }

    func focus(_ app: ExplorerApp, _ pane: Pane) {
        while app.state.focus != pane { press(app, .tab) }
    }

}
