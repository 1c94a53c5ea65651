import Foundation
import RNNEngine

/// The padding doctor (`unroll compare` on a masked experiment): for each framework, whether it can express the
/// experiment's step mask, and what its outputs and final state would be were the mask turned into lengths (what
/// converters do: `lengths[b]` = the number of valid steps of row b, so a pre-padded row runs its padding first)
/// or dropped (no masking at all), each against the Keras run with the true mask. Every number is the engine's.
public struct PaddingDiagnosis: Sendable {
    /// What a framework is given in place of the mask.
    public enum Variant: String, Sendable, CaseIterable {
        /// The mask itself: Keras runs any mask; tf, torch and onnx only a prefix (their lengths).
        case mask
        /// `lengths[b]` = the number of valid steps of row b (`mask.sum(axis=1)`), as converters make them.
        case lengths
        /// No mask and no lengths: every step runs.
        case dropped
    }

    /// One framework given one variant, against the Keras run with the true mask.
    public struct Entry: Sendable {
        public let convention: Convention
        public let variant: Variant
        /// Why the framework cannot run it (one line), or nil when it ran.
        public let refusal: String?
        /// Per example: the largest `|run − reference|` over the outputs of every direction (empty when refused).
        public let outputDifference: [Double]
        /// Per example: the largest `|run − reference|` over every array of the final state (empty when refused).
        public let stateDifference: [Double]
        /// Per example: the first step (in the inputs' time order) whose outputs differ, nil where none does.
        public let firstWrongStep: [Int?]
    }

    /// The true mask (also when Keras drops it: see `maskDroppedByInitialState`).
    public let mask: StepMask
    /// The lengths a converter makes of it: the valid steps per row.
    public let lengths: [Int]
    /// Whether Keras 3 itself drops this mask (`Masking(mask_value)` with `initial_state`): what `unroll run` gives
    /// for keras is then the `dropped` entry, not the reference.
    public let maskDroppedByInitialState: Bool
    /// Per framework (tf, keras, torch, onnx), the variants in `Variant.allCases` order.
    public let entries: [Entry]
}

extension LoadedExperiment {
    /// The true step mask: `stepMask`, or `Masking(mask_value)` on the inputs where Keras drops it; nil without a
    /// `"mask"` or `"mask_value"`.
    public func trueStepMask() throws -> StepMask? {
        if let m = stepMask { return m }
        guard let v = spec.maskValue else { return nil }
        return try ExperimentError.located(file: file, field: "mask_value") {
            try StepMask.masking(inputs, value: Scalar(v), timeMajor: spec.timeMajor)
        }
    }

    /// The padding doctor's table (`PaddingDiagnosis`) for this experiment's mask; nil without one. The reference
    /// is the model run under the keras convention with the true mask (throws where Keras cannot run the model).
    /// A framework that cannot express the mask, or cannot run the model at all (what `compare` refuses), has an
    /// entry with its refusal instead of numbers.
    public func paddingDiagnosis() throws -> PaddingDiagnosis? {
        guard let mask = try trueStepMask() else { return nil }
        let initialStates = [initialState, initialStateBackward]
        var keras = spec.model
        keras.convention = .keras
        let reference = try located {
            try keras.run(store: store, inputs: inputs, mask: mask, initialStates: initialStates, timeMajor: spec.timeMajor)
        }
        let lengths = (0..<mask.batchSize).map { mask.validSteps(example: $0).count }
        /// The run under `c` given `sequenceLength` (nil: every step), or why it cannot be made.
        func run(_ c: Convention, _ sequenceLength: [Int]?) -> Result<ModelResult<Scalar>, Error> {
            Result {
                if c == .keras {
                    return try keras.run(store: store, inputs: inputs, mask: sequenceLength.map { StepMask(lengths: $0, maxTime: maxTime) },
                                         initialStates: initialStates, timeMajor: spec.timeMajor)
                }
                if c != spec.convention { _ = try WeightLayouts.convertedModel(spec.model, to: c) }
                return try ConventionComparison(model: spec.model, c, c, store: store, inputs: inputs, sequenceLength: sequenceLength,
                                                initialStates: initialStates, timeMajor: spec.timeMajor).results.0
            }
        }
        var entries: [PaddingDiagnosis.Entry] = []
        for c in Convention.allCases {
            for variant in PaddingDiagnosis.Variant.allCases {
                let result: Result<ModelResult<Scalar>, Error>
                switch variant {
                case .mask where c.takesAnyMask:
                    result = .success(reference)
                case .mask:
                    // A framework without masks is given the lengths of a prefix mask (read in the layer's order).
                    let read = spec.model.goesBackwards ? mask.reversedInTime() : mask
                    if let l = read.prefixLengths {
                        result = run(c, l)
                    } else {
                        let (example, steps) = read.firstNonPrefix ?? (0, [])
                        result = .failure(RNNError.badMask(c.maskRefusal(example: example, maskedSteps: steps)))
                    }
                case .lengths: result = run(c, lengths)
                case .dropped: result = run(c, nil)
                }
                entries.append(Self.entry(c, variant, result, reference: reference, batch: mask.batchSize, timeMajor: spec.timeMajor))
            }
        }
        return PaddingDiagnosis(mask: mask, lengths: lengths, maskDroppedByInitialState: maskDroppedByInitialState, entries: entries)
    }

    /// `result` against `reference`, per example.
    private static func entry(_ c: Convention, _ variant: PaddingDiagnosis.Variant, _ result: Result<ModelResult<Scalar>, Error>,
                              reference: ModelResult<Scalar>, batch: Int, timeMajor: Bool) -> PaddingDiagnosis.Entry {
        let r: ModelResult<Scalar>
        switch result {
        case let .success(s): r = s
        case let .failure(e):
            let why = (e as? RNNError)?.description ?? (e as? ExperimentError)?.message ?? "\(e)"
            return PaddingDiagnosis.Entry(convention: c, variant: variant, refusal: why, outputDifference: [], stateDifference: [], firstWrongStep: [])
        }
        var out = [Double](repeating: 0, count: batch), state = out
        var first = [Int?](repeating: nil, count: batch)
        for (x, y) in zip(r.outputs, reference.outputs) where x.shape == y.shape && x.rank == 3 {
            let (time, width) = (x.shape[timeMajor ? 0 : 1], x.shape[2])
            for b in 0..<batch {
                for t in 0..<time {
                    let base = timeMajor ? (t * batch + b) * width : (b * time + t) * width
                    for k in 0..<width {
                        let d = Double(abs(x.scalars[base + k] - y.scalars[base + k]))
                        out[b] = max(out[b], d)
                        if d != 0, first[b].map({ t < $0 }) ?? true { first[b] = t }
                    }
                }
            }
        }
        for (s, t) in zip(r.states, reference.states) {
            for (x, y) in zip(s.flattened, t.flattened) where x.shape == y.shape && x.rank == 2 && x.shape[0] == batch {
                let width = x.shape[1]
                for b in 0..<batch {
                    for k in 0..<width { state[b] = max(state[b], Double(abs(x.scalars[b * width + k] - y.scalars[b * width + k]))) }
                }
            }
        }
        return PaddingDiagnosis.Entry(convention: c, variant: variant, refusal: nil, outputDifference: out, stateDifference: state, firstWrongStep: first)
    }
}
