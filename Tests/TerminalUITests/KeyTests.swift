import XCTest
import CNcursesw
@testable import TerminalUI

final class KeyTests: XCTestCase {
    private func code(_ k: Int32) -> Key? { NcursesKeyDecoder.key(status: KEY_CODE_YES, code: UInt32(k)) }
    private func char(_ c: UInt32) -> Key? { NcursesKeyDecoder.key(status: OK, code: c) }

    func testFunctionKeyCodes() {
        XCTAssertEqual(code(KEY_UP), .up)
        XCTAssertEqual(code(KEY_DOWN), .down)
        XCTAssertEqual(code(KEY_LEFT), .left)
        XCTAssertEqual(code(KEY_RIGHT), .right)
        XCTAssertEqual(code(KEY_HOME), .home)
        XCTAssertEqual(code(KEY_END), .end)
        XCTAssertEqual(code(KEY_PPAGE), .pageUp)
        XCTAssertEqual(code(KEY_NPAGE), .pageDown)
        XCTAssertEqual(code(KEY_BTAB), .backTab)
        XCTAssertEqual(code(KEY_ENTER), .enter)
        XCTAssertEqual(code(KEY_BACKSPACE), .backspace)
        XCTAssertEqual(code(KEY_DC), .delete)
        XCTAssertEqual(code(KEY_RESIZE), .resize)
        XCTAssertEqual(code(unroll_key_f(1)), .function(1))
        XCTAssertEqual(code(unroll_key_f(12)), .function(12))
        XCTAssertNil(code(KEY_MOUSE))
        XCTAssertNil(code(unroll_key_f0()))
    }

    func testCharacters() {
        XCTAssertEqual(char(27), .escape)
        XCTAssertEqual(char(9), .tab)
        XCTAssertEqual(char(13), .enter)
        XCTAssertEqual(char(10), .enter)
        XCTAssertEqual(char(127), .backspace)
        XCTAssertEqual(char(8), .backspace)
        XCTAssertEqual(char(3), .ctrl("c"))
        XCTAssertEqual(char(1), .ctrl("a"))
        XCTAssertEqual(char(26), .ctrl("z"))
        XCTAssertEqual(char(0), .ctrl("@"))
        XCTAssertEqual(char(31), .ctrl("_"))
        XCTAssertEqual(char(32), .char(" "))
        XCTAssertEqual(char(UInt32(UInt8(ascii: "q"))), .char("q"))
        XCTAssertEqual(char(0x00E9), .char("é"))
        XCTAssertEqual(char(0x2192), .char("→"))
        XCTAssertNil(char(0x9b))
        XCTAssertNil(char(0xD800), "surrogate is not a scalar")
    }

    func testErrIsNil() {
        XCTAssertNil(NcursesKeyDecoder.key(status: ERR, code: 65))
    }

    func testMouseButtonStates() {
        XCTAssertEqual(NcursesKeyDecoder.mouse(buttonState: unroll_button1_pressed(), x: 3, y: 4), .mouse(x: 3, y: 4, kind: .press))
        XCTAssertEqual(NcursesKeyDecoder.mouse(buttonState: unroll_button1_released(), x: 0, y: 0), .mouse(x: 0, y: 0, kind: .release))
        XCTAssertEqual(NcursesKeyDecoder.mouse(buttonState: unroll_button4_pressed(), x: 1, y: 2), .mouse(x: 1, y: 2, kind: .scrollUp))
        XCTAssertNotEqual(unroll_button5_pressed(), 0)
        XCTAssertEqual(NcursesKeyDecoder.mouse(buttonState: unroll_button5_pressed(), x: 1, y: 2), .mouse(x: 1, y: 2, kind: .scrollDown))
        XCTAssertNil(NcursesKeyDecoder.mouse(buttonState: 0, x: 1, y: 2))
    }
}
