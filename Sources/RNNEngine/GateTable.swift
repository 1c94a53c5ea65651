/// One gate (or candidate) a cell computes at each step.
public struct GateDescription: Sendable, Equatable {
    /// The short name frames and gradient records use (`i`, `j`, `f`, `o`, `r`, `u`, `c`).
    public let name: String
    /// A few words on what it is (`input gate`).
    public let title: String
    /// What it does in the step.
    public let meaning: String
    /// The activation applied to it: `sigmoid`, or `activation` for the cell's own activation.
    public let activation: String
}

/// Per cell kind: the gates it computes, in the order frames and gradient records list them (each kind's
/// descriptor holds its table; these are shorthands for the cells and front-ends).
public enum GateTable {
    /// The gates of `kind` (a BasicRNN cell has none: its step is `act(x·W + b)`).
    public static func gates(of kind: CellKind) -> [GateDescription] { kind.descriptor.gates }

    /// The gates of the cell TF names `cellName` (empty for an unknown cell).
    public static func gates(ofCellNamed cellName: String) -> [GateDescription] {
        CellKind(cellName: cellName).map(gates(of:)) ?? []
    }

    /// LSTM: `[x, h]·W + b` splits into `i, j, f, o`, in that order (`LSTMKind.gateTable`).
    public static var lstm: [GateDescription] { LSTMKind.gateTable }

    /// GRU: the gates product splits into `r, u`; the candidate `c` is a second product over `[x, r·h]` (`GRUKind.gateTable`).
    public static var gru: [GateDescription] { GRUKind.gateTable }

    /// The reset-after GRU (`GRUResetAfterKind.gateTable`).
    public static var gruResetAfter: [GateDescription] { GRUResetAfterKind.gateTable }
}
