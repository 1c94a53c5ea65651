#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNcursesw

// NOTE: all calls to the shim's signal helpers (unroll_install_signal_handlers & co.) must stay
// in this file: their state is static per translation unit.

/// Why an `NcursesTerminal` could not start.
public enum TerminalError: Error, Equatable, CustomStringConvertible {
    /// stdin or stdout is not a terminal.
    case notATerminal
    /// ncurses could not start (unknown `TERM`, …).
    case initializationFailed(term: String)
    /// Another `NcursesTerminal` is running (ncurses has one screen per process here).
    case alreadyActive

    public var description: String {
        switch self {
        case .notATerminal: return "standard input/output is not a terminal"
        case .initializationFailed(let term): return "could not initialise the terminal (TERM=\(term))"
        case .alreadyActive: return "a terminal session is already active"
        }
    }
}

/// The real terminal, through ncursesw.
///
/// `init` sets the locale from the environment, starts curses (cbreak, noecho, keypad,
/// nonl, hidden cursor), colours when available (`NO_COLOR` set and non-empty turns them off),
/// and mouse reporting where supported. SIGINT, SIGTERM, SIGHUP and SIGQUIT restore the
/// terminal and exit with status 128 + signal; crash signals restore it before the usual
/// crash handling. Call `shutdown()` (idempotent) before exiting normally or on error.
public final class NcursesTerminal: Terminal {
    public private(set) var size: (width: Int, height: Int)
    public let capabilities: TerminalCapabilities

    private var screen: OpaquePointer?
    private var window: UnsafeMutablePointer<WINDOW>?
    private var isActive = false
    /// The last frame as drawn (already clipped to the screen size), for diffing.
    private var shown: [Cell] = []
    private var shownWidth = 0
    private var shownHeight = 0
    private var needsFullRedraw = true
    private var styleCache: [CellStyle: (attrs: attr_t, pair: Int32)] = [:]
    private var pairs: [PairKey: Int32] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    private let defaultColorsAvailable: Bool
    private var currentTimeout: Int = Int.min

    private static var activeInstance = false

    private struct PairKey: Hashable { let fg: Int32; let bg: Int32 }

    /// Starts curses on the process's terminal.
    /// - Parameters:
    ///   - enableMouse: ask for mouse button and wheel events.
    ///   - escapeDelayMilliseconds: how long a lone ESC waits for a following key sequence.
    /// Sets what a terminating signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) runs after the screen is restored and
    /// before the process exits: a C function with no captures, which must be async-signal-safe.
    public static func setTerminateHook(_ hook: (@convention(c) () -> Void)?) {
        unroll_terminate_hook().pointee = hook
    }

    public init(enableMouse: Bool = true, escapeDelayMilliseconds: Int = 25) throws {
        guard !NcursesTerminal.activeInstance else { throw TerminalError.alreadyActive }
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw TerminalError.notATerminal }

        setlocale(LC_ALL, "")
        var unicode = NcursesTerminal.codesetIsUTF8()
        if !unicode {
            var env: [String: String] = [:]
            for n in ["LC_ALL", "LC_CTYPE", "LANG"] { if let p = getenv(n) { env[n] = String(cString: p) } }
            // The environment asks for UTF-8 but that locale is not installed: C.UTF-8 usually is.
            if Glyphs.environmentIsUTF8(env), setlocale(LC_CTYPE, "C.UTF-8") != nil {
                unicode = NcursesTerminal.codesetIsUTF8()
            }
        }

        let termName = getenv("TERM").map { String(cString: $0) } ?? ""
        guard let scr = newterm(nil, stdout, stdin) else {
            throw TerminalError.initializationFailed(term: termName)
        }
        screen = scr
        set_term(scr)
        let win = unroll_stdscr()
        window = win
        NcursesTerminal.activeInstance = true
        isActive = true
        unroll_install_signal_handlers()

        cbreak()
        noecho()
        nonl()
        keypad(win, true)
        intrflush(win, false)
        curs_set(0)
        set_escdelay(Int32(max(0, escapeDelayMilliseconds)))

        var mode = ColorMode.none
        var defaults = false
        let noColor = getenv("NO_COLOR").map { String(cString: $0) } ?? ""
        if noColor.isEmpty, has_colors() {
            start_color()
            defaults = use_default_colors() == OK
            let n = unroll_colors()
            mode = n >= 256 ? .palette256 : (n >= 8 ? .basic8 : .none)
        }
        defaultColorsAvailable = defaults
        maxPairs = mode == .none ? 0 : Int32(max(0, min(Int(unroll_color_pairs()) - 1, 32767)))

        var mouse = false
        if enableMouse {
            let wanted = unroll_button1_pressed() | unroll_button1_released()
                | unroll_button2_pressed() | unroll_button2_released()
                | unroll_button3_pressed() | unroll_button3_released()
                | unroll_button4_pressed() | unroll_button5_pressed()
            var old: mmask_t = 0
            let got = mousemask(wanted, &old)
            mouse = got != 0
            if mouse { mouseinterval(0) }  // raw presses/releases, no click detection delay
        }

        capabilities = TerminalCapabilities(colorMode: mode, unicode: unicode, mouse: mouse)
        size = (Int(max(0, getmaxx(win))), Int(max(0, getmaxy(win))))
        werase(win)
        wrefresh(win)
    }

    deinit { shutdown() }

    private static func codesetIsUTF8() -> Bool {
        guard let cs = unroll_codeset() else { return false }
        let name = String(cString: cs).lowercased()
        return name == "utf-8" || name == "utf8"
    }

    public func present(_ grid: CellGrid) {
        guard isActive, let win = window else { return }
        let w = size.width, h = size.height
        if needsFullRedraw || w != shownWidth || h != shownHeight {
            werase(win)
            shown = Array(repeating: Cell.blank, count: w * h)
            shownWidth = w
            shownHeight = h
            needsFullRedraw = false
            // Force every cell to be written below.
            for i in shown.indices { shown[i] = Cell("\u{0}") }
        }
        var buffer = [wchar_t](repeating: 0, count: Int(CCHARW_MAX) + 1)
        for y in 0..<h {
            for x in 0..<w {
                let cell = grid.cell(x: x, y: y) ?? .blank
                let i = y * w + x
                if shown[i] == cell { continue }
                shown[i] = cell
                let (attrs, pair) = resolve(cell.style)
                fill(&buffer, with: cell.char)
                // ERR at the bottom-right corner (the cursor cannot advance) is expected: ignore.
                _ = buffer.withUnsafeBufferPointer { p in
                    unroll_put_cell(win, Int32(y), Int32(x), p.baseAddress, attrs, pair)
                }
            }
        }
        wrefresh(win)
    }

    public func nextKey(timeoutMilliseconds: Int) -> Key? {
        guard isActive, let win = window else { return nil }
        let t = timeoutMilliseconds < 0 ? -1 : min(timeoutMilliseconds, Int(Int32.max))
        if t != currentTimeout {
            wtimeout(win, Int32(t))
            currentTimeout = t
        }
        while true {
            var ch: wint_t = 0
            let status = wget_wch(win, &ch)
            if status == ERR { return nil }
            if status == KEY_CODE_YES, Int32(truncatingIfNeeded: ch) == KEY_MOUSE {
                var mx: Int32 = 0, my: Int32 = 0
                var state: mmask_t = 0
                if unroll_getmouse(&mx, &my, &state) == OK,
                   let key = NcursesKeyDecoder.mouse(buttonState: state, x: Int(mx), y: Int(my)) {
                    return key
                }
                if timeoutMilliseconds == 0 { return nil }
                continue  // an event we don't report: keep waiting
            }
            if status == KEY_CODE_YES, Int32(truncatingIfNeeded: ch) == KEY_RESIZE {
                size = (Int(max(0, getmaxx(win))), Int(max(0, getmaxy(win))))
                needsFullRedraw = true
                return .resize
            }
            if let key = NcursesKeyDecoder.key(status: status, code: UInt32(ch)) { return key }
            if timeoutMilliseconds == 0 { return nil }
        }
    }

    public func shutdown() {
        guard isActive else { return }
        isActive = false
        if capabilities.mouse {
            var old: mmask_t = 0
            mousemask(0, &old)
        }
        curs_set(1)
        unroll_uninstall_signal_handlers()
        endwin()
        if let scr = screen {
            delscreen(scr)
            screen = nil
        }
        window = nil
        NcursesTerminal.activeInstance = false
    }

    // MARK: - Drawing helpers

    private func fill(_ buffer: inout [wchar_t], with ch: Character) {
        var n = 0
        for s in ch.unicodeScalars {
            if n >= buffer.count - 1 { break }
            var v = s.value
            if !capabilities.unicode && v > 0x7e { v = UInt32(UInt8(ascii: "?")) }
            if v < 0x20 || v == 0x7f { v = 0x20 }
            buffer[n] = wchar_t(bitPattern: v)
            n += 1
            if !capabilities.unicode { break }
        }
        if n == 0 { buffer[0] = 0x20; n = 1 }
        buffer[n] = 0
    }

    private func resolve(_ style: CellStyle) -> (attr_t, Int32) {
        if let hit = styleCache[style] { return hit }
        var attrs = unroll_a_normal()
        if style.attributes.contains(.bold) { attrs |= unroll_a_bold() }
        if style.attributes.contains(.dim) { attrs |= unroll_a_dim() }
        if style.attributes.contains(.reverse) { attrs |= unroll_a_reverse() }
        if style.attributes.contains(.underline) { attrs |= unroll_a_underline() }
        let s = style.degraded(to: capabilities.colorMode)
        let pair = pairFor(fg: colorNumber(s.fg, isForeground: true), bg: colorNumber(s.bg, isForeground: false))
        styleCache[style] = (attrs, pair)
        return (attrs, pair)
    }

    private func colorNumber(_ c: Color, isForeground: Bool) -> Int32 {
        switch c {
        case .default:
            if defaultColorsAvailable { return -1 }
            return isForeground ? 7 : 0
        case .ansi(let n):
            return capabilities.colorMode == .basic8 ? Int32(n % 8) : Int32(n % 16)
        case .palette(let n):
            return Int32(n)
        }
    }

    /// The colour pair for (fg, bg), allocated on first use. When pairs run out: a pair with the
    /// same foreground, else pair 0 (the terminal's default colours).
    private func pairFor(fg: Int32, bg: Int32) -> Int32 {
        let defaultFg: Int32 = defaultColorsAvailable ? -1 : 7
        let defaultBg: Int32 = defaultColorsAvailable ? -1 : 0
        if capabilities.colorMode == .none || (fg == defaultFg && bg == defaultBg) { return 0 }
        let key = PairKey(fg: fg, bg: bg)
        if let p = pairs[key] { return p }
        if nextPair <= maxPairs, init_extended_pair(nextPair, fg, bg) == OK {
            let p = nextPair
            nextPair += 1
            pairs[key] = p
            return p
        }
        // Out of pairs: degrade gracefully.
        let fallback = pairs[PairKey(fg: fg, bg: defaultBg)] ?? pairs.first(where: { $0.key.bg == bg })?.value ?? 0
        pairs[key] = fallback
        return fallback
    }
}
