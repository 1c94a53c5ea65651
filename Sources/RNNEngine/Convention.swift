/// Whose rules a run follows: the things TensorFlow 1, Keras 3 and PyTorch decide differently for the same cells,
/// weights and inputs. The cells' equations are the same in every convention (a framework's cell is one of the
/// engine's `CellSpec`s, its weights converted by a weight layout); what differs is below.
public enum Convention: String, CaseIterable, Sendable {
    /// `tf.nn.dynamic_rnn` / `bidirectional_dynamic_rnn` (TensorFlow 1), the default.
    case tf
    /// Keras 3 recurrent layers (`SimpleRNN`, `LSTM`, `GRU`) given the mask `t < sequence_length[b]`.
    case keras
    /// PyTorch's `nn.RNN` / `nn.LSTM` / `nn.GRU` over `pack_padded_sequence`, unpacked by `pad_packed_sequence`.
    case torch

    /// How the framework is named in messages and titles.
    public var frameworkName: String {
        switch self {
        case .tf: return "TensorFlow (dynamic_rnn)"
        case .keras: return "Keras"
        case .torch: return "PyTorch"
        }
    }

    /// The framework's name with a possessive (`TensorFlow's`, `Keras'`, `PyTorch's`), for messages.
    public var frameworkPossessive: String {
        switch self {
        case .tf: return "TensorFlow's"
        case .keras: return "Keras'"
        case .torch: return "PyTorch's"
        }
    }

    /// What a masked step (`t >= sequence_length[b]`) emits; Keras' `Bidirectional` wrapper zeroes masked outputs
    /// (it sets `zero_output_for_mask` on both layers), a plain Keras layer repeats its last valid output.
    public func maskedOutput(bidirectional: Bool) -> MaskedOutputRule {
        switch self {
        case .tf, .torch: return .zeros
        case .keras: return bidirectional ? .zeros : .repeatLastValid
        }
    }

    /// What happens to the state at a masked step: every convention carries it through unchanged, so the final
    /// state is the state after each row's last valid step (PyTorch's `h_n` is taken there from the packed batch).
    public var maskedStateDescription: String {
        switch self {
        case .tf: return "the state is copied through unchanged"
        case .keras: return "the state is carried unchanged"
        case .torch: return "the row is not in the packed batch, so its state stays as it was (h_n is taken at its last step)"
        }
    }

    /// What a masked step does, in words (for a front-end's frame view).
    public func maskedStepDescription(bidirectional: Bool) -> String {
        let output: String
        switch (self, maskedOutput(bidirectional: bidirectional)) {
        case (.torch, _):
            // One mention of the packed batch: the state's half says the rest.
            return "the row is not in the packed batch: pad_packed_sequence writes zeros as its output, and its state stays as it was (h_n is taken at its last step)"
        case (.keras, .zeros): output = "keras.layers.Bidirectional zeroes the output (zero_output_for_mask)"
        case (.keras, _): output = "the output repeats the row's last valid output (zeros before its first step)"
        default: output = "dynamic_rnn writes zeros as the output"
        }
        return output + "; " + maskedStateDescription
    }

    /// Whether a row of length 0 is refused (PyTorch's `pack_padded_sequence` refuses it; TF and Keras emit zeros
    /// and keep the initial state).
    public var refusesEmptySequences: Bool { self == .torch }

    /// How `"bidirectional": true` composes over a stack of layers.
    public var bidirectionalStacking: BidirectionalStacking {
        switch self {
        case .tf: return .wholeStack
        case .keras: return .singleLayer
        case .torch: return .layerwise
        }
    }

    /// Whether the framework's LSTM adds a constant `forget_bias` to the forget gate (TF's cells do; Keras' and
    /// PyTorch's LSTMs have no such term: a converted model carries it in the bias).
    public var hasForgetBiasTerm: Bool { self == .tf }

    /// The GRU a `{"type": "gru"}` means when `reset_after` is not given: TF 1's `GRUCell` applies the reset gate
    /// before the recurrent product; Keras' `GRU` defaults to `reset_after=True`; PyTorch has only that one.
    public var defaultResetAfter: Bool { self != .tf }

    /// Checks `sequence_length` as the framework would before running: PyTorch refuses a length of 0 or less
    /// (`pack_padded_sequence`) and fails on one above `max_time` (running the packed batch); TF and Keras accept any.
    public func checkSequenceLength(_ lengths: [Int]?, maxTime: Int) throws {
        guard self == .torch, let lengths else { return }
        for (b, l) in lengths.enumerated() {
            if l <= 0 {
                throw RNNError.badSequenceLength(
                    "sequence_length[\(b)] = \(l): PyTorch's pack_padded_sequence refuses lengths of 0 or less (every row needs at least one step); the tf and keras conventions accept it")
            }
            if l > maxTime {
                throw RNNError.badSequenceLength(
                    "sequence_length[\(b)] = \(l) is longer than max_time = \(maxTime); PyTorch fails on it (the packed batch asks for steps the inputs do not have)")
            }
        }
    }
}

/// What a masked step emits as its output.
public enum MaskedOutputRule: Sendable, Equatable {
    /// Zeros (TF's `dynamic_rnn`, PyTorch's `pad_packed_sequence`, Keras' `Bidirectional`).
    case zeros
    /// The row's last valid output, zeros when the row has no valid step (a plain Keras layer).
    case repeatLastValid

    /// The outputs under this rule, from `outputs` where masked steps are zero (as `dynamicRNN` returns them).
    /// Exact: Keras carries the state through masked steps as TF does, so the valid steps' outputs are the same
    /// and only the masked steps' outputs differ.
    public func apply<Scalar: RNNScalar>(to outputs: Tensor<Scalar>, sequenceLength: [Int]?, timeMajor: Bool) -> Tensor<Scalar> {
        guard self == .repeatLastValid, let lengths = sequenceLength, outputs.rank == 3 else { return outputs }
        var out = outputs.scalars
        let width = outputs.shape[2]
        Self.forEachRepeat(shape: outputs.shape, lengths: lengths, timeMajor: timeMajor) { at, source in
            guard let source else { return }
            for k in 0..<width { out[at + k] = out[source + k] }
        }
        return Tensor(unchecked: outputs.shape, scalars: out)
    }

    /// Keras' repeats in outputs of `shape` (`[batch, time, width]`, or time-major): for each masked step of each row
    /// with a length, the offset of its output and of the output it repeats (nil for a row of length 0: zeros).
    static func forEachRepeat(shape: [Int], lengths: [Int], timeMajor: Bool, _ body: (_ at: Int, _ source: Int?) -> Void) {
        let (time, batch, width) = timeMajor ? (shape[0], shape[1], shape[2]) : (shape[1], shape[0], shape[2])
        func offset(_ t: Int, _ b: Int) -> Int { timeMajor ? (t * batch + b) * width : (b * time + t) * width }
        for b in 0..<min(batch, lengths.count) {
            let length = min(max(lengths[b], 0), time)
            for t in length..<time { body(offset(t, b), length > 0 ? offset(length - 1, b) : nil) }
        }
    }

    /// The time step whose output a masked step `t` of a row of length `length` shows, or nil for zeros.
    public func sourceStep(time t: Int, length: Int) -> Int? {
        if t < length { return t }
        switch self {
        case .zeros: return nil
        case .repeatLastValid: return length > 0 ? length - 1 : nil
        }
    }
}

/// How a bidirectional run composes over a stack of layers.
public enum BidirectionalStacking: Sendable, Equatable {
    /// TF's `bidirectional_dynamic_rnn` over the whole stack: each direction runs every layer on its own.
    case wholeStack
    /// PyTorch's (TF's `stack_bidirectional_dynamic_rnn`): every layer runs both directions and the next layer
    /// reads both outputs concatenated.
    case layerwise
    /// Keras' `Bidirectional` wraps one layer; a stack is refused.
    case singleLayer
}
