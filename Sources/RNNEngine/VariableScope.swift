/// One pass of a run: the forward pass (every unidirectional run, and `fw` of a bidirectional one) or the
/// backward pass (`bw`). The raw value is the pass's index in a bidirectional run's results (`outputs/0`, `state/1`).
public enum Direction: Int, CaseIterable, Sendable {
    case forward = 0, backward = 1

    /// The variable sub-scope `bidirectional_dynamic_rnn` puts this pass under: `fw` or `bw`.
    public var name: String { self == .forward ? "fw" : "bw" }
}

/// The variable scopes TensorFlow puts a run's weights under (the first part of every weight name).
public enum VariableScope {
    /// `dynamic_rnn`'s default scope.
    public static let dynamicRNN = "rnn"
    /// `bidirectional_dynamic_rnn`'s default scope.
    public static let bidirectionalRNN = "bidirectional_rnn"
    /// `stack_bidirectional_dynamic_rnn`'s default scope (PyTorch's bidirectional layers; layer `i` is `cell_i`).
    public static let stackBidirectionalRNN = "stack_bidirectional_rnn"

    /// The scope every weight of a run lies under: `rnn`, or `bidirectional_rnn` for a bidirectional run.
    public static func root(bidirectional: Bool) -> String { bidirectional ? bidirectionalRNN : dynamicRNN }

    /// The scope of one pass of a bidirectional run under `scope`: `scope/fw` or `scope/bw`.
    public static func scope(_ scope: String, for direction: Direction) -> String {
        joinPath(scope, direction.name)
    }

    /// The scope the cell of `direction` builds its weights under: `rnn`, or `bidirectional_rnn/fw|bw`.
    public static func scope(for direction: Direction, bidirectional: Bool) -> String {
        bidirectional ? scope(bidirectionalRNN, for: direction) : dynamicRNN
    }
}
