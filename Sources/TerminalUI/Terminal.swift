/// What a terminal can show and report.
public struct TerminalCapabilities: Hashable, Sendable {
    public var colorMode: ColorMode
    /// The locale is UTF-8, so `Glyphs.unicode` may be used.
    public var unicode: Bool
    /// Mouse events (`Key.mouse`) may arrive.
    public var mouse: Bool

    public init(colorMode: ColorMode, unicode: Bool, mouse: Bool) {
        self.colorMode = colorMode
        self.unicode = unicode
        self.mouse = mouse
    }

    /// The glyph set matching `unicode`.
    public var glyphs: Glyphs { Glyphs.forUnicode(unicode) }
}

/// A terminal the app draws frames on and reads keys from.
/// Typical loop: make a `CellGrid` of `size`, draw, `present` it, then `nextKey`;
/// on `.resize` read `size` again. Call `shutdown()` before exiting (also on errors).
public protocol Terminal: AnyObject {
    /// Current size in cells.
    var size: (width: Int, height: Int) { get }
    var capabilities: TerminalCapabilities { get }
    /// Shows `grid` (cells outside the terminal are ignored; missing ones are blank).
    func present(_ grid: CellGrid)
    /// The next key, waiting at most `timeoutMilliseconds` (negative: wait indefinitely;
    /// 0: don't wait). `nil` on timeout.
    func nextKey(timeoutMilliseconds: Int) -> Key?
    /// Restores the terminal. Idempotent.
    func shutdown()
}

extension Terminal {
    /// A blank grid of the current size using the capabilities' glyph set.
    public func makeGrid() -> CellGrid {
        let s = size
        return CellGrid(width: s.width, height: s.height, glyphs: capabilities.glyphs)
    }
}
