import XCTest
@testable import Explorer
import Experiment
import RNNEngine

/// Defect 11: windows shown recently are kept; only missing steps are recomputed; memory stays bounded.
final class FrameCacheTests: XCTestCase {
    func testWindowsComeBackFromTheCacheAndEqualARecomputation() throws {
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let a = model.window(direction: .forward, range: 0..<5).frames
        XCTAssertEqual(model.frameCache.count, 5)
        let b = model.window(direction: .forward, range: 4..<9).frames
        XCTAssertEqual(model.frameCache.count, 9, "only steps 5...8 were added")
        let again = model.window(direction: .forward, range: 0..<5).frames
        XCTAssertEqual(again.map(\.time), a.map(\.time))
        // Cached frames are the engine's frames: the same numbers as a fresh recomputation.
        let fresh = try model.session.frames(.forward, 0..<5)
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
        XCTAssertEqual(model.window(direction: .forward, range: 0..<2).frames.count, 2)
        XCTAssertEqual(model.frameCache.count, 2)
    }

    func testTheBudgetEvictsTheLeastRecentlyUsed() throws {
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let frames = try model.session.frames(.forward, 0..<9)
        var cache = FrameCache(generation: 0, direction: .forward, budget: frames[0].approximateBytes * 4)
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

    /// A jump to a window never shown computes the cursor's frame first; the rest fills in on later calls.
    func testColdWindowsShowTheCursorFirstAndFillIn() throws {
        let spec = ExperimentSpec(name: "long", cell: .lstm(numUnits: 4, options: LSTMOptions()), batchSize: 2, maxTime: 200,
                                  inputDepth: 3, seed: 1)
        let model = try ExplorerModel.make(spec: spec, file: nil, baseDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let first = model.window(direction: .forward, range: 100..<160, cursor: 130, timeBudget: 1e-9).frames
        XCTAssertEqual(first.map(\.time), [130])
        XCTAssertTrue(model.windowIncomplete)
        var calls = 0
        var frames = first
        while model.windowIncomplete && calls < 100 {
            frames = model.window(direction: .forward, range: 100..<160, cursor: 130, timeBudget: 1e-9).frames
            calls += 1
        }
        XCTAssertFalse(model.windowIncomplete)
        XCTAssertEqual(frames.map(\.time), Array(100..<160))
        XCTAssertGreaterThan(calls, 1)
        // Pieced together, the window is what one recomputation gives.
        let fresh = try model.session.frames(.forward, 100..<160)
        XCTAssertEqual(frames.map { $0.output.scalars }, fresh.map { $0.output.scalars })
        XCTAssertEqual(frames.map { $0.layers[0].gates.map(\.value.scalars) }, fresh.map { $0.layers[0].gates.map(\.value.scalars) })
    }
}
