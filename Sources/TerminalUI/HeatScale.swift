/// Maps numbers to heatmap cells for a colour mode: a colour ramp in colour modes,
/// glyph density in `.none`, and markers for NaN, ±Inf and out-of-range values.
public struct HeatScale: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Values in -1...1: blue (negative) through white (0) to red (positive).
        case diverging
        /// Values in 0...1: dark to bright.
        case sequential
    }

    public var kind: Kind
    public var mode: ColorMode
    public var glyphs: Glyphs

    public init(kind: Kind, mode: ColorMode, glyphs: Glyphs) {
        self.kind = kind
        self.mode = mode
        self.glyphs = glyphs
    }

    /// -1...1 for `.diverging`, 0...1 for `.sequential`.
    public var domain: ClosedRange<Double> { kind == .diverging ? -1...1 : 0...1 }

    /// The 256-colour diverging ramp, negative end first (xterm cube indices).
    public static let diverging256: [UInt8] = [21, 27, 69, 111, 153, 231, 223, 216, 209, 202, 196]
    /// The 8-colour diverging ramp: blue, cyan, white, yellow, red.
    public static let diverging8: [UInt8] = [4, 6, 7, 3, 1]
    /// The 256-colour sequential ramp: black, reds, oranges, yellow, white.
    public static let sequential256: [UInt8] = [16, 52, 88, 124, 160, 196, 202, 208, 214, 220, 226, 229, 231]
    /// The 8-colour sequential ramp: blue, magenta, red, yellow, white.
    public static let sequential8: [UInt8] = [4, 5, 1, 3, 7]

    /// `value` mapped to 0...1 over the domain, clamped (±Inf clamp to the ends; NaN gives 0.5).
    public func level(_ value: Double) -> Double {
        if value.isNaN { return 0.5 }
        let d = domain
        let t = (value - d.lowerBound) / (d.upperBound - d.lowerBound)
        return min(1, max(0, t))
    }

    /// The ramp colour for `value` (clamped to the domain); `.default` in `.none` mode.
    public func color(_ value: Double) -> Color {
        let ramp: [UInt8]
        switch (mode, kind) {
        case (.none, _): return .default
        case (.basic8, .diverging): ramp = HeatScale.diverging8
        case (.basic8, .sequential): ramp = HeatScale.sequential8
        case (.palette256, .diverging): ramp = HeatScale.diverging256
        case (.palette256, .sequential): ramp = HeatScale.sequential256
        }
        let i = Int((level(value) * Double(ramp.count - 1)).rounded())
        let index = ramp[min(ramp.count - 1, max(0, i))]
        return mode == .basic8 ? .ansi(index) : .palette(index)
    }

    /// The cell drawing `value`. In colour modes a normal value is a space on the ramp colour;
    /// in `.none` it is the density glyph of its level. NaN, ±Inf and out-of-range values
    /// show their marker (out-of-range keeps the clamped colour) in a distinct style.
    public func cell(_ value: Double) -> Cell {
        let cls = SampleClass.classify(value, in: domain)
        let marker = glyphs.marker(for: cls)
        if mode == .none {
            if let m = marker { return Cell(m, style: HeatScale.markerStyle(cls, mode: mode)) }
            return Cell(glyphs.density(level: level(value)), style: .plain)
        }
        guard let m = marker else { return Cell(" ", style: CellStyle(bg: color(value))) }
        switch cls {
        case .aboveRange, .belowRange:
            // Clamped colour, high-contrast marker on it.
            let bg = color(value)
            return Cell(m, style: CellStyle(fg: HeatScale.contrast(on: bg, mode: mode), bg: bg, attributes: .bold))
        default:
            return Cell(m, style: HeatScale.markerStyle(cls, mode: mode))
        }
    }

    /// The style of a marker for NaN / ±Inf / out-of-range in a colour mode (no colours in `.none`:
    /// NaN is reversed, +Inf bold, -Inf underlined, out-of-range bold).
    public static func markerStyle(_ cls: SampleClass, mode: ColorMode) -> CellStyle {
        switch (mode, cls) {
        case (_, .normal): return .plain
        case (.none, .nan): return CellStyle(attributes: .reverse)
        case (.none, .positiveInfinity): return CellStyle(attributes: .bold)
        case (.none, .negativeInfinity): return CellStyle(attributes: [.bold, .underline])
        case (.none, _): return CellStyle(attributes: .bold)
        case (_, .nan): return CellStyle(fg: .black, bg: .magenta, attributes: .bold)
        case (_, .positiveInfinity): return CellStyle(fg: .yellow, bg: .red, attributes: .bold)
        case (_, .negativeInfinity): return CellStyle(fg: .cyan, bg: .blue, attributes: .bold)
        case (_, .aboveRange), (_, .belowRange): return CellStyle(attributes: .bold)
        }
    }

    /// Black or white, whichever reads better on `background`.
    static func contrast(on background: Color, mode: ColorMode) -> Color {
        guard let i = background.paletteIndex else { return .default }
        let c = Color.rgb(ofPaletteIndex: i)
        let luma = (299 * c.r + 587 * c.g + 114 * c.b) / 1000
        return luma > 110 ? .black : .white
    }
}

/// Sparklines: a row of cells for a series of values.
public enum Sparkline {
    /// One cell per value. `range` defaults to the min...max of the finite values
    /// (a flat series draws at mid height). NaN, ±Inf and out-of-range values get markers
    /// styled by `HeatScale.markerStyle`; normal values use `style`.
    public static func cells(_ values: [Double], range: ClosedRange<Double>? = nil,
                             glyphs: Glyphs, mode: ColorMode, style: CellStyle = .plain) -> [Cell] {
        let finite = values.filter { $0.isFinite }
        let r: ClosedRange<Double>
        if let given = range {
            r = given
        } else if let lo = finite.min(), let hi = finite.max() {
            r = lo...hi
        } else {
            r = 0...1
        }
        let span = r.upperBound - r.lowerBound
        return values.map { v in
            let cls = SampleClass.classify(v, in: r)
            if let m = glyphs.marker(for: cls) {
                return Cell(m, style: HeatScale.markerStyle(cls, mode: mode))
            }
            let level = span > 0 ? (v - r.lowerBound) / span : 0.5
            return Cell(glyphs.spark(level: level), style: style.degraded(to: mode))
        }
    }
}
