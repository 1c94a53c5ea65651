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

    @Option(help: "The convention to convert to: tf, keras or torch.")
    var to: String

    @Option(name: .shortAndLong, help: "The experiment file to write (its .npz is written beside it).")
    var output: String

    func run() throws {
        guard let convention = Convention(rawValue: to) else {
            throw fail("--to: unknown convention \"\(to)\"; one of \(Convention.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let out = URL(fileURLWithPath: output)
        guard out.pathExtension == "json" else { throw fail("\(output): --output: give a .json name (the .npz is written beside it)") }
        let folder = out.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw fail("\(output): --output: the folder \(folder.path) does not exist")
        }
        let npz = out.deletingPathExtension().appendingPathExtension("npz")
        do {
            let converted = try ExperimentConversion.convert(URL(fileURLWithPath: experiment), displayName: experiment,
                                                             to: convention, npzName: npz.lastPathComponent)
            try Npz.write(converted.arrays, to: npz)
            try converted.spec.jsonData().write(to: out)
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch let e as NumpyError {
            throw fail("\(npz.path): \(e.description)")
        } catch {
            throw fail("\(output): \(error)")
        }
    }
}
