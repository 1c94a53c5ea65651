import ArgumentParser
import Experiment
import Foundation

/// `unroll`: the terminal explorer (default) and headless subcommands.
@main
struct Unroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unroll",
        abstract: "See how a recurrent network really runs: tf.nn.dynamic_rnn, frame by frame.",
        subcommands: [Explore.self, Run.self, Shapes.self, Convert.self, Compare.self, Bench.self],
        defaultSubcommand: Explore.self
    )
}

/// Prints `error: <message>` to stderr (one line: control characters escaped, long text cut) and exits with status 1.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data(("error: " + SafeText.oneLine(message, limit: 600) + "\n").utf8))
    return ExitCode(1)
}
