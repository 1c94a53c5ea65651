import Foundation
import RNNEngine

/// A guided lesson (`samples/lessons/*.json`): a title and a list of steps, each opening an experiment (a path
/// relative to the lesson file), setting what the explorer shows (view, step, example, layer, unit, presentation
/// mode) and showing a short text. A lesson file is untrusted like any other: it is read through `RegularFile` with a
/// size limit, parsed by the project's JSON reader, and every field is checked (one-line errors naming file and
/// field). Whether `t`, `example`, `layer` and `unit` exist in the experiment is checked when the step is shown.
public struct Lesson: Equatable, Sendable {
    /// One step of a lesson.
    public struct Step: Equatable, Sendable {
        /// The experiment file, as written in the lesson (relative to the lesson's folder unless absolute).
        public var experiment: String
        /// The experiment's path to open (resolved against the lesson's folder).
        public var experimentPath: String
        /// The view by its name in `views` (nil: leave the view as it is).
        public var view: String?
        public var t: Int?
        public var example: Int?
        public var layer: Int?
        public var unit: Int?
        /// Presentation mode (full screen) on or off (nil: leave it as it is).
        public var present: Bool?
        /// The convention the comparison view sets beside the experiment's (`keras`, `torch`, `tf`).
        public var compareWith: Convention?
        /// What the student reads.
        public var text: String
        /// Texts the step's screen must show (the numbers the text quotes): tests check them against the screen.
        public var shows: [String]
    }

    /// The file's name without `.json` (what `unroll lesson NAME` takes).
    public var name: String
    public var title: String
    public var steps: [Step]

    /// The views a step may name, in the explorer's order (`1`-`6`).
    public static let views = ["frame", "unrolled", "equations", "saturation", "backward", "compare"]
    /// The largest lesson file read.
    public static let maxFileBytes = 256 << 10
    /// The most steps a lesson may hold.
    public static let maxSteps = 100
    /// The longest text of a step (characters).
    public static let maxTextLength = 1200
    /// The largest index a step may set (larger ones cannot exist in an experiment the explorer can hold).
    static let maxIndex = 1 << 31

    static let fields = ["title", "steps"]
    static let stepFields = ["experiment", "view", "t", "example", "layer", "unit", "present", "compare_with", "text", "shows"]

    /// Reads and checks the lesson file at `path`.
    public static func read(path: String) throws -> Lesson {
        let data: Data
        do {
            data = try RegularFile(path: path).readAll(limit: maxFileBytes)
        } catch let problem as RegularFile.Problem {
            let text = problem.description.hasPrefix("is a directory") ? "is a directory; expected a lesson file (.json)" : problem.description
            throw ExperimentError(file: path, field: "", text)
        }
        let url = URL(fileURLWithPath: path)
        return try parse(data, file: path, name: url.deletingPathExtension().lastPathComponent,
                         baseDirectory: url.deletingLastPathComponent())
    }

    /// Parses a lesson's bytes; `file` names it in errors, `baseDirectory` is what experiment paths are relative to.
    public static func parse(_ data: Data, file: String, name: String, baseDirectory: URL) throws -> Lesson {
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch let e as JSONParseError {
            throw ExperimentError(file: file, field: "", e.message)
        }
        let r = try FieldReader(file: file, path: "", value: json)
        try r.onlyKeys(fields)
        guard let title = try r.string("title"), !title.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw r.fail("title", "missing: a lesson needs a title")
        }
        guard title.count <= 120 else { throw r.fail("title", "at most 120 characters, got \(title.count)") }
        guard case let .array(items)? = r.object["steps"] else {
            throw r.fail("steps", r.has("steps") ? "expected a list of steps, got \(r.object["steps"]?.kindName ?? "null")" : "missing: a lesson needs a list of steps")
        }
        guard !items.isEmpty else { throw r.fail("steps", "empty: a lesson needs at least one step") }
        guard items.count <= maxSteps else { throw r.fail("steps", "at most \(maxSteps) steps, got \(items.count)") }
        let steps = try items.enumerated().map { i, item in
            try step(FieldReader(file: file, path: "steps[\(i)]", value: item), baseDirectory: baseDirectory)
        }
        return Lesson(name: name, title: SafeText.oneLine(title), steps: steps)
    }

    private static func step(_ r: FieldReader, baseDirectory: URL) throws -> Step {
        try r.onlyKeys(stepFields)
        guard let experiment = try r.string("experiment"), !experiment.isEmpty else {
            throw r.fail("experiment", "missing: each step opens an experiment file (a path relative to the lesson)")
        }
        guard experiment.count <= 1024, !experiment.contains("\0") else { throw r.fail("experiment", "not a usable path") }
        let path = experiment.hasPrefix("/") ? experiment : baseDirectory.appendingPathComponent(experiment).standardized.path
        let view = try r.string("view")
        if let v = view, !views.contains(v) {
            throw r.fail("view", "unknown view \"\(SafeText.oneLine(v, limit: 40))\"; one of \(views.joined(separator: ", "))")
        }
        var compare: Convention?
        if let c = try r.string("compare_with") {
            guard let parsed = Convention(rawValue: c) else {
                throw r.fail("compare_with", "unknown convention \"\(SafeText.oneLine(c, limit: 40))\"; one of \(Convention.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            compare = parsed
        }
        guard let text = try r.string("text"), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw r.fail("text", "missing: each step shows a text")
        }
        guard text.count <= maxTextLength else { throw r.fail("text", "at most \(maxTextLength) characters, got \(text.count)") }
        let shows = try r.stringList("shows") ?? []
        guard shows.count <= 20 else { throw r.fail("shows", "at most 20 texts, got \(shows.count)") }
        return Step(experiment: experiment, experimentPath: path, view: view,
                    t: try r.int("t", min: 0, max: maxIndex), example: try r.int("example", min: 0, max: maxIndex),
                    layer: try r.int("layer", min: 0, max: maxIndex), unit: try r.int("unit", min: 0, max: maxIndex),
                    present: try r.bool("present"), compareWith: compare,
                    text: sanitized(text), shows: shows)
    }

    /// The text with control characters (but line breaks) replaced, so it cannot drive the terminal.
    static func sanitized(_ text: String) -> String {
        String(text.unicodeScalars.map { s -> Character in
            if s == "\n" { return "\n" }
            return s.properties.generalCategory == .control || s.properties.generalCategory == .format ? "?" : Character(s)
        })
    }

    /// The lessons in `directory` (files ending in `.json`, by name), each read or the line saying why it could not be.
    public static func list(directory: String) throws -> [Result<Lesson, ExperimentError>] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ExperimentError(file: directory, field: "", "no such folder of lessons (run from the package's root, or give --dir)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        return names.prefix(200).map { n in
            let path = (directory as NSString).appendingPathComponent(n)
            do { return .success(try read(path: path)) } catch let e as ExperimentError { return .failure(e) } catch {
                return .failure(ExperimentError(file: path, field: "", "\(error)"))
            }
        }
    }
}
