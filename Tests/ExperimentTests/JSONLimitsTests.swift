import Experiment
import Foundation
import RNNEngine
import XCTest

/// An experiment file of millions of values would take seconds to convert before any field is checked: the
/// parser refuses past `maxValues` at once, and long lists are shown shortened.
final class JSONLimitsTests: XCTestCase {
    private func list(_ count: Int) -> Data {
        Data(("{\"sequence_length\": [" + Array(repeating: "1", count: count).joined(separator: ",") + "]}").utf8)
    }

    func testTooManyValuesAreRefusedBeforeConversion() throws {
        XCTAssertThrowsError(try JSONValue.parse(list(1_500_000))) { error in
            let message = (error as? JSONParseError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("holds more than 300000 values"), message)
        }
        // Commas inside strings are not values.
        let text = "{\"name\": \"" + String(repeating: ",", count: 400_000) + "\"}"
        guard case let .object(fields, _) = try JSONValue.parse(Data(text.utf8)) else { return XCTFail("not an object") }
        XCTAssertEqual(fields.count, 1)
    }

    func testABatchSizedListStillParses() throws {
        guard case let .object(fields, _) = try JSONValue.parse(list(100_000)),
              case let .array(values)? = fields["sequence_length"] else { return XCTFail("no list") }
        XCTAssertEqual(values.count, 100_000)
    }

    func testLongListsAreShownShortened() {
        XCTAssertEqual(formatValues([9, 5, 2, 0]), "[9, 5, 2, 0]")
        XCTAssertEqual(formatValues(Array(1...100)), "[1, 2, 3, 4, 5, 6, 7, 8, …, 97, 98, 99, 100] (100 values)")
    }
}
