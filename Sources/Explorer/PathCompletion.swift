import Foundation

/// Tab completion of a path typed in a prompt: the longest common continuation of the names in its directory
/// that start with what was typed (directories end in `/`), and the candidates when there are several.
enum PathCompletion {
    /// Completes `text`; `listing` gives a directory's entries (directories with a trailing `/`), nil when it
    /// cannot be read.
    static func complete(_ text: String, listing: (String) -> [String]?) -> (text: String, candidates: [String]) {
        let slash = text.lastIndex(of: "/")
        let dir = slash.map { String(text[...$0]) } ?? ""
        let prefix = slash.map { String(text[text.index(after: $0)...]) } ?? text
        guard let entries = listing(dir.isEmpty ? "." : dir) else { return (text, []) }
        let matches = entries.filter { $0.hasPrefix(prefix) && (prefix.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted()
        guard let first = matches.first else { return (text, []) }
        var common = first
        for m in matches.dropFirst() {
            while !m.hasPrefix(common) { common.removeLast() }
        }
        return (dir + common, matches.count > 1 ? matches : [])
    }

    /// The entries of a directory on disk (`~` expanded), directories marked with `/`.
    static func disk(_ dir: String) -> [String]? {
        let path = (dir as NSString).expandingTildeInPath
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        return names.map { name in
            var isDir: ObjCBool = false
            let full = (path as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: full, isDirectory: &isDir) && isDir.boolValue ? name + "/" : name
        }
    }
}
