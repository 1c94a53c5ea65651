import Foundation
import RNNEngine
import TerminalUI

/// Number and label formatting shared by the panes.
enum Format {
    /// A value in exactly 6 columns: `+0.123`, `-12.35`, `+1.2e5`, `   NaN`, `  +Inf`.
    static func num(_ v: Double) -> String {
        if v.isNaN { return "   NaN" }
        if v == 0 { return " 0.000" }  // also -0.0 (a dropped unit of a negative value)
        if v.isInfinite { return v > 0 ? "  +Inf" : "  -Inf" }
        let a = abs(v)
        let s: String
        if a < 9.9995 { s = String(format: "%+.3f", v) }
        else if a < 99.995 { s = String(format: "%+.2f", v) }
        else if a < 999.95 { s = String(format: "%+.1f", v) }
        else { s = String(format: "%+.0e", v).replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e") }
        return s.count >= 6 ? String(s.prefix(6)) : String(repeating: " ", count: 6 - s.count) + s
    }

    /// A value with more digits, for the readout under the cursor.
    static func precise(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return String(format: "%+.6g", v)
    }

    /// A short number: `6`, `0.5`, `12.5`.
    static func compact(_ v: Double) -> String { String(format: "%g", v) }

    /// `20000` → `20,000`.
    static func count(_ n: Int) -> String {
        let s = String(abs(n))
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// What a learner reads for a gate (`i input gate`), from the engine's gate table, under the letter the
    /// experiment's framework gives it (`c candidate` under keras, `g candidate` under torch; `Gate.letter`); the
    /// name alone for others.
    static func gateLabel(_ name: String, gates: [GateDescription], kind: CellKind? = nil, convention: Convention = .tf) -> String {
        guard let g = gates.first(where: { $0.name == name }) else { return name }
        let letter = kind.flatMap { k in Gate(tfName: g.name).map { $0.letter(in: convention, kind: k) } } ?? g.name
        return "\(letter) \(g.title)"
    }

    /// The state shapes of one layer, e.g. `c=[4, 6] h=[4, 6]` or `[4, 4]`.
    static func stateShapes(_ sizes: Nest<Int>, batch: Int) -> String {
        switch sizes {
        case let .leaf(n): return formatShape([batch, n])
        case let .lstm(c, h): return "c=\(formatShape([batch, c])) h=\(formatShape([batch, h]))"
        case .tuple: return sizes.stateShapesDescription(batch: batch)
        }
    }
}

/// Symbols that have an ASCII fallback.
struct Symbols {
    let glyphs: Glyphs
    var arrow: String { glyphs.isUnicode ? "→" : "->" }
    var geq: String { glyphs.isUnicode ? "≥" : ">=" }
    var times: String { glyphs.isUnicode ? "×" : "x" }
    var sep: String { glyphs.isUnicode ? "·" : "|" }
    var bar: Character { glyphs.isUnicode ? "█" : "#" }
    /// The bar at the cursor's step: a shade, not `bar` in reverse video (which shows as a gap in the bar).
    var cursorBar: Character { glyphs.isUnicode ? "▒" : "@" }
    var marker: Character { glyphs.isUnicode ? "▼" : "v" }
    var play: String { glyphs.isUnicode ? "▶" : ">" }
    var del: String { glyphs.isUnicode ? "⌫" : "Del" }
    var sigma: String { glyphs.isUnicode ? "σ" : "sigmoid" }
}

/// Styles the panes share.
enum Styles {
    static let title = CellStyle(attributes: [.reverse, .bold])
    static let status = CellStyle(attributes: .reverse)
    static let label = CellStyle(fg: .cyan)
    static let focusedBorder = CellStyle(fg: .yellow, attributes: .bold)
    static let border = CellStyle(fg: .brightBlack)
    static let selected = CellStyle(attributes: [.reverse, .bold])
    static let dim = CellStyle(attributes: .dim)
    static let masked = CellStyle(fg: .yellow)
    static let error = CellStyle(fg: .red, attributes: .bold)
    static let ok = CellStyle(fg: .green)
    static let key = CellStyle(attributes: [.reverse])
    static let more = CellStyle(fg: .yellow, attributes: .bold)
}
