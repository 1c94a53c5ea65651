import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI
import TestSupport

/// The shipped lessons, run as a student runs them at 80×24: from the first step to the last pressing only the
/// lesson's "next" key, every step's experiment opens, its screen draws what the step sets, the text fits its box and
/// every number the text quotes (the step's `shows`) is on the screen the engine's frames produce.
final class LessonTests: ExplorerAppTestCase {
    static let lessons = RepositoryPaths.samples.appendingPathComponent("lessons")

    func shippedLessons() throws -> [Lesson] {
        let all = try Lesson.list(directory: Self.lessons.path).map { try $0.get() }
        XCTAssertGreaterThanOrEqual(all.count, 4, "at least four lessons ship")
        return all
    }

    /// An app at `width`×`height` following `lesson` from its first step, as `unroll lesson NAME` starts it.
    func lessonApp(_ lesson: Lesson, width: Int = 80, height: Int = 24) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: width, height: height,
                                      capabilities: TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true))
        let model = try ExplorerModel.load(path: lesson.steps[0].experimentPath)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let app = ExplorerApp(terminal: terminal, model: model, clock: clock)
        app.startLesson(lesson)
        settle(app)
        return (app, terminal)
    }

    /// The screen once every job (an open, a sweep, a comparison) is done.
    func settledScreen(_ app: ExplorerApp, _ terminal: MemoryTerminal) -> String {
        settle(app)
        XCTAssertTrue(app.model.session.waitUntilComplete(timeout: 30))
        settle(app)
        return screen(app, terminal)
    }

    func testEveryShippedLessonRunsToTheEndPressingOnlyNext() throws {
        for (w, h) in [(80, 24), (100, 32)] { for lesson in try shippedLessons() {
            let (app, terminal) = try lessonApp(lesson, width: w, height: h)
            for (i, step) in lesson.steps.enumerated() {
                let where_ = "\(w)x\(h) \(lesson.name) step \(i + 1)"
                if i > 0 { XCTAssertTrue(app.handle(.char("N")), where_) }
                let text = settledScreen(app, terminal)
                XCTAssertEqual(app.state.lesson?.step, i, where_)
                XCTAssertFalse(app.state.messageIsError, "\(where_): \(app.state.message)")
                // What the step sets is what the explorer shows.
                XCTAssertEqual(app.model.file, step.experimentPath, where_)
                if let v = step.view { XCTAssertEqual("\(app.state.view)", v, where_) }
                if let t = step.t { XCTAssertEqual(app.state.t, t, where_) }
                if let e = step.example { XCTAssertEqual(app.state.example, e, where_) }
                if let u = step.unit { XCTAssertEqual(app.state.unit, u, where_) }
                if let p = step.present { XCTAssertEqual(app.state.presenting, p, where_) }
                // The text fits its box at 80×24 and names only keys the keymap binds.
                let layout = Layout(width: w, height: h, state: app.state)
                let lines = LessonPane.lines(state: app.state, width: w)
                XCTAssertLessThanOrEqual(lines.count + 2, layout.lesson.height, "\(where_): the text does not fit: \(lines)")
                XCTAssertFalse(text.contains("{key:"), "\(where_): an unknown key word\n\(text)")
                XCTAssertFalse(text.contains(KeyNames.unbound), where_)
                XCTAssertTrue(text.contains(lines.first ?? "-"), "\(where_): the text is not drawn\n\(text)")
                for quoted in step.shows {
                    XCTAssertTrue(text.contains(quoted), "\(where_): the screen does not show \"\(quoted)\"\n\(text)")
                }
                XCTAssertFalse(step.shows.isEmpty, "\(where_): a step quotes the screen it is true of")
            }
            // Past the last step, next stays there and says so.
            XCTAssertTrue(app.handle(.char("N")))
            XCTAssertEqual(app.state.lesson?.step, lesson.steps.count - 1)
            XCTAssertTrue(app.state.message.contains("the end of the lesson"), app.state.message)
        } }
    }

    /// Every view a lesson file may name is a view of the explorer.
    func testEveryViewALessonNamesExists() {
        for name in Lesson.views { XCTAssertNotNil(LessonProgress.view(named: name), name) }
    }

    /// Under a non-UTF-8 locale every lesson's text is drawn in ASCII with nothing lost to `?`.
    func testLessonTextsReadInASCII() throws {
        for lesson in try shippedLessons() {
            for i in lesson.steps.indices {
                var s = ExplorerState(spec: DefaultExperiment.spec, batchSize: 1, maxTime: 1, inputDepth: 1)
                s.lesson = LessonProgress(lesson: lesson, step: i)
                let lines = LessonPane.lines(state: s, width: 80, glyphs: .ascii).joined(separator: " ")
                XCTAssertTrue(lines.unicodeScalars.allSatisfy(\.isASCII), lines)
                XCTAssertFalse(lines.contains("?"), "\(lesson.name) step \(i + 1): \(lines)")
            }
        }
    }

    /// The numbers a lesson quotes come from the engine: `one_rnn_step`'s first steps, checked against the frames the
    /// engine recorded for `basic_rnn.json` (computed here through the session, not read off the screen).
    func testOneRNNStepQuotesTheEnginesNumbers() throws {
        let lesson = try Lesson.read(path: Self.lessons.appendingPathComponent("one_rnn_step.json").path)
        let (app, _) = try lessonApp(lesson)
        let frames = try allFrames(app)
        let h0 = try XCTUnwrap(frames[0].layer(0)?.stateRow(.computed, "h", 0))[0]
        let pre0 = try XCTUnwrap(frames[0].layer(0)?.row(.term("h_pre"), 0))[0]
        let h1 = try XCTUnwrap(frames[1].layer(0)?.stateRow(.computed, "h", 0))[0]
        XCTAssertEqual(String(format: "%+.3f", h0), "+0.764")
        XCTAssertEqual(String(format: "%+.3f", pre0), "+1.006")
        XCTAssertEqual(String(format: "%+.3f", h1), "-0.052")
        // tanh of the recorded sum is the recorded state (the engine's own consistency, independently of the view).
        XCTAssertEqual(tanh(pre0), h0, accuracy: 1e-6)
    }

    func testExploringBetweenStepsKeepsTheLessonsPlace() throws {
        let lesson = try Lesson.read(path: Self.lessons.appendingPathComponent("one_rnn_step.json").path)
        let (app, terminal) = try lessonApp(lesson)
        XCTAssertEqual(app.state.view, .equations)
        XCTAssertEqual(app.state.t, 0)
        // The student explores: other steps, another view, another example, out of presentation mode.
        press(app, .char("l"), .char("l"), .char("l"), .char("2"), .char("j"), .char("f"))
        XCTAssertEqual(app.state.t, 3)
        XCTAssertEqual(app.state.view, .unrolled)
        XCTAssertFalse(app.state.presenting)
        XCTAssertEqual(app.state.lesson?.step, 0)
        // Next goes on from the lesson's step, not from where exploring led.
        press(app, .char("N"))
        _ = settledScreen(app, terminal)
        XCTAssertEqual(app.state.lesson?.step, 1)
        XCTAssertEqual(app.state.t, 1)
        XCTAssertEqual(app.state.view, .equations)
        XCTAssertEqual(app.state.example, 0)
        XCTAssertTrue(app.state.presenting)
        // Back returns to the first step as it was set.
        press(app, .char("B"))
        var text = settledScreen(app, terminal)
        XCTAssertEqual(app.state.lesson?.step, 0)
        XCTAssertEqual(app.state.t, 0)
        XCTAssertTrue(text.contains("tanh(+1.006) = +0.764"), text)
        // An edit changes the numbers; the next step re-opens the lesson's file so its text is true again.
        press(app, .char("f"))
        focus(app, .stack)
        press(app, .char("+"))
        XCTAssertEqual(app.state.spec.cell.numUnits, 5)
        press(app, .char("N"))
        text = settledScreen(app, terminal)
        XCTAssertEqual(app.state.spec.cell.numUnits, 4)
        XCTAssertEqual(app.state.lesson?.step, 1)
        XCTAssertTrue(text.contains("tanh(-0.052) = -0.052"), text)
        // Before the first step, back says so and stays.
        press(app, .char("B"))
        _ = settledScreen(app, terminal)
        press(app, .char("B"))
        XCTAssertEqual(app.state.lesson?.step, 0)
        XCTAssertTrue(app.state.message.contains("the first step"), app.state.message)
    }

    func testLessonKeysOutsideALessonSayWhyAndTheBarLeavesThemOut() throws {
        let (app, terminal) = try makeApp()
        press(app, .char("N"))
        XCTAssertTrue(app.state.message.contains("no lesson is running"), app.state.message)
        XCTAssertNil(app.state.lesson)
        let text = screen(app, terminal)
        XCTAssertFalse(text.contains("N next"), text)
    }

    /// A step that asks for what its experiment does not have says so in the message and shows the nearest.
    func testAStepBeyondItsExperimentIsNamedNotTrapped() throws {
        let json = """
        {"title": "too far", "steps": [{"experiment": "../basic_rnn.json", "t": 50, "example": 7, "unit": 9, "layer": 3, "text": "x"}]}
        """
        let lesson = try Lesson.parse(Data(json.utf8), file: "far.json", name: "far", baseDirectory: Self.lessons)
        let (app, terminal) = try lessonApp(lesson)
        XCTAssertTrue(app.state.messageIsError)
        for part in ["t=50 (max_time is 6)", "example 7 (the batch has 2)", "layer 3 (the stack has 1)", "unit 9 (layer 0 has 4)"] {
            XCTAssertTrue(app.state.message.contains(part), app.state.message)
        }
        XCTAssertEqual(app.state.t, 0)
        _ = screen(app, terminal)
    }
}
