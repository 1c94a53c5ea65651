import Experiment
import Foundation
import RNNEngine

extension Session {
    /// The same model run under `convention` (`ExperimentConversion.converted`: cells and weights converted by
    /// the Experiment module's `WeightLayouts`, exact copies and reorders, TF's `forget_bias` folded into the
    /// bias; the same inputs and initial state). Throws the reason where the framework cannot hold the model or
    /// refuses the lengths.
    func switched(to convention: Convention) throws -> (session: ExplorerSession, note: String) {
        let converted = try ExperimentConversion.converted(experiment, to: convention).experiment
        try ExperimentError.located(file: experiment.file, field: "sequence_length") {
            try convention.checkSequenceLength(spec.sequenceLength, maxTime: experiment.maxTime)
        }
        let session = try converted.located { try Session(converted) }
        var note = "weights converted to \(convention.frameworkPossessive) names and layouts"
        if converted.spec.cell != spec.cell { note += " (forget_bias folded into the forget gate's bias)" }
        return (session, note)
    }
}

/// The comparison view's background comparison, for one session generation and pair of conventions.
struct ComparisonCache {
    var key: (generation: Int, other: Convention)?
    var comparison: ComparisonRun?
}

extension ExplorerModel {
    /// The comparison of the open experiment with `other` (started in the background on first use).
    public func comparison(with other: Convention) -> ComparisonRun {
        if let c = comparisonCache.comparison, let k = comparisonCache.key, k.generation == generation, k.other == other { return c }
        let c = session.comparison(with: other)
        comparisonCache = ComparisonCache(key: (generation, other), comparison: c)
        return c
    }

    /// Runs the open experiment under `convention` (the model converted). Returns a note for the message line.
    public func switchConvention(to convention: Convention) throws -> String {
        let (s, note) = try session.switched(to: convention)
        replaceSession(s)
        return note
    }
}
