/// How many colours a terminal can show. Ordered: `none < basic8 < palette256`.
public enum ColorMode: Int, Comparable, CaseIterable, Sendable {
    /// Monochrome (no colour support, or `NO_COLOR` set): only attributes and glyphs.
    case none = 0
    /// The eight ANSI colours 0–7.
    case basic8 = 1
    /// The xterm 256-colour palette (16 ANSI colours, a 6×6×6 cube, 24 greys).
    case palette256 = 2

    public static func < (lhs: ColorMode, rhs: ColorMode) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A terminal colour: the terminal's default, one of the 16 ANSI colours, or an xterm-256 palette index.
public enum Color: Hashable, Sendable {
    /// The terminal's own foreground or background.
    case `default`
    /// ANSI colour 0–15 (0–7 normal, 8–15 bright). Values above 15 are taken modulo 16.
    case ansi(UInt8)
    /// xterm-256 palette index 0–255 (0–15 are the ANSI colours).
    case palette(UInt8)

    public static let black = Color.ansi(0)
    public static let red = Color.ansi(1)
    public static let green = Color.ansi(2)
    public static let yellow = Color.ansi(3)
    public static let blue = Color.ansi(4)
    public static let magenta = Color.ansi(5)
    public static let cyan = Color.ansi(6)
    public static let white = Color.ansi(7)
    public static let brightBlack = Color.ansi(8)
    public static let brightRed = Color.ansi(9)
    public static let brightGreen = Color.ansi(10)
    public static let brightYellow = Color.ansi(11)
    public static let brightBlue = Color.ansi(12)
    public static let brightMagenta = Color.ansi(13)
    public static let brightCyan = Color.ansi(14)
    public static let brightWhite = Color.ansi(15)

    /// A colour of the 6×6×6 cube; each component is clamped to 0...5.
    public static func cube(r: Int, g: Int, b: Int) -> Color {
        let c = { (v: Int) in min(5, max(0, v)) }
        return .palette(UInt8(16 + 36 * c(r) + 6 * c(g) + c(b)))
    }

    /// A grey of the 24-step ramp (232–255); `level` is clamped to 0...23.
    public static func gray(_ level: Int) -> Color {
        .palette(UInt8(232 + min(23, max(0, level))))
    }

    /// The xterm-256 index of this colour (`nil` for `.default`).
    public var paletteIndex: Int? {
        switch self {
        case .default: return nil
        case .ansi(let n): return Int(n % 16)
        case .palette(let n): return Int(n)
        }
    }

    /// Approximate sRGB (0–255 per channel) of an xterm-256 index, as xterm draws it.
    public static func rgb(ofPaletteIndex index: Int) -> (r: Int, g: Int, b: Int) {
        let i = min(255, max(0, index))
        if i < 16 {
            let table: [(Int, Int, Int)] = [
                (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
                (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
                (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
                (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
            ]
            let t = table[i]
            return (t.0, t.1, t.2)
        }
        if i < 232 {
            let v = i - 16
            let level = { (n: Int) in n == 0 ? 0 : 55 + 40 * n }
            return (level(v / 36), level((v / 6) % 6), level(v % 6))
        }
        let g = 8 + 10 * (i - 232)
        return (g, g, g)
    }

    /// This colour as the given mode can show it: palette colours become the nearest of the
    /// eight basic colours in `.basic8` (bright ANSI colours become their normal variant, except bright
    /// black, which becomes the default colour rather than black),
    /// and every colour becomes `.default` in `.none`.
    public func degraded(to mode: ColorMode) -> Color {
        switch (mode, self) {
        case (_, .default): return .default
        case (.none, _): return .default
        case (.palette256, .ansi(let n)): return .ansi(n % 16)
        case (.palette256, .palette(let n)): return n < 16 ? .ansi(n) : .palette(n)
        // Bright black (grey) would become black, which vanishes on a dark background: use the default colour.
        case (.basic8, .ansi(8)): return .default
        case (.basic8, .ansi(let n)): return .ansi((n % 16) % 8)
        case (.basic8, .palette(let n)):
            if n < 16 { return .ansi(n % 8) }
            return .ansi(UInt8(Color.nearestBasic8(Color.rgb(ofPaletteIndex: Int(n)))))
        }
    }

    /// Index 0–7 of the basic colour closest to an RGB value. Greys go to black or white;
    /// other colours to the hue of their strongest channels.
    static func nearestBasic8(_ c: (r: Int, g: Int, b: Int)) -> Int {
        let hi = max(c.r, c.g, c.b), lo = min(c.r, c.g, c.b)
        if hi - lo < 48 {  // greyish
            return (c.r + c.g + c.b) / 3 >= 100 ? 7 : 0
        }
        // A channel counts as "on" when it is at least halfway between the weakest and strongest.
        let mid = (hi + lo) / 2
        let r = c.r > mid ? 1 : 0, g = c.g > mid ? 1 : 0, b = c.b > mid ? 1 : 0
        return r | (g << 1) | (b << 2)
    }
}
