import ArgumentParser
import Foundation
import RNNEngine

// The engine's enums parsed from the command line by their raw values (`tf`, `keras`, `torch`; `float32`, `float64`).
// A bad value is a usage error (exit 64) whose message lists the allowed values; `--help` lists them too.
extension Convention: ExpressibleByArgument {}
extension DType: ExpressibleByArgument {}

/// What a command writes with `-o/--output`: the option's help and the name rules of that file.
protocol OutputKind {
    /// The `--output` help line.
    static var help: String { get }
    /// The file name offered when `--output` names a folder (`out.npz`).
    static var exampleName: String { get }
    /// The extension the name must have and why, or nil when any name will do.
    static var requiredExtension: (name: String, reason: String)? { get }
    /// Other endings a name may have instead (a model file `convert` writes: `.weights.h5`, `.onnx`).
    static var otherEndings: [String] { get }
}

extension OutputKind {
    static var otherEndings: [String] { [] }
}

/// The `-o/--output` option of a command that writes a file, checked before the command reads anything: the name
/// has the required extension, is not a folder, and its folder exists and is writable. A bad path fails like the
/// command's other errors: one `error:` line naming the path and `--output`, exit status 1.
struct OutputOptions<Kind: OutputKind>: ParsableArguments {
    /// The path as given.
    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(Kind.help, valueName: "output"))
    var path: String

    /// The path as a file URL.
    var url: URL { URL(fileURLWithPath: path) }

    func validate() throws {
        if let problem = Self.problem(with: url) { throw fail("\(path): --output: \(problem)") }
    }

    /// Why `out` cannot be written, or nil.
    static func problem(with out: URL) -> String? {
        if let required = Kind.requiredExtension, out.pathExtension != required.name, !Kind.otherEndings.contains(where: out.path.hasSuffix) {
            return "give a .\(required.name) name (\(required.reason))"
        }
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: out.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "is a folder; give a file name such as \(out.appendingPathComponent(Kind.exampleName).path)"
        }
        let folder = out.deletingLastPathComponent().path
        guard files.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "the folder \(folder) does not exist"
        }
        guard files.isWritableFile(atPath: folder) else { return "the folder \(folder) is not writable" }
        return nonRegularOutputProblem(out)
    }
}
