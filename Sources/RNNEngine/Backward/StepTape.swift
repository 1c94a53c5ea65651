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
