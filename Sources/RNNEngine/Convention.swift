/// Whose rules a run follows: the things TensorFlow 1, Keras 3, PyTorch and onnxruntime decide differently for the
/// same cells, weights and inputs. The cells' equations are the same in the tf, keras and torch conventions (a
/// framework's cell is one of the engine's `CellSpec`s, its weights converted by a weight layout); onnx runs ONNX's
/// operators, kinds of its own. What differs is below.
public enum Convention: String, CaseIterable, Sendable {
    /// `tf.nn.dynamic_rnn` / `bidirectional_dynamic_rnn` (TensorFlow 1), the default.
    case tf
    /// Keras 3 recurrent layers (`SimpleRNN`, `LSTM`, `GRU`) given the mask `t < sequence_length[b]`, or any step mask
    /// (`StepMask`).
    case keras
    /// PyTorch's `nn.RNN` / `nn.LSTM` / `nn.GRU` over `pack_padded_sequence`, unpacked by `pad_packed_sequence`.
    case torch
    /// ONNX's `LSTM`, `GRU` and `RNN` operators as onnxruntime runs them (one node: one layer, `direction`
    /// forward, reverse or bidirectional, `sequence_lens`); its cells are the ONNX kinds (`CellKindDescriptor.onlyConvention`).
    case onnx

    /// How the framework is named in messages and titles.
    public var frameworkName: String {
        switch self {
        case .tf: return "TensorFlow (dynamic_rnn)"
        case .keras: return "Keras"
        case .torch: return "PyTorch"
        case .onnx: return "ONNX (onnxruntime)"
        }
    }

    /// The framework's name with a possessive (`TensorFlow's`, `Keras'`, `PyTorch's`), for messages.
    public var frameworkPossessive: String {
        switch self {
        case .tf: return "TensorFlow's"
        case .keras: return "Keras'"
        case .torch: return "PyTorch's"
        case .onnx: return "onnxruntime's"
        }
    }

    /// What a masked step (`t >= sequence_length[b]`) emits; Keras' `Bidirectional` wrapper zeroes masked outputs
    /// (it sets `zero_output_for_mask` on both layers), a plain Keras layer repeats its last valid output.
    public func maskedOutput(bidirectional: Bool) -> MaskedOutputRule {
        switch self {
        case .tf, .torch, .onnx: return .zeros
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
        case .onnx: return "the state stays as it was after the row's last valid step (Y_h is taken there; a row of length 0 ends in a zero state, not the initial one)"
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
        case (.onnx, _): output = "onnxruntime writes zeros into Y past the row's sequence_lens"
        default: output = "dynamic_rnn writes zeros as the output"
        }
        return output + "; " + maskedStateDescription
    }

    /// Whether the framework takes a step mask of any pattern (Keras' `mask`); TF's `sequence_length` and PyTorch's
    /// packing express only a prefix per row (`StepMask.prefixLengths`).
    public var takesAnyMask: Bool { self == .keras }

    /// Whether the framework's recurrent layers take `go_backwards` (Keras').
    public var hasGoBackwards: Bool { self == .keras }

    /// What the framework has in place of a mask, for messages.
    public var lengthsArgument: String {
        switch self {
        case .tf: return "dynamic_rnn's sequence_length"
        case .keras: return "the mask t < sequence_length[b]"
        case .torch: return "pack_padded_sequence's lengths"
        case .onnx: return "the sequence_lens input"
        }
    }

    /// The one-line refusal of a mask that is not a prefix: the first such example and its masked steps.
    public func maskRefusal(example: Int, maskedSteps: [Int]) -> String {
        let steps = (maskedSteps.count == 1 ? "masked step " : "masked steps ") + maskedSteps.map(String.init).joined(separator: ", ")
        return "convention \(rawValue): example \(example)'s mask is not a prefix (\(steps)); "
            + "\(lengthsArgument) can only make a row's first steps valid (the keras convention runs any mask)"
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
        case .onnx: return .singleLayer
        }
    }

    /// Whether the framework's node or layer is a single layer (one ONNX `LSTM` / `GRU` / `RNN` node; a stack is several
    /// nodes, not supported yet).
    public var runsOneLayer: Bool { self == .onnx }

    /// Whether the framework has a lone pass reading each row backward (ONNX's `direction: "reverse"`, `RNNModel.reverse`).
    public var hasReversePass: Bool { self == .onnx }

    /// Whether a row of length 0 ends in a zero state rather than its initial state (onnxruntime's `Y_h` and `Y_c`
    /// are 0 there even when `initial_h` / `initial_c` are given; TF and Keras keep the initial state).
    public var emptyRowsEndInZeroState: Bool { self == .onnx }

    /// Whether the framework's LSTM adds a constant `forget_bias` to the forget gate (TF's cells do; Keras' and
    /// PyTorch's LSTMs have no such term: a converted model carries it in the bias).
    public var hasForgetBiasTerm: Bool { self == .tf }

    /// The GRU a `{"type": "gru"}` means when `reset_after` is not given: TF 1's `GRUCell` applies the reset gate
    /// before the recurrent product; Keras' `GRU` defaults to `reset_after=True`; PyTorch has only that one.
    public var defaultResetAfter: Bool { self != .tf }

    /// Checks `sequence_length` as the framework would before running: PyTorch refuses a length of 0 or less
    /// (`pack_padded_sequence`) and fails on one above `max_time` (running the packed batch); onnxruntime refuses one
    /// outside `0...max_time`; TF and Keras accept any.
    public func checkSequenceLength(_ lengths: [Int]?, maxTime: Int) throws {
        guard let lengths else { return }
        if self == .onnx, let (b, l) = lengths.enumerated().first(where: { $0.element < 0 || $0.element > maxTime }) {
            throw RNNError.badSequenceLength(
                "sequence_length[\(b)] = \(l): onnxruntime's sequence_lens must lie in 0...\(maxTime) (max_time)")
        }
        guard self == .torch else { return }
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
