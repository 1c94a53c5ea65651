import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll convert EXPERIMENT.json --to keras --output OUT.json`
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite an experiment for another convention: its weights under Keras', PyTorch's or TensorFlow's names.",
        discussion: """
            Writes OUT.json and, beside it, OUT.npz holding the converted weights, the inputs and the initial state.
            LSTM and basic RNN models always convert (TF's forget_bias moves into the forget gate's bias); a GRU only
            between equal reset_after; TF-only options (peepholes, clips, wrappers) and a bidirectional stack, which
            TF and PyTorch compose differently, are refused with the reason.
            """)

    @Argument(help: "The experiment file (JSON).")
    var experiment: String

    @Option(help: "The convention to convert to.")
    var to: Convention

    @OptionGroup var output: OutputOptions<ConvertOutput>

    func run() throws {
        let out = output.url
        let npz = out.deletingPathExtension().appendingPathExtension("npz")
        if let problem = nonRegularOutputProblem(npz) { throw fail("\(npz.path): \(problem)") }
        try refuseOutputsThatAreInputs(experiment: experiment, outputs: [out, npz])
        do {
            let converted = try ExperimentConversion.convert(URL(fileURLWithPath: experiment), displayName: experiment,
                                                             to: to, npzName: npz.lastPathComponent)
            try Npz.write(converted.arrays, to: npz)
            try converted.spec.jsonData().write(to: out)
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch let e as NumpyError {
            throw fail("\(npz.path): \(e.description)")
        } catch {
            throw fail("\(output.path): \(error)")
        }
    }
}

/// `unroll convert`'s output: the experiment file (JSON), its .npz written beside it.
enum ConvertOutput: OutputKind {
    static let help = "The experiment file to write (its .npz is written beside it)."
    static let exampleName = "out.json"
    static let requiredExtension: (name: String, reason: String)? = ("json", "the .npz is written beside it")
}
