import Foundation
import RNNEngine
import XCTest

/// Issue 21, item 6: a stack of tens of thousands of one-unit layers asks the store for tens of thousands of
/// variables; each request must cost constant time (it scanned every earlier request: 25 s for 30,000 layers).
final class VariableStoreScaleTests: XCTestCase {
    func testManyRequestsTakeLinearTime() throws {
        let count = 40_000
        let given = VariableStore<Float>(arrays: ["given": Tensor(zeros: [1]), "unused": Tensor(zeros: [1])], missing: .initialize(seed: 1))
        let start = Date()
        for round in 0..<2 {
            _ = try given.variable("given", shape: [1], initializer: .zeros)
            for i in 0..<count { _ = try given.variable("v\(i)", shape: [1], initializer: .zeros) }
            XCTAssertEqual(given.requests.count, count + 1, "round \(round): a repeated request is recorded once")
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(given.requests.first?.name, "given")
        XCTAssertEqual(given.requests.first?.foundShape, [1])
        XCTAssertEqual(given.requests.last?.name, "v\(count - 1)")
        XCTAssertEqual(given.unusedNames, ["unused"])
        // Quadratic, 40,000 requests compare names 1.6·10⁹ times (minutes); linear takes well under a second.
        XCTAssertLessThan(seconds, 5, "\(2 * count) requests took \(seconds) s")
    }
}
