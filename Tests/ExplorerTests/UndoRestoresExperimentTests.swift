import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 2: undo and redo go back to exactly the experiment before each edit (data layout, weights),
/// whatever came between (a time_major toggle, a deleted layer with given weights).
final class UndoRestoresExperimentTests: ExplorerAppTestCase {
    /// What must come back: the spec, the inputs as laid out, and every number of the run.
    struct Seen: Equatable {
        let spec: ExperimentSpec
        let inputShape: [Int]
        let batchSize: Int
        let maxTime: Int
        let outputs: [[Double]]
        let states: [[Double]]
    }

    func seen(_ app: ExplorerApp) throws -> Seen {
        let s = app.model.session
        let frames = try allFrames(app)
        XCTAssertEqual(app.state.spec, s.spec)
        XCTAssertEqual(app.state.batchSize, s.batchSize)
        XCTAssertEqual(app.state.maxTime, s.maxTime)
        return Seen(spec: s.spec, inputShape: s.inputShape, batchSize: s.batchSize, maxTime: s.maxTime,
                    outputs: frames.map { $0.output.scalars }, states: frames.map { $0.state.flattened.flatMap(\.scalars) })
    }

    func testUndoAfterTimeMajorToggleRestoresTheLayout() throws {
        let (app, term) = try sampleApp("basic_rnn.json")
        focus(app, .sequences)
        let original = try seen(app)
        press(app, .char("-"))
        let shortened = try seen(app)
        XCTAssertNotEqual(shortened.spec.sequenceLength, original.spec.sequenceLength)
        press(app, .char("t"))
        let transposed = try seen(app)
        XCTAssertEqual(transposed.inputShape, [original.inputShape[1], original.inputShape[0], original.inputShape[2]])
        press(app, .char("u"))
        XCTAssertEqual(try seen(app), shortened, app.state.message)
        let text = screen(app, term)
        XCTAssertFalse(app.state.messageIsError, text)
        press(app, .char("u"))
        XCTAssertEqual(try seen(app), original, app.state.message)
        press(app, .ctrl("r"))
        XCTAssertEqual(try seen(app), shortened, app.state.message)
        press(app, .ctrl("r"))
        XCTAssertEqual(try seen(app), transposed, app.state.message)
        press(app, .char("u"), .char("u"))
        XCTAssertEqual(try seen(app), original, app.state.message)
    }

    func testTwoLengthEditsThenToggleUndoWithoutGettingStuck() throws {
        let (app, _) = try sampleApp("basic_rnn.json")
        focus(app, .sequences)
        let original = try seen(app)
        press(app, .char("-"), .char("-"), .char("t"))
        for _ in 0..<3 {
            press(app, .char("u"))
            XCTAssertFalse(app.state.messageIsError, app.state.message)
        }
        XCTAssertEqual(try seen(app), original)
        press(app, .char("u"))
        XCTAssertEqual(app.state.message, "nothing to undo")
    }

    func testUndoOfADeletedLayerBringsItsGivenWeightsBack() throws {
        let (app, _) = try sampleApp("mixed_stack.json")
        focus(app, .stack)
        let original = try seen(app)
        press(app, .down, .delete)
        XCTAssertEqual(app.state.spec.cell.layers.count, 2)
        press(app, .char("u"))
        XCTAssertEqual(try seen(app), original, app.state.message)
        let weights = try app.model.session.weightArrays()
        let loaded = try ExperimentLoader.load(try ExperimentLoader.readSpec(BackwardViewTests.samples.appendingPathComponent("mixed_stack.json")),
                                               file: "mixed_stack.json", baseDirectory: BackwardViewTests.samples, as: Float.self)
        XCTAssertEqual(weights.map(\.0), try loaded.weightArrays().map(\.0))
        XCTAssertEqual(weights.map(\.1), try loaded.weightArrays().map(\.1))
    }
}
