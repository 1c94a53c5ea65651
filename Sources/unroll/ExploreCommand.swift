import ArgumentParser
import Experiment
import Explorer
import Foundation
import TerminalUI

/// `unroll [EXPERIMENT.json | MODEL_FILE] [--inputs ...]`: the terminal explorer.
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal explorer on an experiment or model file (a built-in example when none is given).")

    @Argument(help: ArgumentHelp("The experiment file (JSON) or a model file (\(ModelFiles.modelEndings.joined(separator: ", "))); omit for the built-in example.", valueName: "file"))
    var experiment: String?

    @OptionGroup(title: "Inputs") var input: InputOptions
    @Option(help: ArgumentHelp("A second experiment (JSON) to show beside the first: the backward view draws both on one log scale.",
                               valueName: "B.json"))
    var beside: String?

    func run() throws {
        // Load before touching the terminal, so errors print plainly.
        let model: ExplorerModel
        let options = try input.commandLine(for: experiment ?? "(built-in)")
        if experiment == nil && !options.isEmpty {
            throw fail("(built-in): --inputs, --lengths, --mask, --batch, --time and --seed need a model or experiment file")
        }
        do {
            model = try experiment.map { try ExplorerModel.load(path: $0, options: options) } ?? ExplorerModel.builtIn()
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
        // A terminating signal restores the screen, then removes the temporaries an export is writing.
        TemporaryFiles.prepare()
        NcursesTerminal.setTerminateHook { TemporaryFiles.removeRegistered() }
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
