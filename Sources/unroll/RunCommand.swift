import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll run EXPERIMENT.json --output OUT.npz`
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment file and write outputs and state/... to an .npz.")

    @Argument(help: "The experiment file (JSON).")
    var experiment: String

    @Option(name: .shortAndLong, help: "The .npz to write (outputs, state/...).")
    var output: String

    @Flag(help: "Write a deflated archive (like np.savez_compressed).")
    var compressed = false

    func run() throws {
        let url = URL(fileURLWithPath: experiment)
        let out = URL(fileURLWithPath: output)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw fail("\(output): --output: is a folder; give a file name such as \(out.appendingPathComponent("out.npz").path)")
        }
        let folder = out.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw fail("\(output): --output: the folder \(folder) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw fail("\(output): --output: the folder \(folder) is not writable")
        }
        do {
            let arrays = try ExperimentLoader.runFile(url, displayName: experiment)
            try Npz.write(arrays, to: URL(fileURLWithPath: output), compressed: compressed)
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch let e as NumpyError {
            throw fail("\(output): \(e.description)")
        } catch {
            throw fail("\(experiment): \(error)")
        }
    }
}
