import RNNEngine

/// What belongs to each pass of an experiment: its cell, the scope of its weights and the names of its arrays.
extension ExperimentSpec {
    /// The passes: forward, and backward when bidirectional; backward alone for ONNX's `reverse` (`RNNModel.directions`).
    public var directions: [Direction] { model.directions }

    /// The cell of `direction` (`cell_bw` falls back to `cell`: `RNNModel.cell(for:)`).
    public func cell(for direction: Direction) -> CellSpec { model.cell(for: direction) }

    /// The scope every weight lies under: `rnn`, or `bidirectional_rnn`.
    public var scope: String { VariableScope.root(bidirectional: bidirectional) }

    /// The scope the cell of `direction` builds its weights under: `rnn`, or `bidirectional_rnn/fw|bw`.
    public func scope(for direction: Direction) -> String {
        VariableScope.scope(for: direction, bidirectional: bidirectional)
    }

    /// The name of one pass's array (`outputs`, `state`, `initial_state`): `name`, or `name/0` and `name/1`
    /// when bidirectional. A state's arrays continue it with their nest paths (`state/1/c`).
    public func arrayName(_ name: String, for direction: Direction) -> String {
        Self.arrayName(name, for: direction, bidirectional: bidirectional)
    }

    /// `arrayName(_:for:)` for a run that is `bidirectional` or not.
    public static func arrayName(_ name: String, for direction: Direction, bidirectional: Bool) -> String {
        bidirectional ? joinPath(name, String(direction.rawValue)) : name
    }
}
