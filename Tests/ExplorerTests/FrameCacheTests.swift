import XCTest
@testable import Explorer
import Experiment
import RNNEngine

/// Defect 11: windows shown recently are kept; only missing steps are recomputed; memory stays bounded.
final class FrameCacheTests: XCTestCase {
    func testWindowsComeBackFromTheCacheAndEqualARecomputation() throws {
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let a = model.window(direction: 0, range: 0..<5).frames
        XCTAssertEqual(model.frameCache.count, 5)
        let b = model.window(direction: 0, range: 4..<9).frames
        XCTAssertEqual(model.frameCache.count, 9, "only steps 5...8 were added")
        let again = model.window(direction: 0, range: 0..<5).frames
        XCTAssertEqual(again.map(\.time), a.map(\.time))
        // Cached frames are the engine's frames: the same numbers as a fresh recomputation.
        let fresh = try model.session.frames(0, 0..<5)
        for (x, y) in zip(again, fresh) {
            XCTAssertEqual(x.output.scalars, y.output.scalars)
            XCTAssertEqual(x.layers.map { $0.gates.map(\.value.scalars) }, y.layers.map { $0.gates.map(\.value.scalars) })
        }
        XCTAssertEqual(b.map(\.time), Array(4..<9))
        // An edit starts a new cache.
        var spec = model.spec
        spec.sequenceLength = [9, 9, 9, 9]
        _ = try model.apply(spec: spec)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        XCTAssertEqual(model.window(direction: 0, range: 0..<2).frames.count, 2)
        XCTAssertEqual(model.frameCache.count, 2)
    }

    func testTheBudgetEvictsTheLeastRecentlyUsed() throws {
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let frames = try model.session.frames(0, 0..<9)
        var cache = FrameCache(generation: 0, direction: 0, budget: frames[0].approximateBytes * 4)
        for f in frames[0..<3] { cache.insert(f) }
        cache.keep(0..<3)
        for f in frames[5..<8] { cache.insert(f) }
        cache.keep(5..<8)
        XCTAssertEqual(cache.count, 4)
        XCTAssertNil(cache.frames[0])
        XCTAssertNil(cache.frames[1])
        XCTAssertNotNil(cache.frames[2])
        XCTAssertNotNil(cache.frames[7])
    }
}
