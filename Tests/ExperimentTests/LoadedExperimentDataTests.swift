import Experiment
import Foundation
import RNNEngine
import TestSupport
import XCTest

/// `LoadedExperiment`'s data edits (`reshaped`, `withPaddingMoved`, `withMask`) mean the same in either layout: the
/// time-major experiment's result is the batch-major one's, transposed.
final class LoadedExperimentDataTests: XCTestCase {
    func load(_ name: String) throws -> LoadedExperiment<Float> {
        let url = MaskConformanceTests.casesURL(name)
        return try ExperimentLoader.load(try ExperimentLoader.readSpec(url), file: name, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
    }

    func timeMajor(_ e: LoadedExperiment<Float>) throws -> LoadedExperiment<Float> {
        var spec = e.spec
        spec.timeMajor = true
        return try e.edited(spec: spec, transposeInputs: true).experiment
    }

    func testReshapingAndMovingPaddingAgreeAcrossLayouts() throws {
        let batchMajor = try load("keras_mask_hole_lstm")
        let tm = try timeMajor(batchMajor)
        XCTAssertEqual(tm.stepMask, batchMajor.stepMask)
        let (a, notesA) = try batchMajor.reshaped(batchSize: 4, maxTime: 5, inputDepth: 2)
        let (b, notesB) = try tm.reshaped(batchSize: 4, maxTime: 5, inputDepth: 2)
        XCTAssertEqual(notesA, notesB)
        XCTAssertEqual(a.inputs.shape, [4, 5, 2])
        XCTAssertEqual(b.inputs.shape, [5, 4, 2])
        // The old rows and steps keep their values in both layouts (new ones come from the seed, in each layout's order).
        for row in 0..<3 { for t in 0..<5 { for k in 0..<2 {
            XCTAssertEqual(a.inputs.scalars[(row * 5 + t) * 2 + k], batchMajor.inputs.scalars[(row * 8 + t) * 3 + k])
            XCTAssertEqual(b.inputs.scalars[(t * 4 + row) * 2 + k], batchMajor.inputs.scalars[(row * 8 + t) * 3 + k])
        } } }
        XCTAssertEqual(a.stepMask, b.stepMask)
        XCTAssertEqual(a.stepMask?.validSteps(example: 3), [0, 1, 2, 3, 4])
        // Example 2 ([0,1,1,0,1,1,1,0]) has holes: its valid steps go to the front, in order, with their inputs.
        let (pa, _) = try batchMajor.withPaddingMoved(example: 2)
        let (pb, _) = try tm.withPaddingMoved(example: 2)
        XCTAssertEqual(pa.stepMask, pb.stepMask)
        XCTAssertEqual(pa.stepMask?.validSteps(example: 2), [0, 1, 2, 3, 4])
        for (k, old) in [1, 2, 4, 5, 6].enumerated() { for i in 0..<3 {
            XCTAssertEqual(pa.inputs.scalars[(2 * 8 + k) * 3 + i], batchMajor.inputs.scalars[(2 * 8 + old) * 3 + i])
            XCTAssertEqual(pb.inputs.scalars[(k * 3 + 2) * 3 + i], batchMajor.inputs.scalars[(2 * 8 + old) * 3 + i])
        } }
        // The same run: outputs transposed, final states equal.
        let ra = try pa.run(), rb = try pb.run()
        XCTAssertEqual(ra.outputs[0].transposedFirstTwo().scalars, rb.outputs[0].scalars)
        XCTAssertEqual(ra.states[0].flattened.map(\.scalars), rb.states[0].flattened.map(\.scalars))
    }

    func testAPrefixMaskOfLengthsStaysLengths() throws {
        let url = RepositoryPaths.samples.appendingPathComponent("masking_demo.json")
        let e = try ExperimentLoader.load(try ExperimentLoader.readSpec(url), file: "masking_demo.json", baseDirectory: RepositoryPaths.samples, as: Float.self)
        let prefix = StepMask(lengths: [3, 4, 1, 0], maxTime: e.maxTime)
        let (same, note) = try e.withMask(prefix)
        XCTAssertEqual(same.spec.sequenceLength, [3, 4, 1, 0])
        XCTAssertNil(same.stepMask)
        XCTAssertEqual(note, "")
        var valid = prefix.valid
        valid[1 * e.maxTime + 0] = false
        let (holed, note2) = try e.withMask(try StepMask(valid: valid, batchSize: 4, maxTime: e.maxTime))
        XCTAssertNil(holed.spec.sequenceLength)
        XCTAssertEqual(holed.spec.mask, LoadedExperiment<Float>.editedMaskName)
        XCTAssertTrue(note2.contains("sequence_length is now a mask"), note2)
        XCTAssertThrowsError(try holed.makeLoop()) { e in
            XCTAssertTrue("\(e)".contains("convention tf: example 1's mask is not a prefix (masked steps 0, 4"), "\(e)")
        }
    }
}

extension MaskConformanceTests {
    static func casesURL(_ name: String) -> URL { ConformanceCases.masksDirectory.appendingPathComponent(name + ".json") }
}
