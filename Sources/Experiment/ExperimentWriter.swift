import Foundation

/// Writes an experiment file: the spec as JSON and, beside it, the archive its array fields name.
public enum ExperimentWriter {
    /// Writes `spec` as JSON at `url` (atomically) and, when `arrays` is not empty, first the `.npz` archive
    /// `companion` (a file name, resolved beside `url`) holding them. The spec's array fields should name
    /// `companion` for the arrays it holds.
    public static func write(_ spec: ExperimentSpec, to url: URL, arrays: [(String, NumpyArray)] = [],
                             companion: String) throws {
        if !arrays.isEmpty {
            try Npz.write(arrays, to: url.deletingLastPathComponent().appendingPathComponent(companion))
        }
        try spec.jsonData().write(to: url, options: .atomic)
    }
}
