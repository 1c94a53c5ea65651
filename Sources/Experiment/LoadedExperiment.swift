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

    /// The variable scope TF would use: `rnn`, or `bidirectional_rnn` for a bidirectional run.
    public var scope: String { spec.bidirectional ? "bidirectional_rnn" : "rnn" }
    public var batchSize: Int { inputs.shape.count > 1 ? inputs.shape[spec.timeMajor ? 1 : 0] : 0 }
    public var maxTime: Int { inputs.shape.count > 1 ? inputs.shape[spec.timeMajor ? 0 : 1] : 0 }
    public var inputDepth: Int { inputs.shape.last ?? 0 }

    public init(spec: ExperimentSpec, file: String, inputs: Tensor<Scalar>, store: VariableStore<Scalar>,
                initialState: Nest<Tensor<Scalar>>? = nil, initialStateBackward: Nest<Tensor<Scalar>>? = nil) {
        self.spec = spec
        self.file = file
        self.inputs = inputs
        self.store = store
        self.initialState = initialState
        self.initialStateBackward = initialStateBackward
    }

    /// The unrolled loop of one direction (the backward one sees each row reversed within its length),
    /// with its cell built: what the explorer steps through.
    public func makeLoop(backward: Bool = false) throws -> UnrolledLoop<Scalar> {
        try located {
            let spec = backward ? (self.spec.cellBackward ?? self.spec.cell) : self.spec.cell
            let cell = try spec.makeCell(store: store)
            let scope = self.spec.bidirectional ? self.scope + (backward ? "/bw" : "/fw") : self.scope
            var x = inputs
            if backward {
                x = try reverseSequence(inputs, lengths: self.spec.sequenceLength, timeMajor: self.spec.timeMajor)
            }
            return try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: self.spec.sequenceLength,
                                    initialState: backward ? initialStateBackward : initialState,
                                    dtype: self.spec.dtype, timeMajor: self.spec.timeMajor, scope: scope)
        }
    }

    /// Runs the experiment as `dynamic_rnn` (or `bidirectional_dynamic_rnn`) would.
    public func run() throws -> ExperimentResult<Scalar> {
        try located {
            guard spec.bidirectional else {
                let cell = try spec.cell.makeCell(store: store)
                let r = try dynamicRNN(cell: cell, inputs: .leaf(inputs), sequenceLength: spec.sequenceLength,
                                       initialState: initialState, dtype: spec.dtype,
                                       parallelIterations: spec.parallelIterations, swapMemory: spec.swapMemory,
                                       timeMajor: spec.timeMajor, scope: scope)
                return ExperimentResult(outputs: [r.outputs], states: [r.state], bidirectional: false)
            }
            let fw = try spec.cell.makeCell(store: store)
            let bw = try (spec.cellBackward ?? spec.cell).makeCell(store: store)
            let r = try bidirectionalDynamicRNN(
                cellForward: fw, cellBackward: bw, inputs: .leaf(inputs), sequenceLength: spec.sequenceLength,
                initialStateForward: initialState, initialStateBackward: initialStateBackward, dtype: spec.dtype,
                parallelIterations: spec.parallelIterations, swapMemory: spec.swapMemory,
                timeMajor: spec.timeMajor, scope: scope)
            return ExperimentResult(outputs: [r.outputsForward, r.outputsBackward],
                                    states: [r.stateForward, r.stateBackward], bidirectional: true)
        }
    }

    /// Runs `body`, turning engine errors into `ExperimentError`s that name this file and the field at fault.
    public func located<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as RNNError {
            throw ExperimentError(file: file, field: ExperimentError.field(for: e), e.description)
        }
    }
}

/// The results of an experiment: one output and state per direction.
public struct ExperimentResult<Scalar: RNNScalar> {
    public let outputs: [Tensor<Scalar>]
    public let states: [Nest<Tensor<Scalar>>]
    public let bidirectional: Bool

    /// The arrays `unroll run` writes: `outputs`, `state/...` (bidirectional: `outputs/0`, `state/1/...`).
    public func namedArrays() throws -> [(String, NumpyArray)] {
        var out: [(String, NumpyArray)] = []
        for (i, o) in outputs.enumerated() {
            out.append((bidirectional ? "outputs/\(i)" : "outputs", try NumpyArray(o)))
        }
        for (i, s) in states.enumerated() {
            let prefix = bidirectional ? "state/\(i)" : "state"
            for (path, t) in s.flattenedWithPaths {
                out.append((path.isEmpty ? prefix : prefix + "/" + path, try NumpyArray(t)))
            }
        }
        return out
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
        case .missingWeight, .weightShape, .weightDType: return "weights"
        case .residualShapeMismatch, .invalidCell: return "cell"
        case .invalidShape, .tooLarge, .invalidArgument: return "cell"
        }
    }
}
