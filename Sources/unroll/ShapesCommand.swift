import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll shapes EXPERIMENT.json`
struct Shapes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shape of the inputs, every layer's state and output, the results and each weight.")

    @Argument(help: ArgumentHelp("The experiment file (JSON) or a model file (\(ModelFiles.modelEndings.joined(separator: ", "))).", valueName: "file"))
    var experiment: String

    @OptionGroup(title: "Inputs") var input: InputOptions

    func run() throws {
        let opened = try input.open(experiment)
        do {
            let spec = opened.spec, base = opened.baseDirectory
            // Shapes need no array: the inputs are neither read nor generated.
            func shapes<Scalar: RNNScalar>(_: Scalar.Type) throws -> ShapeReport {
                ShapeReport(try ExperimentLoader.load(spec, file: experiment, baseDirectory: base, as: Scalar.self, shapesOnly: true))
            }
            let report = try shapes(spec.dtype.scalarType)
            print(report.text)
            if report.hasProblems { throw fail("\(experiment): weights: some shapes do not match (marked above)") }
        } catch let e as ExperimentError {
            throw fail(e.description)
        }
    }
}
