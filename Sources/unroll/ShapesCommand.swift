import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll shapes EXPERIMENT.json`
struct Shapes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shape of the inputs, every layer's state and output, the results and each weight.")

    @Argument(help: "The experiment file (JSON).")
    var experiment: String

    func run() throws {
        let url = URL(fileURLWithPath: experiment)
        do {
            let spec = try ExperimentLoader.readSpec(url, displayName: experiment)
            let base = url.deletingLastPathComponent()
            func shapes<Scalar: RNNScalar>(_: Scalar.Type) throws -> ShapeReport {
                ShapeReport(try ExperimentLoader.load(spec, file: experiment, baseDirectory: base, as: Scalar.self))
            }
            let report = try shapes(spec.dtype.scalarType)
            print(report.text)
            if report.hasProblems { throw fail("\(experiment): weights: some shapes do not match (marked above)") }
        } catch let e as ExperimentError {
            throw fail(e.description)
        }
    }
}
