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
        if to == .onnx || out.pathExtension == "onnx" { return try writeONNX(out) }
        let npz = out.deletingPathExtension().appendingPathExtension("npz")
        TemporaryFiles.removeOnInterrupt()
        if let problem = nonRegularOutputProblem(npz) { throw fail("\(npz.path): \(problem)") }
        try refuseOutputsThatAreInputs(experiment: experiment, outputs: [out, npz])
        do {
            let converted = try ExperimentConversion.convert(URL(fileURLWithPath: experiment), displayName: experiment,
                                                             to: to, npzName: npz.lastPathComponent)
            try writePair(json: converted.spec.jsonData(), to: out, arrays: converted.arrays, npz: npz)
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch let e as NumpyError {
            throw fail("\(npz.path): \(e.description)")
        } catch let e as ConvertWriteError {
            throw fail(e.description)
        } catch {
            throw fail("\(output.path): \(error)")
        }
    }
}

/// Writes `json` to `out` and `arrays` to `npz` so that a failure leaves neither: the JSON goes to a hidden
/// temporary in its folder first, then the archive is written (to its own temporary, renamed into place by
/// `Npz.write`), then the JSON is renamed into place; on any failure the temporary, and an archive already in
/// place, are removed.
func writePair(json: Data, to out: URL, arrays: [(String, NumpyArray)], npz: URL) throws {
    let jsonTemporary = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).\(UUID().uuidString).tmp")
    let registered = TemporaryFiles.register(jsonTemporary.path)
    defer { TemporaryFiles.unregister(registered) }
    var wroteNpz = false
    do {
        do {
            try json.write(to: jsonTemporary)
        } catch {
            throw ConvertWriteError("\(out.path): cannot write the experiment file: \(error.localizedDescription)")
        }
        try Npz.write(arrays, to: npz)
        wroteNpz = true
        guard rename(jsonTemporary.path, out.path) == 0 else {
            throw ConvertWriteError("\(out.path): cannot move the written experiment file into place: \(String(cString: strerror(errno)))")
        }
    } catch {
        unlink(jsonTemporary.path)
        if wroteNpz { unlink(npz.path) }
        throw error
    }
}

/// A failure to put `convert`'s output in place, its message complete.
private struct ConvertWriteError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `unroll convert`'s output: the experiment file (JSON), its .npz written beside it.
enum ConvertOutput: OutputKind {
    static let help = "The experiment file to write (its .npz is written beside it)."
    static let exampleName = "out.json"
    static let requiredExtension: (name: String, reason: String)? = ("json", "the .npz is written beside it")
    /// `--to onnx` writes a model (`ConvertONNX.swift`).
    static let otherExtensions = ["onnx"]
}
