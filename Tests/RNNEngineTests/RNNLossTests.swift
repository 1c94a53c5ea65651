import XCTest
@testable import RNNEngine

/// The loss a backward pass differentiates: the plain forms and what they refuse.
final class RNNLossTests: XCTestCase {
    func testLastValidOutput() {
        func step(_ l: RNNLoss<Float>?) -> Int? {
            if case let .outputUnit(_, t, _)? = l { return t }
            return nil
        }
        XCTAssertEqual(step(.lastValidOutput(example: 1, unit: 0, maxTime: 6, sequenceLength: [6, 3, 0])), 2)
        XCTAssertEqual(step(.lastValidOutput(example: 0, unit: 0, maxTime: 6, sequenceLength: [9, 3, 0])), 5, "clamped to max_time")
        XCTAssertNil(step(.lastValidOutput(example: 2, unit: 0, maxTime: 6, sequenceLength: [6, 3, 0])), "length 0 has no last step")
        XCTAssertEqual(step(.lastValidOutput(example: 0, unit: 0, maxTime: 4, sequenceLength: nil)), 3)
        XCTAssertNil(step(.lastValidOutput(example: 0, unit: 0, maxTime: 0, sequenceLength: nil)))
    }

    /// The backward direction's loop sees each row reversed within its length: an output unit moves there.
    func testReversedInTime() throws {
        func step(_ example: Int, _ t: Int) throws -> Int? {
            if case let .outputUnit(_, s, _) = try RNNLoss<Float>.outputUnit(example: example, step: t, unit: 0)
                .reversedInTime(lengths: [3, 5], maxTime: 5, timeMajor: false) { return s }
            return nil
        }
        XCTAssertEqual(try [0, 1, 2, 3, 4].map { try step(0, $0) }, [2, 1, 0, 3, 4], "within length 3 reversed, after it in place")
        XCTAssertEqual(try step(1, 0), 4)
        var cot = Tensor<Float>(zeros: [2, 5, 1])
        cot[0, 0, 0] = 7
        guard case let .cotangents(o?, nil) = try RNNLoss.cotangents(outputs: cot, state: nil).reversedInTime(lengths: [3, 5], maxTime: 5, timeMajor: false)
        else { return XCTFail("cotangents expected") }
        XCTAssertEqual(o[0, 2, 0], 7)
    }

    func testLossesThatDoNotFitTheLoopAreRefused() throws {
        let store = VariableStore<Float>(missing: .initialize(seed: 1))
        let cell = try CellSpec.lstm(numUnits: 3, options: LSTMOptions()).makeCell(store: store)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(Tensor(zeros: [2, 4, 5])), sequenceLength: nil, initialState: nil,
                                    dtype: .float32, timeMajor: false, scope: "rnn")
        func message(_ loss: RNNLoss<Float>) -> String {
            do { _ = try GradientRun(loop: loop, loss: loss); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(.cotangents(outputs: Tensor(zeros: [2, 4, 2]), state: nil)).contains("loss/outputs: expected shape [2, 4, 3]"))
        XCTAssertTrue(message(.cotangents(outputs: nil, state: .leaf(Tensor(zeros: [2, 3])))).contains("loss/state: structure tensor"))
        XCTAssertTrue(message(.cotangents(outputs: nil, state: .lstm(c: Tensor(zeros: [2, 3]), h: Tensor(zeros: [2, 2]))))
            .contains("loss/state/h: expected shape [2, 3], got [2, 2]"))
        XCTAssertTrue(message(.outputUnit(example: 2, step: 0, unit: 0)).contains("output example 2 is out of range 0..<2"))
        XCTAssertTrue(message(.outputUnit(example: 0, step: 4, unit: 0)).contains("output step 4 is out of range 0..<4"))
        XCTAssertTrue(message(.finalState(path: "0/h")).contains("the state has no array \"0/h\""))
        XCTAssertEqual(message(.finalState(path: "c")), "accepted")
    }
}
