import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll compare EXPERIMENT.json --with keras [--against tf]`, or `unroll compare A B` (two experiments or model files)
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment under two conventions' rules, or two experiments or model files on the same inputs, and say where the outputs differ.",
        discussion: """
            Prints the first step and example where the outputs differ, in words, then the largest difference at each \
            step (exactly 0 where the frameworks agree). --against defaults to the experiment's own convention. On an \
            experiment with a mask (or mask_value), prints the padding doctor instead: for tf, keras, torch and onnx, \
            whether each can express the mask, and the difference per example from the Keras run with the true mask \
            when the mask is turned into lengths (as converters do) or dropped, with the first step that goes wrong.
            With a second file B: A and B run on the same inputs (--inputs, or A's; B takes A's masking unless it \
            has its own or --lengths/--mask is given); per result array the largest difference and the first \
            (example, t, unit) above rounding, then the causes found: architectures, weights per layer and gate once \
            both are in one form, initial states, masking (lengths against a mask), and the conventions' rules at \
            masked steps.
            """)

    @Argument(help: ArgumentHelp("The experiment file (JSON) or a model file (\(ModelFiles.modelEndings.joined(separator: ", "))).", valueName: "A"))
    var experiment: String

    @Argument(help: ArgumentHelp("A second experiment or model file: A and B run on the same inputs (--inputs, or A's), and the report says where their results differ and why.", valueName: "B"))
    var second: String?

    @Option(name: .customLong("with"), help: "The convention to compare with (not needed for a masked experiment).")
    var other: Convention?

    @Option(help: "The convention to compare against (default: the experiment's).")
    var against: Convention?

    @OptionGroup(title: "Inputs") var input: InputOptions

    func run() throws {
        if let second {
            if other != nil || against != nil {
                throw fail("\(experiment): --with and --against compare one experiment under two conventions; not with a second file (\(second))")
            }
            let options = try input.commandLine(for: experiment)
            do {
                print(try ModelComparison.compare(experiment, second, options: options).lines.joined(separator: "\n"))
            } catch let e as ExperimentError {
                throw fail(e.description)
            }
            return
        }
        let opened = try input.open(experiment)
        do {
            let spec = opened.spec
            let first = against ?? spec.convention
            func report<S: RNNScalar>(_: S.Type) throws -> String {
                let loaded = try ExperimentLoader.load(spec, file: experiment, baseDirectory: opened.baseDirectory, as: S.self)
                if let diagnosis = try loaded.paddingDiagnosis() {
                    return PaddingDoctorReport.text(diagnosis, maskField: spec.mask != nil ? "mask" : "mask_value")
                }
                guard let second = other else { throw fail("compare: --with is needed (the convention to compare with)") }
                let c = try loaded.compare(first, second)
                var lines = ["\(first.rawValue) vs \(second.rawValue): \(c.summary)", "step  max |\(first.rawValue) - \(second.rawValue)|"]
                let time = loaded.maxTime, batch = loaded.batchSize
                for t in 0..<time {
                    var worst = 0.0
                    for d in c.difference {
                        let width = d.shape.last ?? 0
                        for b in 0..<batch {
                            let base = spec.timeMajor ? (t * batch + b) * width : (b * time + t) * width
                            for k in 0..<width { worst = max(worst, Double(d.scalars[base + k])) }
                        }
                    }
                    lines.append(String(format: "%4d  %.6g", t, worst))
                }
                return lines.joined(separator: "\n")
            }
            print(try spec.dtype == .float32 ? report(Float.self) : report(Double.self))
        } catch let e as ExperimentError {
            throw fail(e.description)
        }
    }
}
