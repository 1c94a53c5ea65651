import Experiment
import Foundation
import RNNEngine

/// The engine's `ConventionComparison` of the open experiment (its cells, weights, inputs and initial state under
/// the rules of two conventions), computed in a background job and converted to `Double` for display.
public final class ComparisonRun: @unchecked Sendable {
    public let left: Convention
    public let right: Convention
    /// What the two sides are called: the conventions (`tf`, `keras`), or the two experiments' names (`O`).
    public let leftName: String
    public let rightName: String
    /// Two experiment files compared (`O`), not two conventions of one.
    public let ofExperiments: Bool

    /// What the engine's comparison gave.
    public struct Outcome: Sendable {
        /// Per side (left, right), per direction: outputs in the inputs' layout, masked steps as each convention emits them.
        public let outputs: [[Tensor<Double>]]
        /// `|left - right|` per direction (exactly zero where the frameworks agree).
        public let difference: [Tensor<Double>]
        public let timeMajor: Bool
        /// The engine's first difference (earliest step, then example, direction, unit), nil when they agree.
        public let firstDifference: (t: Int, example: Int, direction: Direction)?
        /// The engine's words for it.
        public let summary: String
        /// Whether the final states are identical.
        public let statesEqual: Bool

        /// Row `b` of `tensors[d]` (outputs of a side, or the difference) at step `t`.
        public static func row(_ tensors: [Tensor<Double>], direction d: Direction, t: Int, example b: Int, timeMajor: Bool) -> [Double]? {
            guard tensors.indices.contains(d.rawValue), tensors[d.rawValue].rank == 3 else { return nil }
            let o = tensors[d.rawValue]
            let (time, batch, width) = timeMajor ? (o.shape[0], o.shape[1], o.shape[2]) : (o.shape[1], o.shape[0], o.shape[2])
            guard (0..<time).contains(t), (0..<batch).contains(b) else { return nil }
            let start = timeMajor ? (t * batch + b) * width : (b * time + t) * width
            return Array(o.scalars[start..<(start + width)])
        }

        /// Row `b` of direction `d`'s outputs at step `t` for `side` (0 left, 1 right).
        public func output(side: Int, direction d: Direction, t: Int, example b: Int) -> [Double]? {
            outputs.indices.contains(side) ? Self.row(outputs[side], direction: d, t: t, example: b, timeMajor: timeMajor) : nil
        }

        /// `|left - right|` of row `b`, direction `d`, at step `t`.
        public func difference(direction d: Direction, t: Int, example b: Int) -> [Double]? {
            Self.row(difference, direction: d, t: t, example: b, timeMajor: timeMajor)
        }
    }

    /// The outcome once the job has posted it (or why the engine refused to compare). Set and read on the update
    /// loop's thread only (`ExplorerApp.update` applies the job's `compared` message).
    public internal(set) var result: Result<Outcome, BackwardRefusal>?

    init(left: Convention, right: Convention, names: (String, String)? = nil) {
        self.left = left
        self.right = right
        leftName = names?.0 ?? left.rawValue
        rightName = names?.1 ?? right.rawValue
        ofExperiments = names != nil
    }

    /// Most output scalars (both sides and the difference, every direction) the explorer keeps for the view.
    static let scalarBudget = 6_000_000
}

extension Session {
    /// Starts the engine's comparison of this experiment under its convention and `other` as a background job,
    /// which posts the outcome (`compared`) to the session's mailbox.
    func comparison(with other: Convention) -> ComparisonRun {
        let comparison = ComparisonRun(left: spec.convention, right: other)
        let experiment = self.experiment
        Job.start(posting: mailbox) { job in
            job.post(.compared(comparison, Result { try Self.compare(experiment, with: other) }.mapError { BackwardRefusal(describe($0)) }))
        }
        return comparison
    }

    static func compare(_ e: LoadedExperiment<Scalar>, with other: Convention) throws -> ComparisonRun.Outcome {
        let widths = e.spec.directions.map { e.spec.cell(for: $0).outputSize }
        let scalars = 3 * e.batchSize * e.maxTime * widths.reduce(0, +)
        guard scalars <= ComparisonRun.scalarBudget else {
            throw RNNError.invalidArgument("comparing \(Format.count(scalars)) output values is more than the explorer keeps (\(Format.count(ComparisonRun.scalarBudget))); unroll compare computes it")
        }
        return outcome(try e.compare(e.spec.convention, other), timeMajor: e.spec.timeMajor)
    }

    /// The experiment open beside this one (`O`) compared with this one, as a background job (like `comparison(with:)`).
    func comparison(beside other: ExplorerSession, names: (String, String)) -> ComparisonRun {
        let comparison = ComparisonRun(left: spec.convention, right: other.spec.convention, names: names)
        let experiment = self.experiment
        let second = (other as? Session<Scalar>)?.experiment
        Job.start(posting: mailbox) { job in
            job.post(.compared(comparison, Result {
                guard let second else {
                    throw RNNError.invalidArgument("\(names.0) runs in \(experiment.spec.dtype.rawValue) and \(names.1) does not: compare experiments of one dtype")
                }
                let widths = experiment.spec.directions.map { experiment.spec.cell(for: $0).outputSize }
                let scalars = 3 * experiment.batchSize * experiment.maxTime * widths.reduce(0, +)
                guard scalars <= ComparisonRun.scalarBudget else {
                    throw RNNError.invalidArgument("comparing \(Format.count(scalars)) output values is more than the explorer keeps (\(Format.count(ComparisonRun.scalarBudget)))")
                }
                return Self.outcome(try experiment.compare(beside: second), timeMajor: experiment.spec.timeMajor)
            }.mapError { BackwardRefusal(describe($0)) }))
        }
        return comparison
    }

    /// The engine's comparison as the view keeps it (Doubles).
    static func outcome(_ c: ConventionComparison<Scalar>, timeMajor: Bool) -> ComparisonRun.Outcome {
        let double = { (ts: [Tensor<Scalar>]) in ts.map { $0.cast(to: Double.self) } }
        let statesEqual = zip(c.results.0.states, c.results.1.states).allSatisfy { a, b in
            zip(a.flattened, b.flattened).allSatisfy { $0.scalars == $1.scalars }
        }
        return ComparisonRun.Outcome(outputs: [double(c.results.0.outputs), double(c.results.1.outputs)], difference: double(c.difference),
                                     timeMajor: timeMajor,
                                     firstDifference: c.firstDifference.map { (t: $0.time, example: $0.example, direction: $0.direction) },
                                     summary: c.summary, statesEqual: statesEqual)
    }
}
