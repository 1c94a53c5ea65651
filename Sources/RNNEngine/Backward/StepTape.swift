/// What one cell's forward step kept for its backward step: the values it needs and its sub-cells' tapes.
/// A built-in cell keeps its step's intermediates (`step`, the `Step` its step function returned); a cell defined
/// elsewhere keeps arrays in `values`, by position as it wrote them. Kept only for the steps of one segment at a time.
public final class StepTape<Scalar: RNNScalar> {
    /// The cell's own values (`x`, `h`, gates, ...), in the order the cell appended them.
    public var values: [[Scalar]] = []
    /// Tapes of wrapped or stacked cells.
    public var children: [StepTape<Scalar>] = []
    /// A built-in cell's step intermediates, as its step function returned them.
    var step: (any StepIntermediates)?

    public init() {}

    /// A tape holding a built-in cell's step.
    init(step: any StepIntermediates) { self.step = step }

    /// Scalars held by this tape and its children.
    public var scalarCount: Int {
        values.reduce(0) { $0 + $1.count } + (step?.scalarCount ?? 0) + children.reduce(0) { $0 + $1.scalarCount }
    }

    /// The step kept by `cell`'s taped call, as that cell's `Step` type.
    func step<Step: StepIntermediates>(_: Step.Type, of cell: String) throws -> Step {
        guard let s = step as? Step else {
            throw RNNError.invalidArgument("\(cell): the tape does not hold this cell's step")
        }
        return s
    }
}

/// The intermediates of one step of a built-in cell (its `Step`): returned by the cell's step function, which both
/// its recorded forward (`call`) and its taped step use, and read back by its VJP (`backward`).
protocol StepIntermediates {
    /// The scalars it holds (counted against the backward pass's tape budget).
    var scalarCount: Int { get }
}

/// The scalars in some arrays (for `StepIntermediates.scalarCount`).
func scalarCount<Scalar>(_ arrays: [Scalar]...) -> Int { arrays.reduce(0) { $0 + $1.count } }

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
