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
            With --to torch and an OUT.safetensors name, writes the weights alone as a PyTorch state_dict.
            LSTM and basic RNN models always convert (TF's forget_bias moves into the forget gate's bias); a GRU only
            between equal reset_after; TF-only options (peepholes, clips, wrappers) and a bidirectional stack, which
            TF and PyTorch compose differently, are refused with the reason. --to onnx with a .json name writes an
            onnx experiment (one ONNX node: a single layer), with a .onnx name a model file; an onnx experiment
            converts to the others unless its clip, input_forget, activations or reverse direction have no form there.
            """)

    @Argument(help: "The experiment file (JSON).")
    var experiment: String

    @Option(help: "The convention to convert to.")
    var to: Convention

    @OptionGroup var output: OutputOptions<ConvertOutput>

    func run() throws {
        let out = output.url
        if out.path.hasSuffix(".weights.h5") { return try writeKerasWeights(out) }
        if out.pathExtension == "safetensors" { return try writeSafetensors(out) }
        if out.pathExtension == "onnx" { return try writeONNX(out) }
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

extension Convert {
    /// `--output OUT.weights.h5`: the weights alone, as Keras 3's `save_weights` writes them (`--to keras` only).
    func writeKerasWeights(_ out: URL) throws {
        guard to == .keras else { throw fail("\(output.path): --output: a .weights.h5 holds Keras weights; give --to keras (or a .json name)") }
        TemporaryFiles.removeOnInterrupt()
        try refuseOutputsThatAreInputs(experiment: experiment, outputs: [out])
        do {
            try KerasWeightsWriter.write(experiment: URL(fileURLWithPath: experiment), displayName: experiment, to: out)
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch {
            throw fail("\(output.path): \(error)")
        }
    }

    /// `--to torch --output OUT.safetensors`: the converted weights as a state_dict, written to a temporary in the
    /// same folder and renamed into place (a failure leaves nothing).
    func writeSafetensors(_ out: URL) throws {
        guard to == .torch else {
            throw fail("\(output.path): --output: a .safetensors file holds a PyTorch state_dict; give --to torch (or a .json name)")
        }
        TemporaryFiles.removeOnInterrupt()
        try refuseOutputsThatAreInputs(experiment: experiment, outputs: [out])
        let data: Data
        do {
            data = try ExperimentConversion.torchSafetensors(URL(fileURLWithPath: experiment), displayName: experiment)
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch let e as NumpyError {
            throw fail("\(out.path): \(e.description)")
        }
        let temporary = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).\(UUID().uuidString).tmp")
        let registered = TemporaryFiles.register(temporary.path)
        defer { TemporaryFiles.unregister(registered) }
        do {
            try data.write(to: temporary)
        } catch {
            unlink(temporary.path)
            throw fail("\(out.path): cannot write the state_dict: \(error.localizedDescription)")
        }
        guard rename(temporary.path, out.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw fail("\(out.path): cannot move the written state_dict into place: \(reason)")
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
    /// A Keras `.weights.h5` (`--to keras`) or a PyTorch `.safetensors` (`--to torch`): the weights alone, for
    /// `model.load_weights` or `load_state_dict`; `--to onnx` writes a model (`ConvertONNX.swift`).
    static let otherEndings = [".weights.h5", ".safetensors", ".onnx"]
}
