import Experiment
import Foundation
import TestSupport
import XCTest

/// `unroll lesson NAME` in a real terminal (tmux, 80×24, LANG=C, NO_COLOR): the lesson's first step at once, the
/// next step on `N`, exploring in between, and quitting with status 0. (Part of `ExplorerEndToEndTests`, so it
/// shares its tmux set-up and its place in `.ci/run`'s lists.)
extension ExplorerEndToEndTests {
    static var lessons: URL { RepositoryPaths.samples.appendingPathComponent("lessons") }

    func testLessonRunsStepByStepInATerminal() throws {
        try start(["lesson", "--dir", Self.lessons.path, "one_rnn_step"], width: 80, height: 24,
                  env: ["LANG": "C", "TERM": "xterm", "NO_COLOR": "1"])
        // Step 1: the equations full screen at t=0, with the lesson's text below (ASCII under LANG=C).
        var screen = waitFor("the first step") { $0.contains("step 1 of 4") && $0.contains("tanh(+1.006) = +0.764") }
        XCTAssertTrue(screen.contains("Equations | t=0"), screen)
        XCTAssertTrue(screen.contains("kernel [7, 4]"), screen)
        XCTAssertFalse(screen.contains("Stack"), screen)
        XCTAssertTrue(screen.unicodeScalars.allSatisfy(\.isASCII), screen)
        // Exploring: two steps on, then the lesson goes on from its own step.
        try keys("l", "l")
        waitFor("t=2") { $0.contains("Equations | t=2") }
        try keys("N")
        screen = waitFor("the second step") { $0.contains("step 2 of 4") && $0.contains("tanh(-0.052) = -0.052") }
        XCTAssertTrue(screen.contains("Equations | t=1"), screen)
        try keys("N")
        screen = waitFor("the unrolled network") { $0.contains("step 3 of 4") && $0.contains("-h +0.764->") }
        XCTAssertTrue(screen.contains("^y -0.052"), screen)
        try keys("B")
        waitFor("back to step 2") { $0.contains("step 2 of 4") && $0.contains("Equations | t=1") }
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }
}

/// `unroll lesson` without a terminal: the list, and the one-line refusals (an unknown name, a bad lesson file, an
/// experiment that does not open) before the terminal is touched.
final class LessonCommandTests: XCTestCase {
    static var lessons: URL { RepositoryPaths.samples.appendingPathComponent("lessons") }

    func testLessonListAndUnknownLessonName() throws {
        let list = try BinaryRunner.run(["lesson", "--dir", LessonCommandTests.lessons.path])
        XCTAssertEqual(list.status, 0, list.stderr)
        for name in ["one_rnn_step", "lstm_gates", "padding_and_masking", "vanishing_gradients"] {
            XCTAssertTrue(list.stdout.contains(name), list.stdout)
        }
        XCTAssertTrue(list.stdout.contains("What one RNN step computes"), list.stdout)
        let unknown = try BinaryRunner.run(["lesson", "--dir", LessonCommandTests.lessons.path, "no_such_lesson"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no such lesson; the lessons: lstm_gates, one_rnn_step"), unknown.stderr)
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1, unknown.stderr)
        let folder = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.json")
        try Data(#"{"title": "T", "steps": [{"experiment": "x.json", "text": "t", "view": "big"}]}"#.utf8).write(to: bad)
        let refused = try BinaryRunner.run(["lesson", bad.path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("steps[0].view: unknown view"), refused.stderr)
        let missing = folder.appendingPathComponent("missing.json")
        try Data(#"{"title": "T", "steps": [{"experiment": "nowhere.json", "text": "t"}]}"#.utf8).write(to: missing)
        let notOpened = try BinaryRunner.run(["lesson", missing.path])
        XCTAssertEqual(notOpened.status, 1)
        XCTAssertTrue(notOpened.stderr.contains("nowhere.json"), notOpened.stderr)
    }
}
