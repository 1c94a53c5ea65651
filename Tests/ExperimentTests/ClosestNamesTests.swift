import XCTest
@testable import Experiment

final class ClosestNamesTests: XCTestCase {
    func testAPrefixedKeyComesFirst() {
        let found = ["decoder.bias", "encoder.weight_hh_l0", "encoder.weight_ih_l0", "head.weight"]
        XCTAssertEqual(ClosestNames.ordered(found, to: "weight_ih_l0").first, "encoder.weight_ih_l0")
    }

    func testEditDistanceOrdersTheRest() {
        // weight_ih_l1 is one edit from weight_ih_l0; bias_hh_l0 many more.
        let found = ["bias_hh_l0", "weight_ih_l1", "zzz"]
        XCTAssertEqual(ClosestNames.ordered(found, to: "weight_ih_l0"), ["weight_ih_l1", "bias_hh_l0", "zzz"])
    }

    func testSuffixMustStartAtABoundary() {
        // "xweight" ends with "weight" but not after a '.' or '/': it is ordered by distance (1), after the exact
        // boundary match.
        XCTAssertEqual(ClosestNames.ordered(["xweight", "lstm/weight"], to: "weight"), ["lstm/weight", "xweight"])
    }

    func testFoundListsAtMostTheLimitAndCountsTheRest() {
        let names = (0..<12).map { "w\($0)" }
        XCTAssertEqual(ClosestNames.found(names, closestTo: "w3", limit: 2), "found: w3, w0 (and 10 more)")
        XCTAssertEqual(ClosestNames.found([], closestTo: "w"), "found no names")
    }

    func testNamesFromAFileAreEscaped() {
        XCTAssertEqual(ClosestNames.found(["a\u{1b}[2Jb"], closestTo: "ab"), "found: a\\u{1b}[2Jb")
    }
}
