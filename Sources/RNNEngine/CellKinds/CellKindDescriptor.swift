/// Everything the library knows about one built-in cell kind, in one place: its names in the experiment format and
/// in each framework (or why a framework has none), its gates and each framework's stored gate order, its block and
/// parameter counts, its state structure and output size, the terms a recorded frame holds, its fused kernel, and
/// how to build it. `CellKind` is the key (`CellKind.descriptor`); everything else (the JSON format, the weight
/// layouts, the conventions' checks, the explorer's editor, the bench) asks the descriptor.
///
/// Adding a cell kind is one conforming type in `CellKinds/` (plus the cell's class with its step function) and
/// one case of `CellKind`.
public protocol CellKindDescriptor: Sendable {
    /// The key of this descriptor.
    var kind: CellKind { get }

    // MARK: Names

    /// The experiment file's `"type"` (`basic_rnn`, `lstm`, ...; both GRUs are `gru`, told apart by `resetAfter`).
    var jsonType: String { get }
    /// The `reset_after` value that picks this kind among the kinds sharing `jsonType` (nil: the type has one kind).
    var resetAfter: Bool? { get }
    /// The keys a layer of this kind accepts in an experiment file, in the order they are read and listed in messages
    /// (`type`, `num_units`, `activation` and the `CellOptions` keys, plus `reset_after` for a GRU).
    var jsonKeys: [String] { get }
    /// TensorFlow's class (`tf.nn.rnn_cell.LSTMCell`, ...).
    var tensorFlowClass: String { get }
    /// TensorFlow's variable-scope name of the cell (`lstm_cell`, ...): the built cell's `name`.
    var scopeName: String { get }
    /// The cell's name in messages (`LSTMCell`, `GRUCell(reset_after)`, ...).
    var cellLabel: String { get }
    /// Keras' layer (`keras.layers.LSTM`, ...), nil when Keras has none (`unsupportedReason` says why).
    var kerasClass: String? { get }
    /// Keras' cell name in its variable paths (`simple_rnn_cell`, `lstm_cell`, `gru_cell`), nil when Keras has none.
    var kerasCellName: String? { get }
    /// PyTorch's module (`torch.nn.LSTM`, ...), nil when PyTorch has none (`unsupportedReason` says why).
    var torchModule: String? { get }
    /// Why `convention`'s framework cannot run `layer` (a layer of this kind), or nil when it can. The tf convention
    /// runs every kind.
    func unsupportedReason(_ layer: CellLayer, convention: Convention) -> String?
    /// The one convention that runs this kind and means it by `jsonType` (ONNX's operators: `.onnx`), nil for the
    /// kinds the tf, keras and torch conventions share. A convention with kinds of its own runs no other kind.
    var onlyConvention: Convention? { get }
    /// The functions an ONNX `activations` list gives this kind per direction, at the operator's defaults (LSTM
    /// f, g, h = Sigmoid, Tanh, Tanh; GRU f, g; RNN f); empty for a kind that takes no such list.
    var defaultActivations: [ONNXActivation] { get }
    /// `layer` (of this kind) as `convention` expresses it: a kind without a `forget_bias` term there moves it into
    /// the bias (see `WeightLayouts.convertedModel`); a convention with kinds of its own (onnx) gets its kind, and
    /// its kinds become the shared ones elsewhere; other kinds are unchanged. Meaningful only where
    /// `conversionRefusal` is nil.
    func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer
    /// Why `layer` (of this kind) has no exact form under `convention` that `converted` could give (ONNX's `clip`
    /// in TF, TF's `cell_clip` in ONNX, ...), nil when it has one (the target's own refusals still apply).
    func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String?

    // MARK: Gates and weights

    /// The gates the step computes, in the order frames and gradient records list them (`GateTable`).
    var gates: [GateDescription] { get }
    /// The order in which `framework` stores the gate blocks along a kernel's columns (PyTorch: rows) and a bias.
    func storedGateOrder(_ framework: Convention) -> [Gate]
    /// The framework-neutral order weight conversions keep the blocks in (Keras' order).
    var neutralGateOrder: [Gate] { get }
    /// How TensorFlow lays out this kind's variables.
    var tensorFlowVariables: TensorFlowVariables { get }
    /// Gate blocks along a kernel's columns.
    var blockCount: Int { get }
    /// The number of trainable scalars of `layer` for inputs of depth `inputDepth`, in floating point so absurd
    /// sizes can be judged without overflowing (exact below 2^53).
    func estimatedParameters(_ layer: CellLayer, inputDepth: Double) -> Double

    // MARK: Structure

    /// The state's structure and per-row sizes.
    func stateSize(_ layer: CellLayer) -> Nest<Int>
    /// The output depth.
    func outputSize(_ layer: CellLayer) -> Int
    /// The names of the terms a recorded step holds besides the gates (`StepRecorder.recordTerm`: `i_pre`, `peep_f`,
    /// `c_unclipped`, ...), as `layer`'s options make the cell record them.
    func recordedTerms(_ layer: CellLayer) -> [String]
    /// The fused kernel the fast path runs this kind with, nil when it runs step by step.
    var fusedKernel: FusedKernel? { get }

    // MARK: Building

    /// The cell `layer` describes, fetching its weights from `store` when it is built.
    func makeCell<Scalar: RNNScalar>(_ layer: CellLayer, store: VariableStore<Scalar>) throws -> any RNNCell<Scalar>
}

extension CellKindDescriptor {
    public var resetAfter: Bool? { nil }
    public var onlyConvention: Convention? { nil }
    public var defaultActivations: [ONNXActivation] { [] }

    /// Why `convention` cannot run `layer` (a layer of this kind): a kind of one convention only runs there, a
    /// convention with kinds of its own runs no other, and otherwise `unsupportedReason` answers.
    public func refusal(_ layer: CellLayer, convention: Convention) -> String? {
        if let own = onlyConvention, own != convention {
            return "\(cellLabel) runs only under the \(own.rawValue) convention (convert the model to run it under \(convention.rawValue))"
        }
        if onlyConvention == nil, CellKind.hasOwnKinds(convention) {
            return "the \(convention.rawValue) convention runs its own cells (\"type\": \"lstm\", \"gru\" or \"basic_rnn\" under \"convention\": \"\(convention.rawValue)\"), not \(tensorFlowClass)"
        }
        return unsupportedReason(layer, convention: convention)
    }
    public func converted(_ layer: CellLayer, to convention: Convention) -> CellLayer { layer }
    public func conversionRefusal(_ layer: CellLayer, to convention: Convention) -> String? { nil }
    /// Whether the separate recurrent bias is kept apart from the input bias (`r` multiplies it in the
    /// reset-after GRU, so it cannot be summed into one bias).
    public var hasRecurrentBias: Bool { tensorFlowVariables == .inputAndRecurrent }
}

/// A gate's meaning, whatever a framework calls it.
public enum Gate: String, Sendable, CaseIterable {
    /// LSTM input gate (`i` everywhere).
    case input
    /// LSTM forget gate (`f`).
    case forget
    /// The candidate: TF's LSTM `j`, Keras' LSTM `c` and GRU `h`, PyTorch's LSTM `g` and GRU `n`, TF's GRU `candidate`;
    /// the one block of a basic RNN.
    case candidate
    /// LSTM output gate (`o`).
    case output
    /// GRU update gate: TF's `u`, Keras' `z`, PyTorch's `z`.
    case update
    /// GRU reset gate (`r`).
    case reset

    /// The gate TF's cells name `name` in `GateTable` (`i`, `j`, `f`, `o`; `r`, `u`, `c`).
    public init?(tfName name: String) {
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

/// How TensorFlow lays out a cell kind's variables under `scope/<cell>/`.
public enum TensorFlowVariables: Sendable, Equatable {
    /// `kernel [depth + h, k·units]` multiplying `concat([x, h])` and `bias [k·units]` (with an LSTM's options:
    /// `projection/kernel`, `w_i_diag`, `w_f_diag`, `w_o_diag`).
    case concatenated
    /// TF 1's `GRUCell`: `gates/kernel [depth + units, (k-1)·units]` and `gates/bias` for every block but the
    /// candidate, `candidate/kernel [depth + units, units]` and `candidate/bias` for the candidate (the last block
    /// of `storedGateOrder(.tf)`).
    case gatesAndCandidate
    /// TF 2's `kernel [depth, k·units]`, `recurrent_kernel [units, k·units]` and `bias [2, k·units]` (the input bias,
    /// then the recurrent bias, kept apart).
    case inputAndRecurrent
}

/// The fused kernels of the fast path (rnn_fused.h): what a layer's element-wise part runs as.
public enum FusedKernel: Sendable, Equatable {
    /// `h = act(x·W_x + h·W_h + b)`.
    case rnn
    /// The LSTM step (with forget_bias, peepholes, clips, projection).
    case lstm
    /// TF 1's GRU step (gates product, then the candidate product over `[x, r·h]`).
    case gru
}
