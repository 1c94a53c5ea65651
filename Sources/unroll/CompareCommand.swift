import ArgumentParser
import Experiment
import Foundation
import RNNEngine

/// `unroll compare EXPERIMENT.json --with keras [--against tf]`
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment's cells and weights under two conventions' rules and say where the outputs differ.",
        discussion: """
            Prints the first step and example where the outputs differ, in words, then the largest difference at each \
            step (exactly 0 where the frameworks agree). --against defaults to the experiment's own convention. On an \
            experiment with a mask (or mask_value), prints the padding doctor instead: for tf, keras, torch and onnx, \
            whether each can express the mask, and the difference per example from the Keras run with the true mask \
            when the mask is turned into lengths (as converters do) or dropped, with the first step that goes wrong.
            """)

    @Argument(help: "The experiment file (JSON).")
    var experiment: String

    @Option(name: .customLong("with"), help: "The convention to compare with (not needed for a masked experiment).")
    var other: Convention?

    @Option(help: "The convention to compare against (default: the experiment's).")
    var against: Convention?

    func run() throws {
        let url = URL(fileURLWithPath: experiment)
        do {
            let spec = try ExperimentLoader.readSpec(url, displayName: experiment)
            let first = against ?? spec.convention
            func report<S: RNNScalar>(_: S.Type) throws -> String {
                let loaded = try ExperimentLoader.load(spec, file: experiment, baseDirectory: url.deletingLastPathComponent(), as: S.self)
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
