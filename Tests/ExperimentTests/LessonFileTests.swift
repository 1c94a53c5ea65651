import Foundation
import XCTest
@testable import Experiment

/// Lesson files are untrusted: every field is checked and every refusal is one line naming the file and the field.
final class LessonFileTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("lessons-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    func parse(_ json: String) throws -> Lesson {
        try Lesson.parse(Data(json.utf8), file: "l.json", name: "l", baseDirectory: folder)
    }

    /// `json` is refused with an error naming `field` whose text holds `words`, in one line.
    func assertRefused(_ json: String, field: String, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(json), file: file, line: line) { error in
            guard let e = error as? ExperimentError else { return XCTFail("not an ExperimentError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.file, "l.json", file: file, line: line)
            XCTAssertEqual(e.field, field, "\(e)", file: file, line: line)
            XCTAssertTrue(e.message.contains(words), "\(e)", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        }
    }

    let step = #"{"experiment": "../basic_rnn.json", "text": "hello"}"#

    func testAWellFormedLessonReadsEveryField() throws {
        let l = try parse("""
        {"title": "T", "steps": [{"experiment": "../basic_rnn.json", "view": "equations", "t": 2, "example": 1, "layer": 0,
          "unit": 3, "present": true, "compare_with": "torch", "text": "a\\nb", "shows": ["+0.764"]}, \(step)]}
        """)
        XCTAssertEqual(l.title, "T")
        XCTAssertEqual(l.steps.count, 2)
        let s = l.steps[0]
        XCTAssertEqual(s.view, "equations")
        XCTAssertEqual([s.t, s.example, s.layer, s.unit], [2, 1, 0, 3])
        XCTAssertEqual(s.present, true)
        XCTAssertEqual(s.compareWith, .torch)
        XCTAssertEqual(s.text, "a\nb")
        XCTAssertEqual(s.shows, ["+0.764"])
        // Paths are relative to the lesson's folder.
        XCTAssertEqual(s.experimentPath, folder.deletingLastPathComponent().appendingPathComponent("basic_rnn.json").standardized.path)
        XCTAssertNil(l.steps[1].view)
        XCTAssertNil(l.steps[1].t)
    }

    func testBadFieldsAreNamed() {
        assertRefused("[1]", field: "(top level)", "expected an object")
        assertRefused("{", field: "", "not valid JSON")
        assertRefused(#"{"steps": [\#(step)]}"#, field: "title", "missing")
        assertRefused(#"{"title": "T"}"#, field: "steps", "missing")
        assertRefused(#"{"title": "T", "steps": {}}"#, field: "steps", "expected a list")
        assertRefused(#"{"title": "T", "steps": []}"#, field: "steps", "empty")
        assertRefused(#"{"title": "T", "step": []}"#, field: "step", "did you mean \"steps\"")
        assertRefused(#"{"title": "T", "steps": [{"text": "x"}]}"#, field: "steps[0].experiment", "missing")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json"}]}"#, field: "steps[0].text", "missing")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "x", "view": "big"}]}"#, field: "steps[0].view", "unknown view")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "x", "t": -1}]}"#, field: "steps[0].t", "at least 0")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "x", "unit": 1.5}]}"#, field: "steps[0].unit", "integer")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "x", "present": "yes"}]}"#, field: "steps[0].present", "true or false")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "x", "compare_with": "jax"}]}"#, field: "steps[0].compare_with", "unknown convention")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "x", "shows": [1]}]}"#, field: "steps[0].shows[0]", "expected a string")
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "x", "colour": 1}]}"#, field: "steps[0].colour", "unknown field")
    }

    func testSizesAreBounded() {
        let many = Array(repeating: step, count: Lesson.maxSteps + 1).joined(separator: ",")
        assertRefused(#"{"title": "T", "steps": [\#(many)]}"#, field: "steps", "at most \(Lesson.maxSteps) steps")
        let long = String(repeating: "a", count: Lesson.maxTextLength + 1)
        assertRefused(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "\#(long)"}]}"#, field: "steps[0].text", "at most")
        assertRefused(#"{"title": "\#(String(repeating: "t", count: 121))", "steps": [\#(step)]}"#, field: "title", "at most 120")
    }

    func testControlCharactersInTextCannotDriveTheTerminal() throws {
        let l = try parse(#"{"title": "T", "steps": [{"experiment": "a.json", "text": "a\u001b[2Jb\nc"}]}"#)
        XCTAssertEqual(l.steps[0].text, "a?[2Jb\nc")
    }

    func testOnlyRegularFilesOfBoundedSizeAreRead() throws {
        let fifo = folder.appendingPathComponent("fifo.json")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try Lesson.read(path: fifo.path)) { XCTAssertTrue("\($0)".contains("FIFO"), "\($0)") }
        XCTAssertThrowsError(try Lesson.read(path: folder.path)) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
        XCTAssertThrowsError(try Lesson.read(path: folder.appendingPathComponent("none.json").path))
        let big = folder.appendingPathComponent("big.json")
        try Data(repeating: 0x20, count: Lesson.maxFileBytes + 1).write(to: big)
        XCTAssertThrowsError(try Lesson.read(path: big.path)) { error in
            XCTAssertEqual((error as? ExperimentError)?.file, big.path)
        }
    }

    func testListingReadsEachLessonOrSaysWhyNot() throws {
        try Data(#"{"title": "Good", "steps": [\#(step)]}"#.utf8).write(to: folder.appendingPathComponent("a.json"))
        try Data("not json".utf8).write(to: folder.appendingPathComponent("b.json"))
        try Data("ignored".utf8).write(to: folder.appendingPathComponent("c.txt"))
        let listed = try Lesson.list(directory: folder.path)
        XCTAssertEqual(listed.count, 2)
        XCTAssertEqual(try listed[0].get().name, "a")
        XCTAssertThrowsError(try listed[1].get())
        XCTAssertThrowsError(try Lesson.list(directory: folder.appendingPathComponent("none").path))
    }
}
