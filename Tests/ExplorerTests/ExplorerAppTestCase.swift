import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// A test case that drives an `ExplorerApp` in a `MemoryTerminal`, key by key, as a user would. Its apps read
/// `clock`, which moves only when a test advances it.
class ExplorerAppTestCase: XCTestCase {
    var clock = ManualClock()

    func makeApp(width: Int = 80, height: Int = 24, colorMode: ColorMode = .palette256, unicode: Bool = true,
                 spec: ExperimentSpec? = nil) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: width, height: height,
                                      capabilities: TerminalCapabilities(colorMode: colorMode, unicode: unicode, mouse: true))
        let model = try spec.map { try ExplorerModel.make(spec: $0, file: nil, baseDirectory: URL(fileURLWithPath: NSTemporaryDirectory())) }
            ?? ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return (ExplorerApp(terminal: terminal, model: model, clock: clock), terminal)
    }

    func screen(_ app: ExplorerApp, _ terminal: MemoryTerminal) -> String {
        app.redraw()
        return terminal.screenText
    }

    func press(_ app: ExplorerApp, _ keys: Key...) {
        for k in keys { XCTAssertTrue(app.handle(k)) }
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 30))
    }

    /// Applies the background jobs' messages until every job has ended (sweeps, comparisons, opens).
    func settle(_ app: ExplorerApp, timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(app.settle(timeout: timeout), "background jobs still running after \(timeout) s", file: file, line: line)
    }

    func focus(_ app: ExplorerApp, _ pane: Pane) {
        while app.state.focus != pane { press(app, .tab) }
    }

}
