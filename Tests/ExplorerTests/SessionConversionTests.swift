import Experiment
@testable import Explorer
import Foundation
import RNNEngine
import XCTest

/// The explorer's convention switch is the Experiment module's conversion (`ExperimentConversion.converted`):
/// the switched session computes, bit for bit, what `unroll convert`'s experiment computes.
final class SessionConversionTests: XCTestCase {
    let samples = BackwardViewTests.samples

    func testSwitchedSessionComputesWhatTheConversionComputes() throws {
        let name = "ports/lstm_tf.json"
        let url = samples.appendingPathComponent(name)
        for convention in [Convention.keras, .torch] {
            let model = try ExplorerModel.load(path: url.path)
            _ = try model.switchConvention(to: convention)
            XCTAssertEqual(model.spec.convention, convention)
            XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
            let loaded = try ExperimentLoader.load(try ExperimentLoader.readSpec(url), file: name,
                                                   baseDirectory: url.deletingLastPathComponent(), as: Float.self)
            let converted = try ExperimentConversion.converted(loaded, to: convention).experiment
            XCTAssertEqual(model.spec, converted.spec)
            let outputs = try converted.run().outputs[0]  // [4, 8, 4], masked steps as the convention emits them
            for t in 0..<8 {
                let frame = try XCTUnwrap(model.window(direction: .forward, range: t..<(t + 1)).frames.first)
                for b in 0..<4 {
                    let want = (0..<4).map { Double(outputs.scalars[(b * 8 + t) * 4 + $0]) }
                    XCTAssertEqual(Array(frame.output.row(b)), want, "\(convention) t=\(t) example \(b)")
                }
            }
        }
    }

    /// Refusals keep their wording: PyTorch's refusal of a row of length 0 under `sequence_length`, unwrapped.
    func testSwitchRefusalNamesTheLengths() throws {
        let spec = ExperimentSpec(name: "zero", cell: .lstm(numUnits: 2, options: LSTMOptions()), sequenceLength: [3, 0],
                                  batchSize: 2, maxTime: 3, inputDepth: 2, seed: 3)
        let model = try ExplorerModel.make(spec: spec, file: nil, baseDirectory: samples)
        XCTAssertThrowsError(try model.switchConvention(to: .torch)) { e in
            let error = e as? ExperimentError
            XCTAssertEqual(error?.field, "sequence_length")
            XCTAssertTrue(error?.message.hasPrefix("sequence_length[") == true, "\(e)")
        }
        XCTAssertEqual(model.spec.convention, .tf, "the previous session stays")
    }
}
