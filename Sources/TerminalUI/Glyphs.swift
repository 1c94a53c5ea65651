#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What kind of number a sample is, relative to the range it is drawn in.
public enum SampleClass: Hashable, Sendable {
    case normal
    case nan
    case positiveInfinity
    case negativeInfinity
    /// Finite but above the range (drawn clamped, with a marker).
    case aboveRange
    /// Finite but below the range (drawn clamped, with a marker).
    case belowRange

    /// Classifies `value` against `range`.
    public static func classify(_ value: Double, in range: ClosedRange<Double>) -> SampleClass {
        if value.isNaN { return .nan }
        if value == .infinity { return .positiveInfinity }
        if value == -.infinity { return .negativeInfinity }
        if value > range.upperBound { return .aboveRange }
        if value < range.lowerBound { return .belowRange }
        return .normal
    }
}

/// The characters used to draw: Unicode (for UTF-8 locales) or plain ASCII.
/// All glyphs are single-column.
public struct Glyphs: Hashable, Sendable {
    /// True for the Unicode set.
    public let isUnicode: Bool
    /// Sparkline levels, lowest first.
    public let sparkLevels: [Character]
    /// Density levels for heatmaps without colour, emptiest (a space) first.
    public let densityLevels: [Character]
    public let horizontal: Character
    public let vertical: Character
    public let topLeft: Character
    public let topRight: Character
    public let bottomLeft: Character
    public let bottomRight: Character
    /// `├`: a vertical line with a branch to the right.
    public let teeRight: Character
    /// `┤`: a vertical line with a branch to the left.
    public let teeLeft: Character
    public let arrowLeft: Character
    public let arrowRight: Character
    public let arrowUp: Character
    public let arrowDown: Character
    /// A selection pointer (`▶` / `>`).
    public let pointer: Character
    /// A small dot (`·` / `.`).
    public let dot: Character
    /// Marks truncated text (`…` / `~`).
    public let ellipsis: Character
    /// Marks a NaN sample (`✕` / `x`).
    public let nan: Character
    /// Marks +Inf.
    public let positiveInfinity: Character
    /// Marks -Inf.
    public let negativeInfinity: Character
    /// Marks a finite sample clamped from above the range (`↑` / `^`).
    public let aboveRange: Character
    /// Marks a finite sample clamped from below the range (`↓` / `v`).
    public let belowRange: Character
    /// A dash for prose (`—` / `-`).
    public let dash: Character

    /// The Unicode set.
    public static let unicode = Glyphs(
        isUnicode: true,
        sparkLevels: Array("▁▂▃▄▅▆▇█"),
        densityLevels: Array(" ░▒▓█"),
        horizontal: "─", vertical: "│",
        topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        teeRight: "├", teeLeft: "┤",
        arrowLeft: "←", arrowRight: "→", arrowUp: "↑", arrowDown: "↓",
        pointer: "▶", dot: "·", ellipsis: "…",
        nan: "✕", positiveInfinity: "+", negativeInfinity: "-",
        aboveRange: "↑", belowRange: "↓", dash: "—")

    /// The ASCII set.
    public static let ascii = Glyphs(
        isUnicode: false,
        sparkLevels: Array("_.-=+*#%@"),
        densityLevels: Array(" .:-=+*#%@"),
        horizontal: "-", vertical: "|",
        topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        teeRight: "+", teeLeft: "+",
        arrowLeft: "<", arrowRight: ">", arrowUp: "^", arrowDown: "v",
        pointer: ">", dot: ".", ellipsis: "~",
        nan: "x", positiveInfinity: "+", negativeInfinity: "-",
        aboveRange: "^", belowRange: "v", dash: "-")

    /// The Unicode set when `unicode` is true, else ASCII.
    public static func forUnicode(_ unicode: Bool) -> Glyphs { unicode ? .unicode : .ascii }

    /// Whether the locale named by the environment uses UTF-8: the first non-empty of
    /// `LC_ALL`, `LC_CTYPE`, `LANG` mentions UTF-8 (or utf8).
    public static func environmentIsUTF8(_ environment: [String: String]) -> Bool {
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let v = environment[name], !v.isEmpty {
                let lower = v.lowercased()
                return lower.contains("utf-8") || lower.contains("utf8")
            }
        }
        return false
    }

    /// The set for the current process environment (see `environmentIsUTF8`).
    public static func fromEnvironment() -> Glyphs {
        var env: [String: String] = [:]
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            if let p = getenv(name) { env[name] = String(cString: p) }
        }
        return forUnicode(environmentIsUTF8(env))
    }

    /// The sparkline glyph for `level` in 0...1 (clamped; NaN gives the NaN marker).
    public func spark(level: Double) -> Character {
        Glyphs.pick(sparkLevels, level) ?? nan
    }

    /// The density glyph for `level` in 0...1 (clamped; NaN gives the NaN marker).
    /// Level 0 is a space.
    public func density(level: Double) -> Character {
        Glyphs.pick(densityLevels, level) ?? nan
    }

    /// The marker for a non-normal sample, `nil` for `.normal`.
    public func marker(for sampleClass: SampleClass) -> Character? {
        switch sampleClass {
        case .normal: return nil
        case .nan: return nan
        case .positiveInfinity: return positiveInfinity
        case .negativeInfinity: return negativeInfinity
        case .aboveRange: return aboveRange
        case .belowRange: return belowRange
        }
    }

    /// `text` cut to at most `width` characters, ending in `ellipsis` when cut.
    public func truncate(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        if text.count <= width { return text }
        return String(text.prefix(width - 1)) + String(ellipsis)
    }

    static func pick(_ levels: [Character], _ level: Double) -> Character? {
        guard !level.isNaN, !levels.isEmpty else { return nil }
        let clamped = min(1, max(0, level))
        let i = Int((clamped * Double(levels.count - 1)).rounded())
        return levels[min(levels.count - 1, max(0, i))]
    }
}
