// A built-in cell's step lives in one function, its step function: it computes the output and the new state
// with every intermediate the caller asks for (a `Step`), and both the recorded forward (`call`) and the
// backward pass's recomputation (`tapedCall`, which keeps the `Step` on the tape for the cell's VJP) use it.
// The step-by-step path is also the reference the fused path is tested against (FastPathTests, CellStepTests).
// A new cell kind is then its step function, what it records, and its VJP reading its `Step`.

/// What a built-in cell's step function is called for, which decides the intermediates its `Step` holds
/// beyond the step's inputs, output and new state (each `Step` says which fields each use fills).
enum StepUse {
    /// The forward step with nobody watching: only what the output and the new state need.
    case run
    /// The recorded forward step: also what the recorder shows (gates, the values going into activations).
    case record
    /// The backward pass's recomputation: also what the cell's VJP reads from the tape.
    case tape
}

/// The intermediates of one step of a built-in cell (its `Step`): returned by the cell's step function and read
/// back from the tape by its VJP (`backward`).
protocol StepIntermediates {
    /// The scalars it holds (counted against the backward pass's tape budget).
    var scalarCount: Int { get }
}

/// The scalars in some arrays (for `StepIntermediates.scalarCount`).
func scalarCount<Scalar>(_ arrays: [Scalar]...) -> Int { arrays.reduce(0) { $0 + $1.count } }

/// A built-in cell computed by a step function; `call` and `tapedCall` come from it.
protocol StepFunctionCell: DifferentiableCell {
    associatedtype Step: StepIntermediates
    /// The cell's class name, for messages.
    var label: String { get }
    /// The step from `x` (`[batch, depth]`) and `state`, checking that the cell was built for this depth and
    /// that the state has the cell's structure.
    func step(_ x: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, for use: StepUse) throws -> Step
    /// The step's output and new state.
    func result(of step: Step, batch: Int) -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>)
    /// Records a `.record` step's gates and the values that go into its activations.
    func record(_ step: Step, batch: Int, into recorder: StepRecorder<Scalar>)
}

extension StepFunctionCell {
    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let x = try input.single(for: label)
        let s = try step(x, state: state, for: context.recorder == nil ? .run : .record)
        if let rec = context.recorder { record(s, batch: x.shape[0], into: rec) }
        return result(of: s, batch: x.shape[0])
    }

    public func tapedCall(_ input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, time: Int) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, tape: StepTape<Scalar>) {
        let s = try step(input, state: state, for: .tape)
        let r = result(of: s, batch: input.shape[0])
        return (r.output, r.state, StepTape(step: s))
    }

    /// The `Step` a tape holds, as `tapedCall` kept it.
    func tapedStep(_ tape: StepTape<Scalar>) throws -> Step { try tape.step(Step.self, of: label) }
}

/// The `Step` of a cell whose state is one tensor, also its output.
protocol SingleStateStep: StepIntermediates {
    associatedtype Scalar: RNNScalar
    /// The new state (and output), `[batch, outputSize]`.
    var out: [Scalar] { get }
}

extension StepFunctionCell where Step: SingleStateStep, Step.Scalar == Scalar {
    func result(of step: Step, batch: Int) -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let out = Tensor(unchecked: [batch, outputSize], scalars: step.out)
        return (out, .leaf(out))
    }
}
