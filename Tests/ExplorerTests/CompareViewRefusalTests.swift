import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 3 in view 6: where the other framework cannot express the model, the view says so first and
/// plainly, and shows no outputs for it.
final class CompareViewRefusalTests: ExplorerAppTestCase {
    func testViewSixSaysPyTorchCannotRunAResetBeforeGRU() throws {
        for name in ["gru.json", "time_major.json"] {
            let (app, term) = try sampleApp(name)
            press(app, .char("6"))
            XCTAssertEqual(ConventionChoice.other(app.state), .keras)
            press(app, .char("6"))
            XCTAssertEqual(ConventionChoice.other(app.state), .torch)
            settle(app)
            let text = screen(app, term)
            XCTAssertTrue(text.contains("PyTorch cannot run this model"), text)
            XCTAssertTrue(text.contains("reset gate after"), text)
            XCTAssertFalse(text.contains("give the same"), text)
        }
    }

    func testViewSixSaysKerasHasNoPeepholes() throws {
        let (app, term) = try sampleApp("lstm_peephole_clip.json", width: 100, height: 32)
        press(app, .char("6"))
        settle(app)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("Keras cannot run this model"), text)
        XCTAssertTrue(text.contains("peepholes (use_peepholes)"), text)
        XCTAssertFalse(text.contains("first difference"), text)
    }
}
