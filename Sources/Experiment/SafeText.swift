/// User text (paths, names, values read from files) made safe to print inside a one-line message:
/// control characters and newlines escaped, long text cut with `…`.
public enum SafeText {
    /// `text` with every control or line-breaking character written as an escape (`\n`, `\t`, `\u{1b}`) and,
    /// when longer than `limit` characters, its start and end kept around a `…` (a path keeps its file name).
    public static func quote(_ text: String, limit: Int = 160) -> String {
        let limit = max(limit, 8)
        let keepEnd = limit / 3, keepStart = limit - keepEnd - 1
        let scalars = text.unicodeScalars
        // Only the two ends are ever shown, so only they are escaped: a megabyte of text costs no more.
        if scalars.count <= limit {
            let escaped = escape(scalars[...])
            if escaped.unicodeScalars.count <= limit { return escaped }
        }
        let head = escape(scalars.prefix(keepStart)).unicodeScalars.prefix(keepStart)
        let tail = escape(scalars.suffix(keepEnd)).unicodeScalars.suffix(keepEnd)
        return String(String.UnicodeScalarView(head)) + "…" + String(String.UnicodeScalarView(tail))
    }

    /// A whole message held to one line of at most `limit` characters (control characters escaped).
    public static func oneLine(_ text: String, limit: Int = 480) -> String {
        quote(text, limit: limit)
    }

    /// `text` with every control or line-breaking character escaped as `quote` does, never shortened (for text
    /// already bounded, such as a report line built from parts that were each quoted).
    public static func escape(_ text: String) -> String {
        escape(Substring(text).unicodeScalars)
    }

    private static func escape(_ scalars: Substring.UnicodeScalarView) -> String {
        var result = String.UnicodeScalarView()
        for scalar in scalars {
            switch scalar {
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            case "\t": result.append(contentsOf: "\\t".unicodeScalars)
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned:
                    result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
                default:
                    result.append(scalar)
                }
            }
        }
        return String(result)
    }
}
