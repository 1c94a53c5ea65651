import CNcursesw

/// ncurses' key and mouse codes turned into `Key`s: the ncurses backend's half of reading keys (`Key` itself
/// knows nothing of ncurses).
enum NcursesKeyDecoder {
    /// The key for a `wget_wch` result: `status` is `OK` (a character in `code`) or
    /// `KEY_CODE_YES` (a `KEY_*` code in `code`). Returns `nil` for `ERR` (timeout), for
    /// `KEY_MOUSE` (read it with `getmouse`, see `mouse(buttonState:x:y:)`) and for
    /// codes with no meaning here.
    static func key(status: Int32, code: UInt32) -> Key? {
        if status == KEY_CODE_YES {
            return key(keyCode: Int32(truncatingIfNeeded: code))
        }
        guard status == OK else { return nil }
        return key(character: code)
    }

    /// The key for a function-key code (`KEY_UP`, `KEY_F(n)`, …).
    static func key(keyCode code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME, KEY_A1: return .home
        case KEY_END, KEY_C1: return .end
        case KEY_PPAGE, KEY_A3: return .pageUp
        case KEY_NPAGE, KEY_C3: return .pageDown
        case KEY_BTAB: return .backTab
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_RESIZE: return .resize
        default:
            let f0 = unroll_key_f0()
            if code > f0, code <= f0 + 63 { return .function(Int(code - f0)) }
            return nil
        }
    }

    /// The key for a character read in `OK` status (a wide character code point).
    static func key(character code: UInt32) -> Key? {
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 8, 127: return .backspace
        case 0: return .ctrl("@")
        case 1...26: return .ctrl(Character(Unicode.Scalar(UInt8(96 + code))))
        case 28: return .ctrl("\\")
        case 29: return .ctrl("]")
        case 30: return .ctrl("^")
        case 31: return .ctrl("_")
        default:
            guard code >= 32, let scalar = Unicode.Scalar(code), !(0x80..<0xa0).contains(code) else { return nil }
            return .char(Character(scalar))
        }
    }

    /// The mouse key for an ncurses button state (`MEVENT.bstate`), `nil` if it is
    /// none of the events we report (presses, releases of buttons 1–3, wheel up/down).
    static func mouse(buttonState state: mmask_t, x: Int, y: Int) -> Key? {
        if state & unroll_button4_pressed() != 0 { return .mouse(x: x, y: y, kind: .scrollUp) }
        let b5 = unroll_button5_pressed()
        if b5 != 0, state & b5 != 0 { return .mouse(x: x, y: y, kind: .scrollDown) }
        let presses = unroll_button1_pressed() | unroll_button2_pressed() | unroll_button3_pressed()
        if state & presses != 0 { return .mouse(x: x, y: y, kind: .press) }
        let releases = unroll_button1_released() | unroll_button2_released() | unroll_button3_released()
        if state & releases != 0 { return .mouse(x: x, y: y, kind: .release) }
        return nil
    }
}
