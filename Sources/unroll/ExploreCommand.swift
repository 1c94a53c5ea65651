import ArgumentParser
import Foundation

/// `unroll [EXPERIMENT.json]`: the terminal explorer.
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal explorer on an experiment file (a built-in example when none is given).")

    @Argument(help: "The experiment file (JSON); omit for the built-in example.")
    var experiment: String?

    func run() throws {
        throw fail("the explorer is not built yet")
    }
}
