import Experiment
import Foundation

extension Convert {
    /// `unroll convert EXPERIMENT --to onnx --output OUT.onnx`: the model as a real `.onnx` (`ONNXExport`), and beside
    /// it `OUT.json` (an experiment naming it) and `OUT.npz` (its inputs and initial state), so that `unroll run
    /// OUT.json` runs it back. A failure leaves none of the three.
    func writeONNX(_ out: URL) throws {
        guard to == .onnx, out.pathExtension == "onnx" else {
            throw fail(to == .onnx ? "\(output.path): --output: --to onnx writes a model: give a .onnx name (OUT.json and OUT.npz are written beside it)"
                                   : "\(output.path): --output: a .onnx name is written by --to onnx, not --to \(to.rawValue)")
        }
        let json = out.deletingPathExtension().appendingPathExtension("json")
        let npz = out.deletingPathExtension().appendingPathExtension("npz")
        TemporaryFiles.removeOnInterrupt()
        for path in [json, npz] {
            if let problem = nonRegularOutputProblem(path) { throw fail("\(path.path): \(problem)") }
        }
        try refuseOutputsThatAreInputs(experiment: experiment, outputs: [out, json, npz])
        do {
            let written = try ONNXExport.export(URL(fileURLWithPath: experiment), displayName: experiment,
                                                modelName: out.lastPathComponent, npzName: npz.lastPathComponent)
            do {
                try written.model.write(to: out, options: .atomic)
            } catch {
                throw ModelWriteError(description: "\(out.path): cannot write the model: \(error.localizedDescription)")
            }
            do {
                try writePair(json: written.spec.jsonData(), to: json, arrays: written.arrays, npz: npz)
            } catch {
                unlink(out.path)
                throw error
            }
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch let e as NumpyError {
            throw fail("\(npz.path): \(e.description)")
        } catch let e as ModelWriteError {
            throw fail(e.description)
        } catch {
            throw fail("\(output.path): \(error)")
        }
    }
}

/// The model could not be written, its message complete.
private struct ModelWriteError: Error, CustomStringConvertible { let description: String }
