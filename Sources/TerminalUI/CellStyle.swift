/// Text attributes of a cell.
public struct Attributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = Attributes(rawValue: 1 << 0)
    public static let dim = Attributes(rawValue: 1 << 1)
    public static let reverse = Attributes(rawValue: 1 << 2)
    public static let underline = Attributes(rawValue: 1 << 3)
}

/// Foreground, background and attributes of a cell.
public struct CellStyle: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var attributes: Attributes

    public init(fg: Color = .default, bg: Color = .default, attributes: Attributes = []) {
        self.fg = fg
        self.bg = bg
        self.attributes = attributes
    }

    /// Default colours, no attributes.
    public static let plain = CellStyle()
    public static let bold = CellStyle(attributes: .bold)
    public static let dim = CellStyle(attributes: .dim)
    public static let reverse = CellStyle(attributes: .reverse)
    public static let underline = CellStyle(attributes: .underline)

    public var isBold: Bool { attributes.contains(.bold) }
    public var isDim: Bool { attributes.contains(.dim) }
    public var isReverse: Bool { attributes.contains(.reverse) }
    public var isUnderline: Bool { attributes.contains(.underline) }

    /// A copy with extra attributes.
    public func adding(_ extra: Attributes) -> CellStyle {
        var s = self
        s.attributes.formUnion(extra)
        return s
    }

    /// A copy with another foreground.
    public func withForeground(_ color: Color) -> CellStyle {
        var s = self
        s.fg = color
        return s
    }

    /// A copy with another background.
    public func withBackground(_ color: Color) -> CellStyle {
        var s = self
        s.bg = color
        return s
    }

    /// Colours degraded to what `mode` can show; attributes are kept.
    public func degraded(to mode: ColorMode) -> CellStyle {
        CellStyle(fg: fg.degraded(to: mode), bg: bg.degraded(to: mode), attributes: attributes)
    }
}

/// One terminal cell: a single-column character and its style.
public struct Cell: Hashable, Sendable {
    public var char: Character
    public var style: CellStyle

    public init(_ char: Character = " ", style: CellStyle = .plain) {
        self.char = char
        self.style = style
    }

    /// A space in the plain style.
    public static let blank = Cell()
}
