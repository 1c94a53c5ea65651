@testable import Experiment
import Foundation
import RNNEngine
import XCTest

/// `WeightGradientTrace` on TensorFlow's `tf.gradients` cases (../shared/conformance/gradients): the per-step
/// contributions the engine's recorded gradient frames hold, summed over every step, are TF's weight gradients
/// (`expected/grad/<variable>`, 1e-5 in float32 and 1e-10 in float64, as the conformance tests judge), and
/// the engine's own totals.
final class WeightGradientTraceConformanceTests: XCTestCase {
    func testContributionsSumToTensorFlowsWeightGradients() throws {
        var checked = 0
        for url in try ConformanceCases.all(in: ConformanceCases.gradientsDirectory) {
            let spec = try ExperimentLoader.readSpec(url)
            guard !spec.bidirectional else { continue }
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            switch spec.dtype {
            case .float64: checked += try check(Double.self, spec, url, expected)
            default: checked += try check(Float.self, spec, url, expected)
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 20, "every one-direction case's weights were checked")
    }

    private func check<S: RNNScalar>(_: S.Type, _ spec: ExperimentSpec, _ url: URL, _ expected: [String: NumpyArray]) throws -> Int {
        let name = url.lastPathComponent
        let e = try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: S.self)
        let run = try GradientRun(loop: try e.makeLoop(), loss: try e.fileLosses()[0])
        run.compute()
        let engine = try XCTUnwrap(run.result(), name)
        let trace = try XCTUnwrap(try run.weightGradientTrace(), name)
        XCTAssertEqual(Set(trace.times), Set(0..<e.maxTime), "\(name): every step added")
        let tol = spec.dtype == .float64 ? 1e-10 : 1e-5
        var checked = 0
        for variable in engine.weightNames {
            let ours = try XCTUnwrap(engine.weights[variable])
            guard let total = trace.total(variable) else {
                // A variable no step contributed to has a zero gradient.
                XCTAssertTrue(ours.scalars.allSatisfy { $0 == 0 }, "\(name): \(variable) has no contributions")
                continue
            }
            XCTAssertEqual(total.rows * total.cols, ours.count, "\(name) \(variable)")
            for (k, v) in total.values.enumerated() {
                let engineValue = Double(ours.scalars[k])
                XCTAssertLessThanOrEqual(abs(v - engineValue), tol + tol * abs(engineValue), "\(name) \(variable)[\(k)] vs the engine's")
            }
            if let tf = expected["expected/grad/" + variable] {
                for (v, w) in zip(total.values, tf.asDoubles()) {
                    XCTAssertLessThanOrEqual(abs(v - w), tol + tol * abs(w), "\(name) \(variable) vs TF")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0, "\(name): TF's gradients of the weights")
        return checked
    }
}
