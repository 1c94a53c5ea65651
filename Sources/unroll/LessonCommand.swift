import ArgumentParser
import Experiment
import Explorer
import Foundation
import TerminalUI

/// `unroll lesson [NAME]`: lists the guided lessons, or runs one in the explorer.
struct LessonRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "List the guided lessons, or run one in the explorer (\(LessonRun.keys)).",
        discussion: "A lesson is a JSON file of steps (see docs/explorer.md#lessons); NAME is a file in the lessons folder without .json, or a path to a lesson file.")

    /// The lesson keys, named from the explorer's keymap.
    static var keys: String {
        let k = Keymap.names()
        return "\(k(.lessonNext)) next step, \(k(.lessonPrevious)) back; any other key explores"
    }

    @Argument(help: "The lesson to run (omit to list them).")
    var name: String?

    @Option(help: "The folder of lessons.")
    var dir = "samples/lessons"

    func run() throws {
        guard let name else { return try list() }
        let path = name.hasSuffix(".json") || name.contains("/") ? name : (dir as NSString).appendingPathComponent(name + ".json")
        // Read the lesson and its first experiment before touching the terminal, so errors print plainly.
        let lesson: Lesson
        let model: ExplorerModel
        do {
            if !name.hasSuffix(".json"), !name.contains("/"), !FileManager.default.fileExists(atPath: path) {
                let known = (try? Lesson.list(directory: dir))?.compactMap { try? $0.get().name } ?? []
                throw ExperimentError(file: path, field: "", "no such lesson" + (known.isEmpty ? "" : "; the lessons: \(known.joined(separator: ", "))"))
            }
            lesson = try Lesson.read(path: path)
            model = try ExplorerModel.load(path: lesson.steps[0].experimentPath)
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch {
            throw fail("\(path): \(error)")
        }
        let terminal: NcursesTerminal
        do {
            terminal = try NcursesTerminal()
        } catch {
            throw fail("cannot start the explorer: \(error)")
        }
        defer { terminal.shutdown() }
        let app = ExplorerApp(terminal: terminal, model: model)
        app.startLesson(lesson)
        app.run()
    }

    /// One line per lesson: its name, steps and title (a file that cannot be read says why).
    func list() throws {
        let lessons: [Result<Lesson, ExperimentError>]
        do {
            lessons = try Lesson.list(directory: dir)
        } catch let e as ExperimentError {
            throw fail(e.description)
        }
        guard !lessons.isEmpty else { throw fail("\(dir): holds no lessons (.json files)") }
        let width = lessons.compactMap { try? $0.get().name.count }.max() ?? 0
        for result in lessons {
            switch result {
            case let .success(l):
                print(l.name.padding(toLength: max(width, l.name.count), withPad: " ", startingAt: 0) + "  \(l.steps.count) steps  " + l.title)
            case let .failure(e):
                print("(unreadable) " + e.description)
            }
        }
        print("run one with: unroll lesson NAME (\(LessonRun.keys))")
    }
}
