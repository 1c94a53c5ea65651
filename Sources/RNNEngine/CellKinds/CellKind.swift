/// The built-in cell kinds, by what their step computes: the key to each kind's `CellKindDescriptor`.
public enum CellKind: String, CaseIterable, Sendable {
    case basicRNN = "basic_rnn"
    case basicLSTM = "basic_lstm"
    case lstm
    case gru
    /// The GRU with `reset_after` (`GRUResetAfterCell`: Keras', PyTorch's, TF 2's `GRUCell(reset_after=True)`).
    case gruResetAfter = "gru_reset_after"
    /// ONNX's `LSTM` operator (the onnx convention's `lstm`; `ONNXLSTMCell`).
    case onnxLSTM = "onnx_lstm"
    /// ONNX's `GRU` operator (the onnx convention's `gru`; `ONNXGRUCell`).
    case onnxGRU = "onnx_gru"
    /// ONNX's `RNN` operator (the onnx convention's `basic_rnn`; `ONNXRNNCell`).
    case onnxRNN = "onnx_rnn"

    /// What the library knows about this kind.
    public var descriptor: any CellKindDescriptor {
        switch self {
        case .basicRNN: return BasicRNNKind()
        case .basicLSTM: return BasicLSTMKind()
        case .lstm: return LSTMKind()
        case .gru: return GRUKind()
        case .gruResetAfter: return GRUResetAfterKind()
        case .onnxLSTM: return ONNXLSTMKind()
        case .onnxGRU: return ONNXGRUKind()
        case .onnxRNN: return ONNXRNNKind()
        }
    }

    /// The kind of a built-in cell by TF's variable-scope name (`lstm_cell`, ...), nil for others.
    /// (`gru_cell` is TF 1's `GRUCell`, and also the reset-after GRU's scope name: both have the gates `r`, `u`, `c`;
    /// the first kind with the name answers.)
    public init?(cellName: String) {
        guard let kind = Self.allCases.first(where: { $0.descriptor.scopeName == cellName }) else { return nil }
        self = kind
    }

    /// The experiment-file types of the built-in kinds, each once, in `allCases` order.
    public static var jsonTypes: [String] {
        allCases.map(\.descriptor.jsonType).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// The kind an experiment file's `"type"` names, given its `reset_after` (nil when absent: `defaultResetAfter`
    /// decides); nil for a type that is no built-in kind. A convention with kinds of its own (onnx) means those.
    public static func kind(jsonType: String, resetAfter: Bool?, defaultResetAfter: Bool, convention: Convention = .tf) -> CellKind? {
        let named = kinds(jsonType: jsonType, convention: convention)
        guard named.count > 1 else { return named.first }
        let flag = resetAfter ?? defaultResetAfter
        return named.first { $0.descriptor.resetAfter == flag }
    }

    /// Whether `convention` runs kinds of its own (`CellKindDescriptor.onlyConvention`), and no other.
    public static func hasOwnKinds(_ convention: Convention) -> Bool {
        allCases.contains { $0.descriptor.onlyConvention == convention }
    }

    /// The kinds an experiment file of `convention` may mean by `jsonType`: the convention's own kinds
    /// (`CellKindDescriptor.onlyConvention`) where it has any, else the kinds every other convention shares.
    public static func kinds(jsonType: String, convention: Convention) -> [CellKind] {
        let own = hasOwnKinds(convention) ? convention : nil
        return allCases.filter { $0.descriptor.jsonType == jsonType && $0.descriptor.onlyConvention == own }
    }

    /// The kinds `convention`'s framework runs (each with the convention's default options and `tanh`), in
    /// `allCases` order: what the explorer's editor cycles through.
    public static func offered(by convention: Convention) -> [CellKind] {
        allCases.filter { $0.descriptor.refusal(CellLayer.defaults($0, numUnits: 1, activation: .tanh, convention: convention),
                                                convention: convention) == nil }
    }
}
