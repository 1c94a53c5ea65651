import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 10: the Shapes pane lists each layer's weights with their shapes (the engine's variables).
final class ShapesPaneWeightsTests: ExplorerAppTestCase {
    func testEachLayerListsItsWeights() throws {
        let (app, term) = try sampleApp("mixed_stack.json", width: 120, height: 50)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("L0 weights  kernel=[13, 32], bias=[32]"), text)
        XCTAssertTrue(text.contains("L2 weights  kernel=[10, 4], bias=[4]"), text)
        XCTAssertTrue(text.contains("gates/kernel=[14, 12]"), text)
        // The shapes are those of the arrays the cells use.
        let arrays = Dictionary(try app.model.session.weightArrays(), uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(arrays["rnn/multi_rnn_cell/cell_0/lstm_cell/kernel"]?.shape, [13, 32])
        XCTAssertEqual(arrays["rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel"]?.shape, [14, 12])
        let lines = ShapesPane.lines(state: app.state, inputShape: app.model.session.inputShape, weights: app.model.session.weightShapes)
        XCTAssertEqual(lines.filter { $0.0.hasSuffix(" weights") }.map(\.0), ["L0 weights", "L1 weights", "L2 weights"])
    }
}
