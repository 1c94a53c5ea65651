import XCTest
@testable import Experiment

/// JSON as Python's `json` reads it: Foundation's parser is more lenient, the loader is not.
final class JSONStrictnessTests: XCTestCase {
    func testTrailingCommasAreRefusedWithAPosition() {
        for (text, line, column) in [("[1, 2,]", 1, 6), ("{\"a\": 1,\n }", 1, 8), ("{\"a\": [1,\n\t]}", 1, 9)] {
            XCTAssertThrowsError(try JSONValue.parse(Data(text.utf8)), text) { e in
                let m = (e as? JSONParseError)?.message ?? ""
                XCTAssertTrue(m.contains("trailing comma at line \(line), column \(column)"), "\(text): \(m)")
            }
        }
    }

    func testCommasInStringsAndNormalListsAreFine() throws {
        XCTAssertEqual(try JSONValue.parse(Data(#"{"a": ",]", "b": [1, 2]}"#.utf8)),
                       .object(["a": .string(",]"), "b": .array([.int(1), .int(2)])], order: ["a", "b"]))
        XCTAssertEqual(try JSONValue.parse(Data(#"["\",]"]"#.utf8)), .array([.string("\",]")]))
    }

    func testAnExperimentWithATrailingCommaNamesTheFile() {
        let text = #"{"name": "x", "cell": {"type": "gru", "num_units": 2,}, "batch_size": 1, "max_time": 2, "input_depth": 1}"#
        XCTAssertThrowsError(try ExperimentSpec.parse(Data(text.utf8), file: "e.json")) { e in
            XCTAssertTrue("\(e)".contains("e.json"), "\(e)")
            XCTAssertTrue("\(e)".contains("trailing comma"), "\(e)")
        }
    }

    func testOpeningADirectorySaysSo() throws {
        let dir = FileManager.default.temporaryDirectory
        XCTAssertThrowsError(try ExperimentLoader.readSpec(dir, displayName: "samples")) { e in
            XCTAssertTrue("\(e)".contains("is a directory"), "\(e)")
            XCTAssertFalse("\(e)".contains("NSCocoaErrorDomain"), "\(e)")
        }
    }
}
