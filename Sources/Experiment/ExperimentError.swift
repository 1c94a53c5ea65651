import RNNEngine

/// A problem with an experiment, located by file and field: printed as `<file>: <field>: <message>`, always one
/// line: control characters in any part are escaped and long parts cut with `…` (they may hold a user's text).
public struct ExperimentError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var field: String
    public var message: String

    public init(file: String, field: String, _ message: String) {
        // Every part may hold a user's text: kept to one line here, so every reader of the parts gets it safe.
        self.file = SafeText.quote(file, limit: 160)
        self.field = SafeText.quote(field, limit: 60)
        self.message = SafeText.oneLine(message)
    }

    public var description: String {
        [file, field, message].filter { !$0.isEmpty }.joined(separator: ": ")
    }
}

extension ExperimentError {
    /// Runs `body`, turning an engine error (`RNNError`) or an array-file error (`NumpyError`) into an
    /// `ExperimentError` that names `file` and `field`: by default the field an engine error is about
    /// (`field(for:)`), none for an array-file error. `context` (a file name) leads the message when given.
    /// Other errors pass through unchanged. The one place engine and array errors get their location.
    public static func located<T>(file: String, field: String? = nil, context: String? = nil,
                                  _ body: () throws -> T) throws -> T {
        func message(_ text: String) -> String { context.map { "\($0): \(text)" } ?? text }
        do {
            return try body()
        } catch let e as RNNError {
            throw ExperimentError(file: file, field: field ?? Self.field(for: e), message(e.description))
        } catch let e as NumpyError {
            throw ExperimentError(file: file, field: field ?? "", message(e.description))
        }
    }
}
