import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll run EXPERIMENT.json --output OUT.npz`
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment or model file and write outputs and state/... to an .npz.")

    @Argument(help: ArgumentHelp("The experiment file (JSON) or a model file (\(ModelFiles.modelEndings.joined(separator: ", "))).", valueName: "file"))
    var experiment: String

    @OptionGroup var output: OutputOptions<RunOutput>

    @OptionGroup(title: "Inputs") var input: InputOptions

    @Flag(help: "Write a deflated archive (like np.savez_compressed).")
    var compressed = false

    func run() throws {
        TemporaryFiles.removeOnInterrupt()
        let opened = try input.open(experiment)
        try refuseOutputsThatAreInputs(experiment: experiment, opened: opened, outputs: [output.url])
        do {
            var notes: [String] = []
            let arrays = try ExperimentLoader.run(opened) { notes.append($0) }
            try Npz.write(arrays, to: output.url, compressed: compressed)
            // A Keras model's skipped head: one line, after the results are written (exit 0).
            for n in notes { FileHandle.standardError.write(Data((n + "\n").utf8)) }
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch let e as NumpyError {
            throw fail("\(output.path): \(e.description)")
        } catch {
            throw fail("\(experiment): \(error)")
        }
    }
}

/// `unroll run`'s output: an .npz of outputs and state/... (any name).
enum RunOutput: OutputKind {
    static let help = "The .npz to write (outputs, state/...)."
    static let exampleName = "out.npz"
    static let requiredExtension: (name: String, reason: String)? = nil
}
