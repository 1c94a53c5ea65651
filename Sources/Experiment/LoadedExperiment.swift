import Foundation
import RNNEngine

/// An experiment with its arrays loaded and converted to the experiment's scalar type: ready to run.
public struct LoadedExperiment<Scalar: RNNScalar> {
    public let spec: ExperimentSpec
    /// The experiment file's path as the user gave it (for messages).
    public let file: String
    /// `[batch, time, depth]`, or `[time, batch, depth]` when time-major.
    public let inputs: Tensor<Scalar>
    /// Weights by TF variable name (given ones, and defaults from the seed when the file names no weights).
    public let store: VariableStore<Scalar>
    public let initialState: Nest<Tensor<Scalar>>?
    public let initialStateBackward: Nest<Tensor<Scalar>>?
    /// The cotangent arrays of a `"loss"` file (`loss/outputs`, `loss/state/...`), by name.
    public var lossArrays: [String: Tensor<Scalar>] = [:]
    /// The step mask the layers are given: the `"mask"` file's, or what `Masking(mask_value)` computes on the inputs
    /// (nil without either, and nil when Keras drops Masking's mask: see `maskDroppedByInitialState`).
    public var stepMask: StepMask?
    /// Whether Keras 3 drops the mask of `Masking(mask_value)` because the layers are called with `initial_state`
    /// (`Layer.__call__` picks up an input's mask only for a call with a single tensor argument): the run is then
    /// unmasked, as Keras runs it.
    public var maskDroppedByInitialState: Bool {
        spec.maskValue != nil && spec.convention == .keras && (initialState != nil || initialStateBackward != nil)
    }

    /// The variable scope of the run: `rnn`, `bidirectional_rnn`, or `stack_bidirectional_rnn` for PyTorch's
    /// bidirectional layers (`RNNModel.scope`).
    public var scope: String { spec.model.scope }
    /// The inputs' shape: `inputs.shape`, or for an experiment loaded for its shapes alone, the shape its
    /// inputs would have (`inputs` is then an empty placeholder).
    public let inputShape: [Int]
    public var batchSize: Int { inputShape.count > 1 ? inputShape[spec.timeMajor ? 1 : 0] : 0 }
    public var maxTime: Int { inputShape.count > 1 ? inputShape[spec.timeMajor ? 0 : 1] : 0 }
    public var inputDepth: Int { inputShape.last ?? 0 }
    /// The given weights' shapes by TF variable name: `store.arrays`' shapes, or for an experiment loaded for its
    /// shapes alone, what their `.npy` headers declare (no weight is then decoded and `store` holds none).
    public let givenWeightShapes: [String: [Int]]

    public init(spec: ExperimentSpec, file: String, inputs: Tensor<Scalar>, store: VariableStore<Scalar>,
                initialState: Nest<Tensor<Scalar>>? = nil, initialStateBackward: Nest<Tensor<Scalar>>? = nil,
                inputShape: [Int]? = nil, givenWeightShapes: [String: [Int]]? = nil) {
        self.givenWeightShapes = givenWeightShapes ?? store.arrays.mapValues(\.shape)
        self.spec = spec
        self.file = file
        self.inputs = inputs
        self.inputShape = inputShape ?? inputs.shape
        self.store = store
        self.initialState = initialState
        self.initialStateBackward = initialStateBackward
    }

    /// The field that gives the run's step mask (`mask`, `mask_value`), or `cell` for a `go_backwards` layer alone.
    var maskField: String { stepMask == nil ? "cell" : spec.mask != nil ? "mask" : "mask_value" }

    /// The unrolled loop of one direction (the backward one sees each row reversed within its length; a lone
    /// reverse pass is backward), with its cell built: what the explorer steps through. Under a step mask (`"mask"`,
    /// `"mask_value"`) a prefix mask runs as its lengths (the same run, `RNNModel.run(mask:)`); any other mask runs
    /// under keras as the loop's `stepMask` (a masked step carries the state; `MaskedOutputRule` says what it emits),
    /// and tf and torch refuse it in one line (`Convention.maskRefusal`), as `run` does. A Keras `go_backwards`
    /// layer reads the steps from last to first (the loop's step t reads input step max_time-1-t, its mask reversed);
    /// a Keras stack with one runs layer by layer, which one loop cannot show: refused (`unroll run` computes it).
    public func makeLoop(backward: Bool = false) throws -> UnrolledLoop<Scalar> {
        let model = spec.model
        if model.goesBackwards, model.convention == .keras, !model.bidirectional, model.cell.layers.count > 1 {
            throw ExperimentError(file: file, field: "cell",
                                  "a Keras stack with a go_backwards layer runs layer by layer (each layer reads the steps in its own order); one loop cannot show it; unroll run computes it")
        }
        return try located {
            let direction: Direction = backward || model.directions == [.backward] ? .backward : .forward
            let cell = try spec.cell(for: direction).makeCell(store: store)
            var scope = spec.scope(for: direction)
            if model.bidirectional && model.convention.bidirectionalStacking == .layerwise {
                // PyTorch's bidirectional layers: one layer is one bidirectional_dynamic_rnn under its own scope; a
                // deeper stack feeds both directions into each next layer, which one direction's loop cannot show.
                let layers = model.layers(inputDepth: inputDepth).filter { $0.direction == direction }
                guard layers.count == 1, let layer = layers.first else {
                    throw RNNError.invalidArgument(
                        "stepping through one direction needs a single layer: PyTorch's \(layers.count)-layer bidirectional stack feeds both directions into each next layer (unroll run computes it)")
                }
                scope = layer.scope
            }
            let plan = try loopPlan(direction: direction)
            var x = inputs
            if plan.readsBackwards {
                x = try reverseSequence(inputs, lengths: plan.stepMask == nil ? plan.lengths : nil, timeMajor: spec.timeMajor)
            }
            return try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: plan.lengths,
                                    initialState: backward ? initialStateBackward : initialState,
                                    dtype: spec.dtype, timeMajor: spec.timeMajor, scope: scope, stepMask: plan.stepMask)
        }
    }

    /// How one direction's loop reads the steps: its lengths (`sequence_length`, or a prefix mask's), or a step mask
    /// of another pattern (keras only), in the order the loop reads them.
    public struct LoopPlan: Equatable, Sendable {
        public let lengths: [Int]?
        public let stepMask: StepMask?
        /// Whether the loop reads the steps from last to first: the backward pass (within each row's length, or the
        /// whole row under a step mask) or a `go_backwards` layer (the whole row).
        public let readsBackwards: Bool
        /// Whether the reading reverses whole rows (a step mask or `go_backwards`), not each row within its length.
        public var reversesWholeRows: Bool { readsBackwards && (stepMask != nil || lengths == nil) }
    }

    /// The loop plan of `direction` (see `makeLoop`); throws the convention's refusal of a mask it cannot express.
    public func loopPlan(direction: Direction) throws -> LoopPlan {
        let model = spec.model
        let reversed = direction == .backward || model.goesBackwards
        // The mask in input order: the file's or Masking's; lengths under go_backwards read as a mask (Keras reverses it).
        guard let mask = stepMask ?? (model.goesBackwards ? spec.sequenceLength.map { StepMask(lengths: $0, maxTime: maxTime) } : nil) else {
            return LoopPlan(lengths: spec.sequenceLength, stepMask: nil, readsBackwards: reversed)
        }
        if let lengths = mask.prefixLengths, !model.goesBackwards {
            try spec.convention.checkSequenceLength(lengths, maxTime: maxTime)
            return LoopPlan(lengths: lengths, stepMask: nil, readsBackwards: reversed)
        }
        guard spec.convention.takesAnyMask else {
            let (example, masked) = mask.firstNonPrefix ?? (0, [])
            throw ExperimentError(file: file, field: maskField, spec.convention.maskRefusal(example: example, maskedSteps: masked))
        }
        return LoopPlan(lengths: nil, stepMask: reversed ? mask.reversedInTime() : mask, readsBackwards: reversed)
    }

    /// Runs the experiment as its convention's framework would (`dynamic_rnn` or `bidirectional_dynamic_rnn` for tf).
    public func run() throws -> ExperimentResult<Scalar> {
        try located {
            let initialStates = [initialState, initialStateBackward]
            let r = try stepMask.map {
                try spec.model.run(store: store, inputs: inputs, mask: $0, initialStates: initialStates, timeMajor: spec.timeMajor,
                                   parallelIterations: spec.parallelIterations, swapMemory: spec.swapMemory)
            } ?? spec.model.run(store: store, inputs: inputs, sequenceLength: spec.sequenceLength,
                                initialStates: initialStates, timeMajor: spec.timeMajor,
                                parallelIterations: spec.parallelIterations, swapMemory: spec.swapMemory)
            return ExperimentResult(outputs: r.outputs, states: r.states, bidirectional: spec.bidirectional, model: spec.model,
                                    timeMajor: spec.timeMajor)
        }
    }

    /// The experiment's cells, weights and inputs run under the rules of two conventions, and where the outputs
    /// differ (`ConventionComparison`): what a front-end's comparison view shows. Besides the engine's refusals
    /// (lengths, bidirectional stacking), throws (field `convention`) where either framework cannot express the
    /// model at all (`WeightLayouts.convertedModel`, what `convert` refuses): it has no outputs to compare.
    public func compare(_ first: Convention, _ second: Convention) throws -> ConventionComparison<Scalar> {
        if stepMask != nil || spec.model.goesBackwards {
            throw ExperimentError(file: file, field: maskField,
                                  "comparing conventions under a step mask or go_backwards is not supported yet; unroll run computes each")
        }
        let comparison = try located {
            try ConventionComparison(model: spec.model, first, second, store: store, inputs: inputs,
                                     sequenceLength: spec.sequenceLength, initialStates: [initialState, initialStateBackward],
                                     timeMajor: spec.timeMajor)
        }
        for c in [first, second] where c != spec.convention {
            _ = try ExperimentError.located(file: file, field: "convention") { try WeightLayouts.convertedModel(spec.model, to: c) }
        }
        return comparison
    }

    /// Runs `body`, turning engine errors into `ExperimentError`s that name this file and the field at fault
    /// (`ExperimentError.located`).
    public func located<T>(_ body: () throws -> T) throws -> T {
        try ExperimentError.located(file: file, body)
    }
}

/// The results of an experiment: one output and state per direction.
public struct ExperimentResult<Scalar: RNNScalar> {
    public let outputs: [Tensor<Scalar>]
    public let states: [Nest<Tensor<Scalar>>]
    public let bidirectional: Bool
    /// The model that made them (its convention names the results).
    public let model: RNNModel?
    /// Whether the outputs are time-major (where ONNX's results put their `num_directions` axis).
    public let timeMajor: Bool

    public init(outputs: [Tensor<Scalar>], states: [Nest<Tensor<Scalar>>], bidirectional: Bool, model: RNNModel? = nil,
                timeMajor: Bool = false) {
        self.outputs = outputs
        self.states = states
        self.bidirectional = bidirectional
        self.model = model
        self.timeMajor = timeMajor
    }

    /// The arrays `unroll run` writes, under the framework's names (`ModelResult.namedTensors`): `outputs`,
    /// `state/...` (bidirectional: `outputs/0`, `state/1/...`) for tf and keras; `output`, `h_n`, `c_n` for torch.
    public func namedArrays() throws -> [(String, NumpyArray)] {
        let model = self.model ?? RNNModel(cell: .multi([]), bidirectional: bidirectional)
        return try ModelResult(model: model, outputs: outputs, states: states, timeMajor: timeMajor).namedTensors().map { ($0.name, try NumpyArray($0.tensor)) }
    }
}

extension ExperimentError {
    /// The experiment field an engine error is about.
    static func field(for error: RNNError) -> String {
        switch error {
        case .emptyInputs, .inputRankTooLow, .mismatchedInputs: return "inputs"
        case .missingDType, .dtypeMismatch: return "dtype"
        case .badSequenceLength: return "sequence_length"
        case .badInitialState: return "initial_state"
        case .badMask: return "mask"
        case .missingWeight, .weightShape, .weightDType: return "weights"
        case .residualShapeMismatch, .invalidCell: return "cell"
        case .invalidShape, .tooLarge, .invalidArgument: return "cell"
        }
    }
}
