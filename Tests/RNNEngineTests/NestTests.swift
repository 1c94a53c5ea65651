import XCTest
@testable import RNNEngine

/// Nest flattening (TF's order and paths), structure checks, and the small tensor operations the engine relies on.
final class NestTests: XCTestCase {
    let stack: Nest<Int> = .tuple([.leaf(0), .lstm(c: 1, h: 2), .tuple([.leaf(3), .lstm(c: 4, h: 5)])])

    func testFlattenOrderIsCBeforeHAndTupleIndices() {
        XCTAssertEqual(Nest.leaf(7).flattened, [7])
        XCTAssertEqual(Nest.lstm(c: 1, h: 2).flattened, [1, 2])
        XCTAssertEqual(stack.flattened, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(Nest<Int>.tuple([]).flattened, [])
    }

    func testPaths() {
        XCTAssertEqual(Nest.leaf(7).flattenedWithPaths.map(\.path), [""])
        XCTAssertEqual(Nest.lstm(c: 1, h: 2).flattenedWithPaths.map(\.path), ["c", "h"])
        XCTAssertEqual(stack.flattenedWithPaths.map(\.path), ["0", "1/c", "1/h", "2/0", "2/1/c", "2/1/h"])
        XCTAssertEqual(stack.flattenedWithPaths.map(\.value), [0, 1, 2, 3, 4, 5])
        let multi: Nest<Int> = .tuple([.lstm(c: 10, h: 11), .leaf(12)])
        XCTAssertEqual(multi.flattenedWithPaths.first?.path, "0/c")
        XCTAssertEqual(multi.flattenedWithPaths.first?.value, 10)
    }

    func testPathsUnderAPrefixNameAStatesArrays() {
        XCTAssertEqual(Nest.leaf(7).flattenedWithPaths(under: "state").map(\.path), ["state"])
        XCTAssertEqual(stack.flattenedWithPaths(under: "initial_state/1").map(\.path),
                       ["initial_state/1/0", "initial_state/1/1/c", "initial_state/1/1/h",
                        "initial_state/1/2/0", "initial_state/1/2/1/c", "initial_state/1/2/1/h"])
        XCTAssertEqual(stack.flattenedWithPaths(under: "s").map(\.value), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(joinPath("", "c"), "c")
        XCTAssertEqual(joinPath("state/0", "c"), "state/0/c")
    }

    func testStateDescriptionAsTensorFlowPrintsIt() {
        let sizes: Nest<Int> = .tuple([.lstm(c: 4, h: 3), .leaf(5)])
        XCTAssertEqual(sizes.stateShapesDescription(batch: 2), "(LSTMStateTuple(c=[2, 4], h=[2, 3]), [2, 5])")
        XCTAssertEqual(Nest.leaf(6).stateShapesDescription(batch: 1), "[1, 6]")
        XCTAssertEqual(stack.description(leaves: { "x\($0)" }),
                       "(x0, LSTMStateTuple(c=x1, h=x2), (x3, LSTMStateTuple(c=x4, h=x5)))")
    }

    func testVariableScopesOfDynamicAndBidirectionalRuns() {
        XCTAssertEqual(VariableScope.scope(for: .forward, bidirectional: false), "rnn")
        XCTAssertEqual(VariableScope.scope(for: .backward, bidirectional: false), "rnn")
        XCTAssertEqual(VariableScope.scope(for: .forward, bidirectional: true), "bidirectional_rnn/fw")
        XCTAssertEqual(VariableScope.scope(for: .backward, bidirectional: true), "bidirectional_rnn/bw")
        XCTAssertEqual(VariableScope.scope("outer", for: .backward), "outer/bw")
        XCTAssertEqual(VariableScope.root(bidirectional: true), "bidirectional_rnn")
        XCTAssertEqual(VariableScope.root(bidirectional: false), "rnn")
    }

    func testMapKeepsStructure() {
        let m = stack.map { "v\($0)" }
        XCTAssertEqual(m.flattened, ["v0", "v1", "v2", "v3", "v4", "v5"])
        XCTAssertTrue(m.sameStructure(as: stack))
        XCTAssertEqual(m.flattenedWithPaths.map(\.path), stack.flattenedWithPaths.map(\.path))
    }

    func testSameStructure() {
        XCTAssertTrue(Nest.leaf(1).sameStructure(as: Nest.leaf("x")))
        XCTAssertFalse(Nest.leaf(1).sameStructure(as: Nest.lstm(c: 1, h: 2)))
        XCTAssertFalse(Nest<Int>.tuple([.leaf(1)]).sameStructure(as: Nest<Int>.tuple([.leaf(1), .leaf(2)])))
        XCTAssertFalse(Nest<Int>.tuple([.leaf(1), .leaf(2)]).sameStructure(as: Nest<Int>.tuple([.leaf(1), .lstm(c: 1, h: 2)])))
        XCTAssertFalse(Nest<Int>.tuple([.leaf(1)]).sameStructure(as: Nest<Int>.leaf(1)))
    }

    func testZip() throws {
        let z = try stack.zip(stack.map { $0 * 10 }) { $0 + $1 }
        XCTAssertEqual(z.flattened, [0, 11, 22, 33, 44, 55])
        XCTAssertTrue(z.sameStructure(as: stack))
        XCTAssertThrowsError(try Nest.leaf(1).zip(Nest.lstm(c: 1, h: 2)) { $0 + $1 }) { e in
            guard case .badInitialState = e as? RNNError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try Nest<Int>.tuple([.leaf(1)]).zip(Nest<Int>.tuple([])) { $0 + $1 })
    }

    func testStructureDescriptionAndItems() {
        XCTAssertEqual(Nest<Int>.tuple([.lstm(c: 1, h: 2), .leaf(3)]).structureDescription, "(LSTMStateTuple(c, h), tensor)")
        XCTAssertEqual(stack[item: 1], .lstm(c: 1, h: 2))
        XCTAssertNil(stack[item: 3])
        XCTAssertNil(stack[item: -1])
        XCTAssertNil(Nest.leaf(1)[item: 0])
    }

    func testCellStateFlattensLikeTF() throws {
        // A MultiRNNCell of (GRU, LSTM): TF flattens to (cell_0 h, cell_1 c, cell_1 h).
        let cell = try CellSpec.multi([.gru(numUnits: 2, activation: .tanh), .basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh)])
            .makeCell(store: VariableStore<Float>())
        XCTAssertEqual(cell.stateSize.flattenedWithPaths.map(\.path), ["0", "1/c", "1/h"])
        XCTAssertEqual(cell.zeroState(batchSize: 4).flattened.map(\.shape), [[4, 2], [4, 3], [4, 3]])
    }

    // MARK: Tensor

    func testTensorIndexingIsRowMajor() throws {
        let t: Tensor<Double> = tensor([2, 3, 2], (0..<12).map(Double.init))
        XCTAssertEqual(t[1, 2, 0], 10)
        XCTAssertEqual(t[0, 1, 1], 3)
        XCTAssertEqual(t.rank, 3)
        XCTAssertEqual(t.count, 12)
        let r = try Tensor<Float>(rows: [[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(r.shape, [2, 3])
        XCTAssertEqual(Array(r.row(1)), [4, 5, 6])
    }

    func testTransposeFirstTwo() {
        let t: Tensor<Double> = tensor([2, 3, 2], (0..<12).map(Double.init))
        let u = t.transposedFirstTwo()
        XCTAssertEqual(u.shape, [3, 2, 2])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<2 { XCTAssertEqual(u[j, i, k], t[i, j, k]) } } }
        XCTAssertEqual(u.transposedFirstTwo(), t)
        let empty = Tensor<Double>(zeros: [0, 3, 2]).transposedFirstTwo()
        XCTAssertEqual(empty.shape, [3, 0, 2])
    }

    func testCastAndDifference() {
        let t: Tensor<Double> = tensor([2], [0.1, -2.5])
        let f: Tensor<Float> = t.cast()
        XCTAssertEqual(f.scalars, [Float(0.1), -2.5])
        XCTAssertEqual(t.maxAbsDifference(tensor([2], [0.1, -2.0])), 0.5)
        XCTAssertEqual(t.maxAbsDifference(tensor([1, 2], [0.1, -2.5])), .infinity)
    }
}
