/// One layer at one time step of the unrolled loop, for a front-end to show.
public struct LayerFrame<Scalar: RNNScalar>: Sendable {
    /// Index of the layer in the stack (0 for a single cell).
    public let layer: Int
    /// TF's name for the cell (`lstm_cell`, ...).
    public let cellName: String
    /// The layer's input `x_t`, `[batch, depth]`.
    public let input: Tensor<Scalar>
    /// Gates and other intermediates, in the order the cell computed them (LSTM: i, j, f, o; GRU: r, u, c).
    /// Gate values are after their activation (σ for gates, the cell activation for candidates).
    public let gates: [NamedTensor<Scalar>]
    /// The state before the step.
    public let stateBefore: Nest<Tensor<Scalar>>
    /// The state the cell computed, before masking.
    public let computedState: Nest<Tensor<Scalar>>
    /// The state after the step: rows past their length keep `stateBefore` (copied through).
    public let stateAfter: Nest<Tensor<Scalar>>
    /// The cell's output for this layer, before masking (a lower layer's output feeds the next layer unmasked).
    public let cellOutput: Tensor<Scalar>
    /// What went into the activations (see `StepRecorder.recordTerm`): `i_pre`, `peep_f`, `c_unclipped`, ….
    public var terms: [NamedTensor<Scalar>] = []
}

/// One time step of the unrolled loop: what every layer did, which rows were masked, and what was emitted.
public struct Frame<Scalar: RNNScalar>: Sendable {
    /// TF's 0-based time index.
    public let time: Int
    /// `masked[b]` is true when `time >= sequence_length[b]`: that row's state is copied through and its output zeroed.
    public let masked: [Bool]
    /// False when `time` lies past the loop bound `max(1, max(sequence_length))`: the cell did not run at all.
    public let ran: Bool
    /// Per-layer detail (empty when the cell did not run).
    public let layers: [LayerFrame<Scalar>]
    /// The output `dynamic_rnn` emits at this step, `[batch, output_size]`, masked rows zero.
    public let output: Tensor<Scalar>
    /// The state after this step (after masking).
    public let state: Nest<Tensor<Scalar>>
}
