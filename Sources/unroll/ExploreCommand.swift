import ArgumentParser
import Experiment
import Explorer
import Foundation
import TerminalUI

/// `unroll [EXPERIMENT.json]`: the terminal explorer.
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal explorer on an experiment file (a built-in example when none is given).")

    @Argument(help: "The experiment file (JSON); omit for the built-in example.")
    var experiment: String?

    @Option(help: ArgumentHelp("A second experiment (JSON) to show beside the first: the backward view draws both on one log scale.",
                               valueName: "B.json"))
    var beside: String?

    func run() throws {
        // Load before touching the terminal, so errors print plainly.
        let model: ExplorerModel
        do {
            model = try experiment.map { try ExplorerModel.load(path: $0) } ?? ExplorerModel.builtIn()
        } catch let e as ExperimentError {
            throw fail(e.description)
        } catch {
            throw fail("\(experiment ?? "(built-in)"): \(error)")
        }
        var second: ExplorerModel?
        if let beside {
            do {
                second = try ExplorerModel.load(path: beside)
            } catch let e as ExperimentError {
                throw fail(e.description)
            } catch {
                throw fail("\(beside): \(error)")
            }
        }
        let terminal: NcursesTerminal
        do {
            terminal = try NcursesTerminal()
        } catch {
            throw fail("cannot start the explorer: \(error)")
        }
        defer { terminal.shutdown() }
        let app = ExplorerApp(terminal: terminal, model: model, beside: second)
        app.run()
    }
}
