import Experiment
import Foundation
import RNNEngine
import XCTest
import TestSupport

/// The experiment files in samples/ open, and those TensorFlow wrote (with `expected/...` arrays) match TF.
final class SampleTests: XCTestCase {
    static var samples: URL {
        RepositoryPaths.samples
    }

    func testEverySampleParsesAndHasADescription() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.samples, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
        XCTAssertGreaterThanOrEqual(files.count, 7)
        for url in files {
            let spec = try ExperimentLoader.readSpec(url)
            XCTAssertFalse(spec.description.isEmpty, url.lastPathComponent)
            XCTAssertFalse(spec.description.contains("\n"), "a one-line description: \(url.lastPathComponent)")
        }
    }

    func testSamplesWrittenByTensorFlowMatchIt() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.samples, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "npz" }
        XCTAssertGreaterThanOrEqual(files.count, 7)
        for npz in files {
            let expected = try Npz.read(npz)
            let produced = try ExperimentLoader.runFile(npz.deletingPathExtension().appendingPathExtension("json"))
            XCTAssertTrue(expected.keys.contains { $0.hasPrefix("expected/") }, npz.lastPathComponent)
            let problems = ConformanceCases.compare(produced: produced, expected: expected)
            XCTAssertTrue(problems.isEmpty, "\(npz.lastPathComponent): \(problems)")
        }
    }

    func testTheMaskingSampleShowsCopyThroughAndZeroedOutputs() throws {
        let url = Self.samples.appendingPathComponent("masking_demo.json")
        let spec = try ExperimentLoader.readSpec(url)
        XCTAssertEqual(spec.sequenceLength, [8, 4, 1, 0])
        let loaded = try ExperimentLoader.load(spec, file: url.path, baseDirectory: Self.samples, as: Float.self)
        let result = try loaded.run()
        let out = result.outputs[0]
        // Row 1 (length 4): outputs at t >= 4 are zero; row 3 (length 0): every output zero, state = initial.
        for t in 4..<8 { XCTAssertEqual(Array(out.scalars[(1 * 8 + t) * 4 ..< (1 * 8 + t + 1) * 4]), [0, 0, 0, 0]) }
        XCTAssertTrue(out.scalars[(3 * 8 * 4)...].allSatisfy { $0 == 0 })
        guard case let .lstm(c, h)? = result.states.first, case let .lstm(c0, h0)? = loaded.initialState else {
            return XCTFail("LSTM states expected")
        }
        XCTAssertEqual(Array(c.scalars[12..<16]), Array(c0.scalars[12..<16]))
        XCTAssertEqual(Array(h.scalars[12..<16]), Array(h0.scalars[12..<16]))
    }
}
