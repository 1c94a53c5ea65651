/// The built-in cell kinds, by what their step computes.
public enum CellKind: String, CaseIterable, Sendable {
    case basicRNN = "basic_rnn"
    case basicLSTM = "basic_lstm"
    case lstm
    case gru
    /// The GRU with `reset_after` (`GRUResetAfterCell`: Keras', PyTorch's, TF 2's `GRUCell(reset_after=True)`).
    case gruResetAfter = "gru_reset_after"

    /// The kind of a built-in cell by TF's variable-scope name (`lstm_cell`, ...), nil for others.
    /// (`lstm_cell` is `LSTMCell`; `basic_lstm_cell` is `BasicLSTMCell`; `gru_cell` is TF 1's `GRUCell`, and also
    /// the reset-after GRU's scope name: both have the gates `r`, `u`, `c`.)
    public init?(cellName: String) {
        switch cellName {
        case "basic_rnn_cell": self = .basicRNN
        case "basic_lstm_cell": self = .basicLSTM
        case "lstm_cell": self = .lstm
        case "gru_cell": self = .gru
        default: return nil
        }
    }
}

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

/// Per cell kind: the gates it computes, in the order TF lays them out in the kernel's columns and the
/// order frames and gradient records list them. One table for the forward's frames, the gradients and
/// any front-end that names them.
public enum GateTable {
    /// The gates of `kind`, in TF's kernel column order (a BasicRNN cell has none: its step is `act(x·W + b)`).
    public static func gates(of kind: CellKind) -> [GateDescription] {
        switch kind {
        case .basicRNN: return []
        case .basicLSTM, .lstm: return lstm
        case .gru: return gru
        case .gruResetAfter: return gruResetAfter
        }
    }

    /// The gates of the cell TF names `cellName` (empty for an unknown cell).
    public static func gates(ofCellNamed cellName: String) -> [GateDescription] {
        CellKind(cellName: cellName).map(gates(of:)) ?? []
    }

    /// LSTM: `[x, h]·W + b` splits into `i, j, f, o`, in that order.
    public static let lstm: [GateDescription] = [
        GateDescription(name: "i", title: "input gate", meaning: "how much of the candidate j enters the cell state",
                        activation: "sigmoid"),
        GateDescription(name: "j", title: "candidate", meaning: "the new content offered to the cell state",
                        activation: "activation"),
        GateDescription(name: "f", title: "forget gate", meaning: "how much of the old cell state c is kept (forget_bias added first)",
                        activation: "sigmoid"),
        GateDescription(name: "o", title: "output gate", meaning: "how much of act(c) leaves as h",
                        activation: "sigmoid"),
    ]

    /// GRU: the gates product splits into `r, u`; the candidate `c` is a second product over `[x, r·h]`.
    public static let gru: [GateDescription] = [
        GateDescription(name: "r", title: "reset gate", meaning: "how much of h the candidate sees (r·h)",
                        activation: "sigmoid"),
        GateDescription(name: "u", title: "update gate", meaning: "how much of the old h is kept: h' = u·h + (1 − u)·c",
                        activation: "sigmoid"),
        GateDescription(name: "c", title: "candidate", meaning: "the new state offered, from x and r·h",
                        activation: "activation"),
    ]

    /// The reset-after GRU (`GRUResetAfterCell`): the same gate names as TF 1's GRU, but the candidate differs:
    /// the reset gate multiplies the recurrent product after it is taken, bias included. The kernels' column
    /// blocks are `u` (Keras' `z`), `r`, `c` (Keras' `h`); frames and gradient records list `r`, `u`, `c`.
    public static let gruResetAfter: [GateDescription] = [
        GateDescription(name: "r", title: "reset gate", meaning: "how much of the recurrent product h·U_c + b_rec,c the candidate sees",
                        activation: "sigmoid"),
        GateDescription(name: "u", title: "update gate", meaning: "how much of the old h is kept: h' = u·h + (1 − u)·c",
                        activation: "sigmoid"),
        GateDescription(name: "c", title: "candidate", meaning: "the new state offered: x·W_c + b_in,c + r·(h·U_c + b_rec,c)",
                        activation: "activation"),
    ]
}
