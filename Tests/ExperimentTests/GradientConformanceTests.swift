import Experiment
import Foundation
import RNNEngine
import XCTest

/// TensorFlow's `tf.gradients` cases (../shared/conformance/gradients) through the engine: every `expected/grad/...`
/// array (inputs, initial state, every weight) and the forward results, 1e-5 for float32 and 1e-10 for float64.
final class GradientConformanceTests: XCTestCase {
    func testEveryGradientCaseMatchesTensorFlow() throws {
        let cases = try ConformanceCases.all(in: ConformanceCases.gradientsDirectory)
        XCTAssertGreaterThanOrEqual(cases.count, 10, "expected the 10 public gradient cases at least")
        for url in cases {
            let name = url.deletingPathExtension().lastPathComponent
            let produced = try ExperimentLoader.runFile(url)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            XCTAssertTrue(expected.keys.contains { $0.hasPrefix("expected/grad/") }, "\(name) holds gradients")
            let problems = ConformanceCases.compare(produced: produced, expected: expected)
            XCTAssertTrue(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
        }
    }

    /// The same cases with the other layout: time-major inputs and cotangents give the transposed input
    /// gradient and the same weight gradients.
    func testGradientCasesAgreeAcrossLayouts() throws {
        for url in try ConformanceCases.all(in: ConformanceCases.gradientsDirectory) {
            let spec = try ExperimentLoader.readSpec(url)
            guard spec.dtype == .float64 else { continue }
            let loaded = try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: Double.self)
            var flipped = spec
            flipped.timeMajor.toggle()
            var other = LoadedExperiment(spec: flipped, file: url.path, inputs: loaded.inputs.transposedFirstTwo(),
                                         store: loaded.store, initialState: loaded.initialState,
                                         initialStateBackward: loaded.initialStateBackward)
            other.lossArrays = loaded.lossArrays.mapValues { $0.rank == 3 ? $0.transposedFirstTwo() : $0 }
            let a = try loaded.gradients(), b = try other.gradients()
            XCTAssertLessThan(a.inputs.transposedFirstTwo().maxAbsDifference(b.inputs), 1e-12, url.lastPathComponent)
            for name in a.weightNames {
                XCTAssertLessThan(try XCTUnwrap(a.weights[name]).maxAbsDifference(try XCTUnwrap(b.weights[name])), 1e-12, name)
            }
        }
    }
}
