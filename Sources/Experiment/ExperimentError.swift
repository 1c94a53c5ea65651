/// A problem with an experiment, located by file and field: printed as `<file>: <field>: <message>`.
public struct ExperimentError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var field: String
    public var message: String

    public init(file: String, field: String, _ message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        [file, field, message].filter { !$0.isEmpty }.joined(separator: ": ")
    }
}
