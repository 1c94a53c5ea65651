import Experiment
import RNNEngine
import XCTest

/// Each pass of an experiment: its cell, weight scope and array names, as TF's (bidirectional_)dynamic_rnn names them.
final class ExperimentDirectionsTests: XCTestCase {
    let fw = CellSpec.gru(numUnits: 3, activation: .tanh)
    let bw = CellSpec.basicRNN(numUnits: 2, activation: .relu)

    func testUnidirectionalHasOnePassUnderRnn() {
        let spec = ExperimentSpec(name: "one", cell: fw)
        XCTAssertEqual(spec.directions, [.forward])
        XCTAssertEqual(spec.scope, "rnn")
        XCTAssertEqual(spec.scope(for: .forward), "rnn")
        XCTAssertEqual(spec.arrayName("outputs", for: .forward), "outputs")
        XCTAssertEqual(spec.arrayName("initial_state", for: .forward), "initial_state")
    }

    func testBidirectionalPassesAreFwAndBwWithIndexedArrays() {
        var spec = ExperimentSpec(name: "two", cell: fw, bidirectional: true)
        XCTAssertEqual(spec.directions, [.forward, .backward])
        XCTAssertEqual(spec.scope, "bidirectional_rnn")
        XCTAssertEqual(spec.scope(for: .forward), "bidirectional_rnn/fw")
        XCTAssertEqual(spec.scope(for: .backward), "bidirectional_rnn/bw")
        XCTAssertEqual(spec.arrayName("state", for: .forward), "state/0")
        XCTAssertEqual(spec.arrayName("initial_state", for: .backward), "initial_state/1")
        XCTAssertEqual(spec.cell(for: .backward), fw, "cell_bw defaults to cell")
        spec.cellBackward = bw
        XCTAssertEqual(spec.cell(for: .backward), bw)
        XCTAssertEqual(spec.cell(for: .forward), fw)
    }
}
