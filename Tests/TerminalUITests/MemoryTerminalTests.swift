import XCTest
@testable import TerminalUI

final class MemoryTerminalTests: XCTestCase {
    func testScriptedKeysThenTimeout() {
        let t = MemoryTerminal(width: 20, height: 5, keys: [.down, .char("j")])
        t.enqueue(.enter)
        t.enqueue(text: "q")
        XCTAssertEqual(t.nextKey(timeoutMilliseconds: 100), .down)
        XCTAssertEqual(t.nextKey(timeoutMilliseconds: 100), .char("j"))
        XCTAssertEqual(t.nextKey(timeoutMilliseconds: -1), .enter)
        XCTAssertEqual(t.nextKey(timeoutMilliseconds: 0), .char("q"))
        XCTAssertNil(t.nextKey(timeoutMilliseconds: 0))
        XCTAssertEqual(t.nextKeyCount, 5)
    }

    func testResizeQueuesResizeKey() {
        let t = MemoryTerminal(width: 80, height: 24)
        t.enqueue(.char("a"))
        t.resize(width: 30, height: 8)
        XCTAssertTrue(t.size == (30, 8))
        XCTAssertEqual(t.pendingKeys, [.char("a"), .resize])
        t.size = (30, 8)  // unchanged: no new key
        XCTAssertEqual(t.pendingKeys.count, 2)
        XCTAssertEqual(t.nextKey(timeoutMilliseconds: 0), .char("a"))
        XCTAssertEqual(t.nextKey(timeoutMilliseconds: 0), .resize)
        XCTAssertEqual(t.makeGrid().width, 30)
    }

    func testPresentStoresGridAndShutdownCounts() {
        let t = MemoryTerminal(width: 10, height: 2, capabilities: TerminalCapabilities(colorMode: .none, unicode: false, mouse: false))
        var g = t.makeGrid()
        XCTAssertEqual(g.glyphs, .ascii)
        g.box(g.bounds)
        t.present(g)
        g.put(x: 0, y: 0, "changed")  // value semantics: the stored frame is unaffected
        XCTAssertEqual(t.screenText, "+--------+\n+--------+")
        XCTAssertEqual(t.presentCount, 1)
        t.shutdown()
        t.shutdown()
        XCTAssertEqual(t.shutdownCount, 2)
    }

    func testUsableThroughProtocol() {
        let t: Terminal = MemoryTerminal(width: 3, height: 1, keys: [.escape])
        XCTAssertEqual(t.size.width, 3)
        XCTAssertEqual(t.nextKey(timeoutMilliseconds: 10), .escape)
        XCTAssertTrue(t.capabilities.unicode)
    }
}
