import XCTest
@testable import RNNEngine

/// Each error `dynamic_rnn` and the cells raise, with the exact `RNNError` case.
final class ErrorTests: XCTestCase {
    func rnnCell(_ n: Int = 2, store: VariableStore<Float> = VariableStore()) throws -> BasicRNNCell<Float> {
        try BasicRNNCell(numUnits: n, store: store)
    }

    func isCase(_ e: RNNError, _ name: String) -> Bool {
        switch (e, name) {
        case (.mismatchedInputs, "mismatchedInputs"), (.badSequenceLength, "badSequenceLength"),
             (.badInitialState, "badInitialState"), (.invalidCell, "invalidCell"), (.dtypeMismatch, "dtypeMismatch"),
             (.invalidArgument, "invalidArgument"), (.invalidShape, "invalidShape"):
            return true
        default: return false
        }
    }

    func expect<T>(_ name: String, containing parts: [String] = [], _ body: @autoclosure () throws -> T,
                   file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected \(name), nothing was thrown", file: file, line: line)
        } catch let e as RNNError {
            XCTAssertTrue(isCase(e, name), "expected \(name), got \(e)", file: file, line: line)
            for p in parts { XCTAssertTrue(e.description.contains(p), "\(e.description) should mention \(p)", file: file, line: line) }
        } catch {
            XCTFail("expected \(name), got \(error)", file: file, line: line)
        }
    }

    let x: Tensor<Float> = Tensor(zeros: [2, 3, 4])

    func testEmptyInputs() throws {
        assertThrows(.emptyInputs, try dynamicRNN(cell: rnnCell(), inputs: Nest<Tensor<Float>>.tuple([]), dtype: .float32))
        assertThrows(.emptyInputs, try dynamicRNN(cell: rnnCell(), inputs: Nest<Tensor<Float>>.tuple([.tuple([]), .tuple([])]),
                                                  dtype: .float32))
    }

    func testNoDTypeAndNoInitialState() throws {
        assertThrows(.missingDType, try dynamicRNN(cell: rnnCell(), inputs: x))
        // With an initial state, dtype may be omitted.
        XCTAssertNoThrow(try dynamicRNN(cell: rnnCell(), inputs: x, initialState: .leaf(Tensor(zeros: [2, 2]))))
    }

    func testDTypeMismatch() throws {
        expect("dtypeMismatch", containing: ["float64", "float32"], try dynamicRNN(cell: rnnCell(), inputs: x, dtype: .float64))
        let d = try BasicRNNCell<Double>(numUnits: 2, store: VariableStore())
        expect("dtypeMismatch", try dynamicRNN(cell: d, inputs: Tensor<Double>(zeros: [2, 3, 4]), dtype: .float32))
    }

    func testRankTwoInputs() throws {
        assertThrows(.inputRankTooLow(path: "", shape: [2, 3]),
                     try dynamicRNN(cell: rnnCell(), inputs: Tensor<Float>(zeros: [2, 3]), dtype: .float32))
        assertThrows(.inputRankTooLow(path: "1", shape: [2]),
                     try dynamicRNN(cell: rnnCell(), inputs: .tuple([.leaf(x), .leaf(Tensor(zeros: [2]))]), dtype: .float32))
    }

    func testMismatchedTimeAcrossNestedInputs() throws {
        expect("mismatchedInputs", containing: ["Time steps"],
               try dynamicRNN(cell: rnnCell(), inputs: .tuple([.leaf(x), .leaf(Tensor(zeros: [2, 5, 4]))]), dtype: .float32))
        // Time-major: time is the first axis.
        expect("mismatchedInputs", containing: ["Time steps"],
               try dynamicRNN(cell: rnnCell(), inputs: .tuple([.leaf(x), .leaf(Tensor(zeros: [3, 3, 4]))]), dtype: .float32,
                              timeMajor: true))
    }

    func testMismatchedBatchAcrossNestedInputs() throws {
        expect("mismatchedInputs", containing: ["Batch_size"],
               try dynamicRNN(cell: rnnCell(), inputs: .tuple([.leaf(x), .leaf(Tensor(zeros: [5, 3, 4]))]), dtype: .float32))
        expect("mismatchedInputs", containing: ["Batch_size"],
               try dynamicRNN(cell: rnnCell(), inputs: .tuple([.leaf(x), .leaf(Tensor(zeros: [2, 5, 4]))]), dtype: .float32,
                              timeMajor: true))
    }

    func testSequenceLengthOfWrongLength() throws {
        expect("badSequenceLength", containing: ["2"], try dynamicRNN(cell: rnnCell(), inputs: x, sequenceLength: [1, 2, 3], dtype: .float32))
        expect("badSequenceLength", try dynamicRNN(cell: rnnCell(), inputs: x, sequenceLength: [], dtype: .float32))
        // Time-major: the batch is the second axis (3 rows here).
        expect("badSequenceLength", try dynamicRNN(cell: rnnCell(), inputs: x, sequenceLength: [1, 2], dtype: .float32, timeMajor: true))
        XCTAssertNoThrow(try dynamicRNN(cell: rnnCell(), inputs: x, sequenceLength: [1, 2, 3], dtype: .float32, timeMajor: true))
    }

    func testInitialStateWrongStructure() throws {
        let lstm = try BasicLSTMCell<Float>(numUnits: 2, store: VariableStore())
        expect("badInitialState", containing: ["LSTMStateTuple"],
               try dynamicRNN(cell: lstm, inputs: x, initialState: .leaf(Tensor(zeros: [2, 2]))))
        let multi = try MultiRNNCell<Float>([rnnCell(), rnnCell()])
        expect("badInitialState", try dynamicRNN(cell: multi, inputs: x, initialState: .tuple([.leaf(Tensor(zeros: [2, 2]))])))
        expect("badInitialState", try dynamicRNN(cell: rnnCell(), inputs: x,
                                                 initialState: .lstm(c: Tensor(zeros: [2, 2]), h: Tensor(zeros: [2, 2]))))
    }

    func testInitialStateWrongShape() throws {
        let lstm = try LSTMCell<Float>(numUnits: 3, options: LSTMOptions(numProj: 2), store: VariableStore())
        // h must be [batch, num_proj] = [2, 2].
        expect("badInitialState", containing: ["initial_state/h", "[2, 2]", "[2, 3]"],
               try dynamicRNN(cell: lstm, inputs: x, initialState: .lstm(c: Tensor(zeros: [2, 3]), h: Tensor(zeros: [2, 3]))))
        // Wrong batch.
        expect("badInitialState", containing: ["[2, 2]", "[3, 2]"],
               try dynamicRNN(cell: rnnCell(), inputs: x, initialState: .leaf(Tensor(zeros: [3, 2]))))
        // Rank 1.
        expect("badInitialState", try dynamicRNN(cell: rnnCell(), inputs: x, initialState: .leaf(Tensor(zeros: [4]))))
        // Nested path in a stack.
        let multi = try MultiRNNCell<Float>([rnnCell(), BasicLSTMCell(numUnits: 2, store: VariableStore())])
        expect("badInitialState", containing: ["initial_state/1/c"],
               try dynamicRNN(cell: multi, inputs: x, initialState: .tuple([.leaf(Tensor(zeros: [2, 2])),
                                                                              .lstm(c: Tensor(zeros: [2, 5]), h: Tensor(zeros: [2, 2]))])))
    }

    func testResidualShapeMismatch() throws {
        let cell = ResidualWrapper<Float>(try rnnCell(2))
        assertThrows(.residualShapeMismatch(inputDepth: 4, outputDepth: 2), try dynamicRNN(cell: cell, inputs: x, dtype: .float32))
        XCTAssertNoThrow(try dynamicRNN(cell: ResidualWrapper<Float>(try rnnCell(4)), inputs: x, dtype: .float32))
    }

    func testMissingWeightWithFailPolicy() throws {
        let store = VariableStore<Float>(missing: .fail)
        assertThrows(.missingWeight(name: "rnn/basic_rnn_cell/kernel", expected: [6, 2]),
                     try dynamicRNN(cell: rnnCell(2, store: store), inputs: x, dtype: .float32))
        // Kernel given, bias missing.
        let store2 = VariableStore<Float>(arrays: ["scope/gru_cell/gates/kernel": Tensor(zeros: [7, 6])], missing: .fail)
        assertThrows(.missingWeight(name: "scope/gru_cell/gates/bias", expected: [6]),
                     try dynamicRNN(cell: GRUCell(numUnits: 3, store: store2), inputs: x, dtype: .float32, scope: "scope"))
    }

    func testWrongShapedKernelNamesExpectedAndFound() throws {
        let store = VariableStore<Float>(arrays: ["rnn/basic_lstm_cell/kernel": Tensor(zeros: [5, 8])], missing: .fail)
        // input depth 4 + 2 units = 6 rows.
        assertThrows(.weightShape(name: "rnn/basic_lstm_cell/kernel", expected: [6, 8], found: [5, 8]),
                     try dynamicRNN(cell: BasicLSTMCell(numUnits: 2, store: store), inputs: x, dtype: .float32))
        let store2 = VariableStore<Float>(arrays: ["rnn/lstm_cell/kernel": Tensor(zeros: [6, 12]), "rnn/lstm_cell/bias": Tensor(zeros: [12]),
                                                   "rnn/lstm_cell/projection/kernel": Tensor(zeros: [2, 3])], missing: .fail)
        assertThrows(.weightShape(name: "rnn/lstm_cell/projection/kernel", expected: [3, 2], found: [2, 3]),
                     try dynamicRNN(cell: LSTMCell(numUnits: 3, options: LSTMOptions(numProj: 2), store: store2), inputs: x, dtype: .float32))
        let e = RNNError.weightShape(name: "k", expected: [6, 8], found: [5, 8])
        XCTAssertTrue(e.description.contains("[5, 8]") && e.description.contains("[6, 8]"))
    }

    func testNumUnitsZeroOrNegative() throws {
        let s = VariableStore<Float>()
        for n in [0, -1] {
            expect("invalidCell", containing: ["num_units"], try BasicRNNCell(numUnits: n, store: s))
            expect("invalidCell", containing: ["num_units"], try BasicLSTMCell(numUnits: n, store: s))
            expect("invalidCell", containing: ["num_units"], try LSTMCell(numUnits: n, store: s))
            expect("invalidCell", containing: ["num_units"], try GRUCell(numUnits: n, store: s))
            expect("invalidCell", try CellSpec.gru(numUnits: n, activation: .tanh).makeCell(store: s))
        }
        expect("invalidCell", containing: ["num_proj"], try LSTMCell(numUnits: 2, options: LSTMOptions(numProj: 0), store: s))
        expect("invalidCell", containing: ["cell_clip"], try LSTMCell(numUnits: 2, options: LSTMOptions(cellClip: -1), store: s))
        expect("invalidCell", containing: ["proj_clip"], try LSTMCell(numUnits: 2, options: LSTMOptions(numProj: 1, projClip: -0.5), store: s))
    }

    func testEmptyMultiRNNCell() throws {
        expect("invalidCell", try MultiRNNCell<Float>([]))
        expect("invalidCell", try CellSpec.multi([]).makeCell(store: VariableStore<Float>()))
    }

    func testNegativeParallelIterations() throws {
        // TF's while_loop: "'parallel_iterations' must be a positive integer."
        expect("invalidArgument", containing: ["parallel_iterations"],
               try dynamicRNN(cell: rnnCell(), inputs: x, dtype: .float32, parallelIterations: -1))
    }

    func testParallelIterationsZeroMeansTheDefaultAsInTF() throws {
        // TF's dynamic_rnn does `parallel_iterations = parallel_iterations or 32`, so 0 runs like the default.
        let r = try dynamicRNN(cell: rnnCell(), inputs: x, dtype: .float32, parallelIterations: 0)
        let d = try dynamicRNN(cell: rnnCell(), inputs: x, dtype: .float32)
        XCTAssertEqual(r.outputs, d.outputs)
    }

    func testTensorShapeErrors() throws {
        expect("invalidShape", try Tensor<Float>(shape: [2, 3], scalars: [1, 2]))
        expect("invalidShape", try Tensor<Float>(shape: [-1, 2], scalars: []))
        expect("invalidShape", try Tensor<Float>(rows: [[1, 2], [3]]))
        expect("invalidShape", try Tensor<Float>(zeros: [2, 3]).reshaped([4, 2]))
    }
}
