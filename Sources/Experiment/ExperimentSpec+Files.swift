import Foundation

extension ExperimentSpec {
    /// The `.npz` archives the experiment names (`weights`, `inputs`, `initial_state`, `mask`, a `loss` file), as
    /// written in the file (relative to its folder), each once, in that order.
    public var archivePaths: [String] {
        var paths = [weights, inputs, initialState, mask].compactMap { $0 }
        if case let .file(path)? = loss { paths.append(path) }
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    /// `archivePaths` resolved against the experiment file's folder, as loading resolves them.
    public func archiveURLs(relativeTo directory: URL) -> [URL] {
        archivePaths.map { URL(fileURLWithPath: $0, relativeTo: directory).standardizedFileURL }
    }
}
