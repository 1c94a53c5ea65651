/// What one cell's forward step kept for its backward step: the values it needs (by position, as the cell
/// wrote them) and its sub-cells' tapes. Kept only for the steps of one segment at a time.
public final class StepTape<Scalar: RNNScalar> {
    /// The cell's own values (`x`, `h`, gates, ...), in the order the cell appended them.
    public var values: [[Scalar]] = []
    /// Tapes of wrapped or stacked cells.
    public var children: [StepTape<Scalar>] = []

    public init() {}

    /// Scalars held by this tape and its children.
    public var scalarCount: Int {
        values.reduce(0) { $0 + $1.count } + children.reduce(0) { $0 + $1.scalarCount }
    }
}
