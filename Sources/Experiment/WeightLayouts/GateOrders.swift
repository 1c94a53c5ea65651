import RNNEngine

/// A gate's meaning, whatever a framework calls it.
enum Gate: String, Sendable {
    /// LSTM input gate (`i` everywhere).
    case input
    /// LSTM forget gate (`f`).
    case forget
    /// The candidate: TF's LSTM `j`, Keras' LSTM `c` and GRU `h`, PyTorch's LSTM `g` and GRU `n`, TF's GRU `candidate`.
    case candidate
    /// LSTM output gate (`o`).
    case output
    /// GRU update gate: TF's `u`, Keras' `z`, PyTorch's `z`.
    case update
    /// GRU reset gate (`r`).
    case reset
}

extension Gate {
    /// The gate TF's cells name `name` in `GateTable` (`i`, `j`, `f`, `o`; `r`, `u`, `c`).
    init?(tfName name: String) {
        switch name {
        case "i": self = .input
        case "j", "c": self = .candidate
        case "f": self = .forget
        case "o": self = .output
        case "r": self = .reset
        case "u": self = .update
        default: return nil
        }
    }
}

/// The order in which each framework stores gate blocks along a kernel's columns (rows for PyTorch) and a bias:
/// the one table weight layouts read (TF's own orders come from the engine's `GateTable`).
enum GateOrders {
    /// LSTM: TF `i, j, f, o`; Keras `i, f, c, o`; PyTorch `i, f, g, o`.
    static func lstm(_ c: Convention) -> [Gate] {
        switch c {
        case .tf: return GateTable.lstm.compactMap { Gate(tfName: $0.name) }
        case .keras, .torch: return [.input, .forget, .candidate, .output]
        }
    }

    /// GRU: Keras (and TF 2's reset-after `GRUCell`, the engine's `GRUResetAfterCell`) `z, r, h`; PyTorch `r, z, n`.
    /// TF 1's `GRUCell` splits its kernels: `gates` is `r, u` and `candidate` the third block.
    static func gru(_ c: Convention) -> [Gate] {
        switch c {
        case .tf, .keras: return [.update, .reset, .candidate]
        case .torch: return [.reset, .update, .candidate]
        }
    }

    /// The stored order of a layer kind's gate blocks in `c`'s layout (TF 1's GRU: see `tfGRUGates`).
    static func order(_ kind: LayerKind, _ c: Convention) -> [Gate] {
        switch kind {
        case .rnn: return [.candidate]
        case .lstm: return lstm(c)
        case .gru, .gruResetAfter: return gru(c)
        }
    }

    /// TF 1's `GRUCell` `gates/kernel` blocks.
    static let tfGRUGates: [Gate] = GateTable.gru.compactMap { Gate(tfName: $0.name) }.filter { $0 != .candidate }

    /// The neutral order `LayerWeights` keeps.
    static let neutralLSTM: [Gate] = [.input, .forget, .candidate, .output]
    static let neutralGRU: [Gate] = [.update, .reset, .candidate]

    /// How each framework spells the gates, in its stored order (for documentation and messages).
    static func names(_ kind: LayerKind, _ c: Convention) -> String {
        switch (kind, c) {
        case (.lstm, .tf): return "i, j, f, o"
        case (.lstm, .keras): return "i, f, c, o"
        case (.lstm, .torch): return "i, f, g, o"
        case (.gru, .tf): return "gates r, u; candidate"
        case (.gru, _), (.gruResetAfter, .tf), (.gruResetAfter, .keras): return "z, r, h"
        case (.gruResetAfter, .torch): return "r, z, n"
        case (.rnn, _): return "one block"
        }
    }
}
