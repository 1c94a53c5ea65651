import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

extension ExplorerAppTestCase {
    /// An app on `samples/<name>` in a `MemoryTerminal` (its forward pass done), as `unroll samples/<name>` opens it.
    func sampleApp(_ name: String, width: Int = 80, height: Int = 24, colorMode: ColorMode = .palette256,
                   unicode: Bool = true) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: width, height: height,
                                      capabilities: TerminalCapabilities(colorMode: colorMode, unicode: unicode, mouse: true))
        let model = try ExplorerModel.load(path: BackwardViewTests.samples.appendingPathComponent(name).path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return (ExplorerApp(terminal: terminal, model: model, clock: clock), terminal)
    }

    /// Every frame the app's session computed in direction `d` (the numbers behind the screens).
    func allFrames(_ app: ExplorerApp, _ d: Direction = .forward) throws -> [FrameData] {
        try app.model.session.frames(d, 0..<app.model.session.maxTime)
    }
}
