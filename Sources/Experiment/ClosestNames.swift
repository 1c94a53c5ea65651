import Foundation

/// The names a file holds, ordered by how close each is to the one that was looked for: what every "not found"
/// message lists (a state_dict key, an HDF5 path, an npz entry, a graph input), closest first.
///
/// Closeness: a name that ends with the wanted one (or the reverse, at a `.` or `/` boundary) comes first, as the
/// prefix of a saved module or layer does (`encoder.weight_ih_l0` for `weight_ih_l0`); then the edit distance
/// between the two, ignoring case; ties keep the file's order.
public enum ClosestNames {
    /// At most `limit` of `candidates`, closest to `wanted` first.
    public static func ordered(_ candidates: [String], to wanted: String, limit: Int = 8) -> [String] {
        let target = Array(wanted.lowercased().unicodeScalars)
        let scored = candidates.enumerated().map { index, name -> (score: Int, index: Int, name: String) in
            let lower = name.lowercased()
            if endsAtBoundary(lower, with: wanted.lowercased()) || endsAtBoundary(wanted.lowercased(), with: lower) {
                return (0, index, name)
            }
            return (1 + distance(Array(lower.unicodeScalars), target), index, name)
        }
        return scored.sorted { ($0.score, $0.index) < ($1.score, $1.index) }.prefix(max(0, limit)).map(\.name)
    }

    /// "found: a, b, c (and N more)", or "found no names" for an empty file: the tail of a one-line message.
    public static func found(_ candidates: [String], closestTo wanted: String, limit: Int = 8) -> String {
        guard !candidates.isEmpty else { return "found no names" }
        let shown = ordered(candidates, to: wanted, limit: limit)
        let more = candidates.count - shown.count
        return "found: " + shown.map { SafeText.quote($0, limit: 60) }.joined(separator: ", ") + (more > 0 ? " (and \(more) more)" : "")
    }

    /// Whether `name` is `suffix` itself or ends with it right after a `.` or `/`.
    static func endsAtBoundary(_ name: String, with suffix: String) -> Bool {
        guard !suffix.isEmpty, name.hasSuffix(suffix) else { return false }
        if name.count == suffix.count { return true }
        let before = name.index(name.endIndex, offsetBy: -suffix.count - 1)
        return name[before] == "." || name[before] == "/"
    }

    /// Levenshtein distance, in one row of memory; names longer than 256 scalars are compared by their first 256
    /// (a file's names are untrusted: the cost stays bounded).
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        let a = Array(a.prefix(256)), b = Array(b.prefix(256))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...b.count {
                let above = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return row[b.count]
    }
}
