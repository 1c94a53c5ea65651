import Experiment
import Foundation
import RNNEngine
import XCTest

/// The conformance cases run fused (the path `unroll run` takes and the conformance tests check against the
/// frameworks) and step by step through the cells' step functions (the path frames, dropout and the gradients'
/// recomputation take): both must give the same outputs and states bit for bit, so that a change to a cell's
/// step function fails against the frameworks' numbers even for a kind whose cases all run fused.
final class StepConformanceTests: XCTestCase {
    private func bits<S: RNNScalar>(_ t: Tensor<S>) -> [UInt64] { t.scalars.map { Double($0).bitPattern } }

    /// Each direction of the case that one loop can show, fused and stepped; returns how many loops ran fused.
    private func check<S: RNNScalar>(_ url: URL, _: S.Type) throws -> Int {
        let spec = try ExperimentLoader.readSpec(url)
        let loaded = try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: S.self)
        var fusedLoops = 0
        for backward in spec.bidirectional ? [false, true] : [false] {
            // PyTorch's multi-layer bidirectional stacks have no one loop per direction (`makeLoop` says so).
            guard let loop = try? loaded.makeLoop(backward: backward) else { continue }
            let label = "\(url.lastPathComponent) backward=\(backward)"
            let fused = try loop.run()
            if loop.lastRunUsedFastPath { fusedLoops += 1 }
            loop.allowsFastPath = false
            let stepped = try loop.run()
            XCTAssertFalse(loop.lastRunUsedFastPath, label)
            XCTAssert(bits(fused.outputs) == bits(stepped.outputs), label + " outputs")
            XCTAssertEqual(fused.state.flattened.count, stepped.state.flattened.count, label + " state")
            for (a, b) in zip(fused.state.flattened, stepped.state.flattened) {
                XCTAssert(bits(a) == bits(b), label + " state")
            }
        }
        return fusedLoops
    }

    func testEveryCaseRunsTheSameFusedAndStepByStep() throws {
        let tfFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/tf_cases")
        let urls = try ConformanceCases.all() + ConformanceCases.all(in: tfFixtures)
            + FrameworkConformanceTests.cases(in: FrameworkConformanceTests.sharedDirectory)
            + FrameworkConformanceTests.cases(in: FrameworkConformanceTests.fixtureDirectory)
        XCTAssertGreaterThanOrEqual(urls.count, 36)
        var fused = 0
        for url in urls {
            let dtype = try ExperimentLoader.readSpec(url).dtype
            fused += dtype == .float64 ? try check(url, Double.self) : try check(url, Float.self)
        }
        XCTAssertGreaterThanOrEqual(fused, 30, "most cases have a fused path to compare with")
    }
}
