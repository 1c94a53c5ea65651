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
        let terminal: NcursesTerminal
        // A terminating signal restores the screen, then removes the temporaries an export is writing.
        TemporaryFiles.prepare()
        NcursesTerminal.setTerminateHook { TemporaryFiles.removeRegistered() }
        do {
            terminal = try NcursesTerminal()
        } catch {
            throw fail("cannot start the explorer: \(error)")
        }
        defer { terminal.shutdown() }
        let app = ExplorerApp(terminal: terminal, model: model)
        app.run()
    }
}
