import ArgumentParser
import Experiment
import Foundation

/// The options that give a file its inputs (`ModelFiles`, `CommandLineInputs`): what a model file runs on, and
/// what replaces an experiment's own inputs or masking. A bad value fails like the commands' other errors: one
/// `error:` line naming the file and the option, exit status 1.
struct InputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The inputs: an .npy (X) or an .npz (inputs, and optional initial_state/... and mask). Without it a model file runs on seeded inputs of its input size.", valueName: "file"))
    var inputs: String?

    @Option(help: ArgumentHelp("sequence_length, one per example, e.g. 5,3,1.", valueName: "lengths"))
    var lengths: String?

    @Option(help: ArgumentHelp("The step mask: an .npy (bool [batch, max_time], true where a step is valid) or an .npz holding mask.", valueName: "file"))
    var mask: String?

    @Option(help: ArgumentHelp("Seeded inputs: examples (default \(CommandLineInputs.defaultBatch), or the number of --lengths).", valueName: "n"))
    var batch: Int?

    @Option(help: ArgumentHelp("Seeded inputs: time steps (default \(CommandLineInputs.defaultTime), or the longest of --lengths).", valueName: "n"))
    var time: Int?

    @Option(help: ArgumentHelp("Seeded inputs: the seed (default 0).", valueName: "n"))
    var seed: UInt64?

    /// The options for `file` (named in errors): `--lengths` parsed (integers separated by commas).
    func commandLine(for file: String) throws -> CommandLineInputs {
        var parsedLengths: [Int]?
        if let text = lengths {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let values = parts.map { Int($0) }
            guard !parts.isEmpty, values.allSatisfy({ $0 != nil }) else {
                throw fail("\(file): --lengths: expected integers separated by commas (5,3,1), got \"\(text)\"")
            }
            parsedLengths = values.compactMap { $0 }
        }
        return CommandLineInputs(inputs: inputs, lengths: parsedLengths, mask: mask, batch: batch, time: time, seed: seed)
    }

    /// Opens `file` (an experiment or a model file) with these options; errors are one line, exit status 1.
    func open(_ file: String) throws -> ModelFiles.Opened {
        let options = try commandLine(for: file)
        do {
            return try ModelFiles.open(file, options: options)
        } catch let e as ExperimentError {
            throw fail(e.description)
        }
    }
}
