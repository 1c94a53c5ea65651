import XCTest
@testable import RNNEngine

/// `CellSpec` sizes and parameter counts, by hand from TF's variable shapes, and against the cells it builds.
final class CellSpecTests: XCTestCase {
    let depth = 3
    let proj = LSTMOptions(usePeepholes: true, numProj: 2)

    func testStateAndOutputSizes() throws {
        let cases: [(CellSpec, Nest<Int>, Int)] = [
            (.basicRNN(numUnits: 5, activation: .tanh), .leaf(5), 5),
            (.basicLSTM(numUnits: 4, forgetBias: 1, activation: .tanh), .lstm(c: 4, h: 4), 4),
            (.lstm(numUnits: 4, options: LSTMOptions()), .lstm(c: 4, h: 4), 4),
            (.lstm(numUnits: 4, options: proj), .lstm(c: 4, h: 2), 2),
            (.gru(numUnits: 6, activation: .relu), .leaf(6), 6),
            (.multi([.gru(numUnits: 4, activation: .tanh), .lstm(numUnits: 3, options: proj)]), .tuple([.leaf(4), .lstm(c: 3, h: 2)]), 2),
            (.residual(.basicRNN(numUnits: 3, activation: .tanh)), .leaf(3), 3),
            (.dropout(.basicLSTM(numUnits: 2, forgetBias: 1, activation: .tanh), DropoutOptions(inputKeepProb: 0.5)), .lstm(c: 2, h: 2), 2),
        ]
        for (spec, state, output) in cases {
            XCTAssertEqual(spec.stateSize, state, spec.summary)
            XCTAssertEqual(spec.outputSize, output, spec.summary)
            let cell = try spec.makeCell(store: VariableStore<Float>())
            XCTAssertEqual(cell.stateSize, state, spec.summary)
            XCTAssertEqual(cell.outputSize, output, spec.summary)
        }
    }

    func testParameterCountsByHand() {
        // basic_rnn(5), depth 3: kernel [3+5, 5] + bias [5] = 40 + 5.
        XCTAssertEqual(CellSpec.basicRNN(numUnits: 5, activation: .tanh).parameterCount(inputDepth: depth), 45)
        // basic_lstm(4): kernel [3+4, 16] + bias [16] = 112 + 16.
        XCTAssertEqual(CellSpec.basicLSTM(numUnits: 4, forgetBias: 1, activation: .tanh).parameterCount(inputDepth: depth), 128)
        XCTAssertEqual(CellSpec.lstm(numUnits: 4, options: LSTMOptions()).parameterCount(inputDepth: depth), 128)
        // lstm(4, peepholes, num_proj 2): kernel [3+2, 16] = 80, bias 16, peepholes 3·4 = 12, projection [4, 2] = 8.
        XCTAssertEqual(CellSpec.lstm(numUnits: 4, options: proj).parameterCount(inputDepth: depth), 116)
        // gru(4): gates [7, 8] = 56 + 8, candidate [7, 4] = 28 + 4.
        XCTAssertEqual(CellSpec.gru(numUnits: 4, activation: .tanh).parameterCount(inputDepth: depth), 96)
        // multi(gru(4), lstm(3, peepholes, proj 2)) on depth 3: 96 + (kernel [4+2, 12] = 72, bias 12, peepholes 9, proj [3, 2] = 6).
        XCTAssertEqual(CellSpec.multi([.gru(numUnits: 4, activation: .tanh), .lstm(numUnits: 3, options: proj)])
            .parameterCount(inputDepth: depth), 96 + 99)
        // Wrappers add nothing: residual(basic_rnn(3)) = [6, 3] + 3.
        XCTAssertEqual(CellSpec.residual(.basicRNN(numUnits: 3, activation: .tanh)).parameterCount(inputDepth: depth), 21)
        XCTAssertEqual(CellSpec.dropout(.gru(numUnits: 4, activation: .tanh), DropoutOptions()).parameterCount(inputDepth: depth), 96)
    }

    func testParameterCountEqualsTheVariablesTheCellRequests() throws {
        let specs: [CellSpec] = [
            .basicRNN(numUnits: 5, activation: .tanh), .basicLSTM(numUnits: 4, forgetBias: 1, activation: .tanh),
            .lstm(numUnits: 4, options: proj), .lstm(numUnits: 3, options: LSTMOptions(cellClip: 1)), .gru(numUnits: 4, activation: .tanh),
            .multi([.gru(numUnits: 4, activation: .tanh), .lstm(numUnits: 3, options: proj), .basicRNN(numUnits: 2, activation: .relu)]),
            .dropout(.residual(.basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh)), DropoutOptions()),
        ]
        for spec in specs {
            let store = VariableStore<Float>(missing: .initialize(seed: 1))
            try spec.makeCell(store: store).build(inputDepth: depth, scope: "rnn")
            let total = store.requests.reduce(0) { $0 + $1.expectedShape.reduce(1, *) }
            XCTAssertEqual(spec.parameterCount(inputDepth: depth), total, spec.summary)
        }
    }

    func testVariableNamesOfAStack() throws {
        let store = VariableStore<Float>(missing: .initialize(seed: 1))
        let spec = CellSpec.multi([.dropout(.basicLSTM(numUnits: 2, forgetBias: 1, activation: .tanh), DropoutOptions()),
                                   .residual(.gru(numUnits: 2, activation: .tanh))])
        try spec.makeCell(store: store).build(inputDepth: 2, scope: "rnn")
        XCTAssertEqual(store.requests.map(\.name), [
            "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel", "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
            "rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel", "rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias",
            "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel", "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias",
        ])
    }

    func testTypeNamesAndSummaries() {
        XCTAssertEqual(CellSpec.gru(numUnits: 1, activation: .tanh).typeName, "gru")
        XCTAssertEqual(CellSpec.basicRNN(numUnits: 1, activation: .tanh).typeName, "basic_rnn")
        XCTAssertEqual(CellSpec.lstm(numUnits: 4, options: proj).summary, "lstm(4, peepholes, num_proj=2)")
        XCTAssertEqual(CellSpec.multi([.gru(numUnits: 3, activation: .relu), .basicRNN(numUnits: 2, activation: .tanh)]).summary,
                       "multi[gru(3, relu), basic_rnn(2)]")
        XCTAssertEqual(CellSpec.multi([.gru(numUnits: 3, activation: .relu), .basicRNN(numUnits: 2, activation: .tanh)]).numUnits, 2)
        XCTAssertEqual(CellSpec.residual(.gru(numUnits: 3, activation: .tanh)).layers.count, 1)
    }
}
