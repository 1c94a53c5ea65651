import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 5: a stack edit keeps the given weights of every layer it does not change (renamed to the
/// layer's new place), seeds only new layers, and says which, layer by layer.
final class StackEditKeepsWeightsTests: ExplorerAppTestCase {
    func layerOutputs(_ app: ExplorerApp, layer: Int) throws -> [[Double]] {
        try allFrames(app).map { f in f.layers.first { $0.layer == layer }?.cellOutput.scalars ?? [] }
    }

    func weights(_ app: ExplorerApp) throws -> [String: NumpyArray] {
        Dictionary(try app.model.session.weightArrays(), uniquingKeysWith: { a, _ in a })
    }

    func testAddingALayerKeepsLayerZerosWeightsAndOutputs() throws {
        let (app, _) = try sampleApp("basic_rnn.json", width: 100, height: 32)
        focus(app, .stack)
        let before = try layerOutputs(app, layer: 0)
        let given = try weights(app)
        press(app, .char("a"))
        XCTAssertEqual(app.state.spec.cell.layers.count, 2)
        XCTAssertTrue(app.state.message.contains("layer 0 keeps its 2 given weights; layer 1 (new): 2 weights from seed 0"), app.state.message)
        XCTAssertEqual(try layerOutputs(app, layer: 0), before)
        let now = try weights(app)
        XCTAssertEqual(now["rnn/multi_rnn_cell/cell_0/basic_rnn_cell/kernel"], given["rnn/basic_rnn_cell/kernel"])
        XCTAssertEqual(now["rnn/multi_rnn_cell/cell_0/basic_rnn_cell/bias"], given["rnn/basic_rnn_cell/bias"])
    }

    func testInsertingInAStackMovesTheLaterLayersWeights() throws {
        let (app, _) = try sampleApp("mixed_stack.json", width: 100, height: 32)
        focus(app, .stack)
        let given = try weights(app)
        let lstm = try layerOutputs(app, layer: 0)
        press(app, .char("a"))
        XCTAssertEqual(app.state.spec.cell.layers.map(\.summary), ["lstm(8)", "lstm(8)", "gru(6)", "basic_rnn(4)"])
        let m = app.state.message
        for part in ["layer 0 keeps its 2 given weights", "layer 1 (new): 2 weights from seed 0",
                     "layer 2 (was 1) keeps its 4 given weights", "layer 3 (was 2) keeps its 2 given weights"] {
            XCTAssertTrue(m.contains(part), m)
        }
        XCTAssertEqual(try layerOutputs(app, layer: 0), lstm)
        let now = try weights(app)
        for (old, new) in [(1, 2), (2, 3)] {
            let moved = given.filter { $0.key.hasPrefix("rnn/multi_rnn_cell/cell_\(old)/") }
            XCTAssertFalse(moved.isEmpty)
            for (name, array) in moved {
                XCTAssertEqual(now[name.replacingOccurrences(of: "cell_\(old)/", with: "cell_\(new)/")], array, name)
            }
        }
        // Undo brings the stack and its weights back as they were.
        press(app, .char("u"))
        XCTAssertEqual(try weights(app), given)
    }
}
