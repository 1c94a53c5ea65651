import Experiment
import Foundation
import RNNEngine

/// The open experiment's model and a converted copy run under two conventions, computed in the background:
/// the same weights (expressed so both frameworks hold them), inputs and initial state; each side's outputs and
/// final states (converted to `Double` for display) and the first step and example where the outputs differ.
public final class ConventionComparison: @unchecked Sendable {
    public let left: Convention
    public let right: Convention

    /// What both runs gave.
    public struct Outcome: Sendable {
        /// Per side (left, right), per direction: outputs in the inputs' layout, masked steps as the convention emits them.
        public let outputs: [[Tensor<Double>]]
        /// Per side, per direction: the final state.
        public let states: [[Nest<Tensor<Double>>]]
        public let timeMajor: Bool
        /// The first (step, example, direction) where any output unit differs (steps first), nil when none does.
        public let firstDifference: (t: Int, example: Int, direction: Int)?
        /// Largest |right - left| over every output (0 when they agree exactly).
        public let largestDifference: Double
        /// Whether the final states are identical.
        public let statesEqual: Bool
        /// What was converted to put the model under both conventions.
        public let note: String

        /// Row `b` of direction `d`'s outputs at step `t` for `side` (0 left, 1 right).
        public func output(side: Int, direction d: Int, t: Int, example b: Int) -> [Double]? {
            guard outputs.indices.contains(side), outputs[side].indices.contains(d) else { return nil }
            let o = outputs[side][d]
            guard o.rank == 3 else { return nil }
            let (time, batch, width) = timeMajor ? (o.shape[0], o.shape[1], o.shape[2]) : (o.shape[1], o.shape[0], o.shape[2])
            guard (0..<time).contains(t), (0..<batch).contains(b) else { return nil }
            let start = timeMajor ? (t * batch + b) * width : (b * time + t) * width
            return Array(o.scalars[start..<(start + width)])
        }
    }

    private let lock = NSLock()
    private var outcome: Result<Outcome, BackwardRefusal>?

    init(left: Convention, right: Convention) {
        self.left = left
        self.right = right
    }

    /// The outcome once computed (or why the comparison is refused).
    public var result: Result<Outcome, BackwardRefusal>? { lock.withLock { outcome } }

    func finish(_ r: Result<Outcome, BackwardRefusal>) { lock.withLock { outcome = r } }

    /// Blocks until done (tests).
    public func waitUntilDone(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if result != nil { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    /// Most output scalars (both sides, every direction) the explorer compares.
    static let scalarBudget = 4_000_000
}

extension Session {
    /// Starts comparing this experiment under its convention with `other` on a background thread.
    func comparison(with other: Convention) -> ConventionComparison {
        let comparison = ConventionComparison(left: spec.convention, right: other)
        let experiment = self.experiment
        runInBackground {
            comparison.finish(Result { try Self.compare(experiment, with: other) }.mapError { BackwardRefusal(describe($0)) })
        }
        return comparison
    }

    /// Converts the model to `other` (and back, so both sides hold the same weights) and runs it both ways.
    static func compare(_ e: LoadedExperiment<Scalar>, with other: Convention) throws -> ConventionComparison.Outcome {
        let spec = e.spec, a = spec.model, depth = e.inputDepth
        let widths = a.directions.map { a.cell(for: $0).outputSize }
        let scalars = 2 * e.batchSize * e.maxTime * widths.reduce(0, +)
        guard scalars <= ConventionComparison.scalarBudget else {
            throw RNNError.invalidArgument("comparing \(Format.count(scalars)) output values is more than the explorer keeps (\(Format.count(ConventionComparison.scalarBudget))); run unroll run under both conventions instead")
        }
        let engine = try engineVariables(e)
        let toRight = try WeightLayouts.convert(model: a, inputDepth: depth, lookup: { engine[$0] }, engineNames: true, to: other)
        let rightNamed = Dictionary(toRight.arrays.map { ($0.name, $0.tensor) }, uniquingKeysWith: { x, _ in x })
        let back = try WeightLayouts.convert(model: toRight.model, inputDepth: depth, lookup: { rightNamed[$0] }, to: a.convention)
        let leftNamed = Dictionary(back.arrays.map { ($0.name, $0.tensor) }, uniquingKeysWith: { x, _ in x })
        func run(_ model: RNNModel, _ named: [String: Tensor<Scalar>]) throws -> ModelResult<Scalar> {
            let store = VariableStore(arrays: try WeightLayouts.engineArrays(model: model, inputDepth: depth, lookup: { named[$0] }), missing: .fail)
            return try model.run(store: store, inputs: e.inputs, sequenceLength: spec.sequenceLength,
                          initialStates: [e.initialState, e.initialStateBackward], timeMajor: spec.timeMajor)
        }
        let l = try run(back.model, leftNamed), r = try run(toRight.model, rightNamed)
        let outputs = [l.outputs.map { $0.cast(to: Double.self) }, r.outputs.map { $0.cast(to: Double.self) }]
        let states = [l.states.map { $0.map { $0.cast(to: Double.self) } }, r.states.map { $0.map { $0.cast(to: Double.self) } }]
        var largest = 0.0
        for d in outputs[0].indices {
            for (x, y) in zip(outputs[0][d].scalars, outputs[1][d].scalars) where x != y { largest = max(largest, abs(y - x).isNaN ? .infinity : abs(y - x)) }
        }
        var first: (Int, Int, Int)?
        if largest > 0 {
            let probe = ConventionComparison.Outcome(outputs: outputs, states: states, timeMajor: spec.timeMajor, firstDifference: nil,
                                                     largestDifference: largest, statesEqual: true, note: "")
            search: for t in 0..<e.maxTime {
                for b in 0..<e.batchSize {
                    for d in outputs[0].indices where probe.output(side: 0, direction: d, t: t, example: b) != probe.output(side: 1, direction: d, t: t, example: b) {
                        first = (t, b, d)
                        break search
                    }
                }
            }
        }
        var statesEqual = true
        for d in states[0].indices where d < states[1].count {
            if zip(states[0][d].flattened, states[1][d].flattened).contains(where: { $0.scalars != $1.scalars }) { statesEqual = false }
        }
        var note = "weights converted to \(other.frameworkPossessive) names and layouts"
        if back.model != a {
            note += "; forget_bias folded into the bias on both sides (\(other.frameworkName) has no forget_bias term), so both hold the same weights"
        }
        return ConventionComparison.Outcome(outputs: outputs, states: states, timeMajor: spec.timeMajor,
                                            firstDifference: first.map { (t: $0.0, example: $0.1, direction: $0.2) },
                                            largestDifference: largest, statesEqual: statesEqual, note: note)
    }
}
