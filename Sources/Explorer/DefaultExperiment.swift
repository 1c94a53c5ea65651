import Experiment
import RNNEngine

/// The experiment `unroll` opens without an argument: a small two-layer stack with uneven lengths, so
/// masking shows at once. Inputs and weights are generated from the seed; no files are needed.
public enum DefaultExperiment {
    public static let spec = ExperimentSpec(
        name: "default: 2-layer LSTM→GRU with uneven lengths",
        description: "MultiRNNCell[LSTMCell(6), GRUCell(4)] over 4 examples of 9 steps; sequence_length [9, 5, 2, 0] masks the shorter rows",
        cell: .multi([.lstm(numUnits: 6, options: LSTMOptions()), .gru(numUnits: 4, activation: .tanh)]),
        timeMajor: false, dtype: .float32, sequenceLength: [9, 5, 2, 0],
        batchSize: 4, maxTime: 9, inputDepth: 3, seed: 7)

    /// How the built-in experiment is named in messages.
    public static let displayName = "(built-in)"
}
