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
