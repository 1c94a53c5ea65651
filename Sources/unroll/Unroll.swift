import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll`: the terminal explorer (default) and headless subcommands.
@main
struct Unroll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unroll",
        abstract: "See how a recurrent network really runs: tf.nn.dynamic_rnn, frame by frame.",
        subcommands: [Explore.self, Run.self, Shapes.self, Convert.self, Compare.self, Bench.self, LessonRun.self],
        defaultSubcommand: Explore.self
    )

    /// Checks `UNROLL_KERNEL` (an unknown or unusable value is refused in one line, exit 1, instead of being
    /// ignored), then parses the command line and runs the command.
    static func main() {
        Kernels.keepFreedMemory() // a pass's result arrays reuse the last pass's pages
        if let value = ProcessInfo.processInfo.environment["UNROLL_KERNEL"], let problem = Kernels.problem(withChoice: value) {
            exit(withError: fail("UNROLL_KERNEL=\(value): \(problem)"))
        }
        main(nil)
    }
}

/// Prints `error: <message>` to stderr (one line: control characters escaped, long text cut) and exits with status 1.
/// The line is written with `write(2)` and any failure ignored: a closed, full or broken stderr (EBADF, ENOSPC,
/// EPIPE; SIGPIPE is ignored from here on, as the command is ending) loses the line, never the exit status.
func fail(_ message: String) -> ExitCode {
    signal(SIGPIPE, SIG_IGN)
    let bytes = Array(("error: " + SafeText.oneLine(message, limit: 600) + "\n").utf8)
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
        }
    }
    return ExitCode(1)
}
