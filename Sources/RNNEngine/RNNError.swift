/// The errors the engine raises, where TensorFlow raises them, with messages that name the problem.
public enum RNNError: Error, Equatable, CustomStringConvertible, Sendable {
    /// `inputs` is missing or an empty structure (TF: "inputs must not be empty").
    case emptyInputs
    /// Neither `dtype` nor `initial_state` was given (TF: "If there is no initial_state, you must give a dtype.").
    case missingDType
    /// An input has rank below 3 (TF: "Expected input shape ... to be at least rank 3").
    case inputRankTooLow(path: String, shape: [Int])
    /// Nested inputs disagree on time or batch size.
    case mismatchedInputs(String)
    /// `sequence_length` is not a vector of length batch_size.
    case badSequenceLength(String)
    /// The initial state has the wrong structure or shape.
    case badInitialState(String)
    /// A step mask that does not fit the inputs, or that the convention cannot express (see `StepMask`).
    case badMask(String)
    /// A ResidualWrapper whose input and output shapes differ.
    case residualShapeMismatch(inputDepth: Int, outputDepth: Int)
    /// A weight is missing.
    case missingWeight(name: String, expected: [Int])
    /// A weight has the wrong shape.
    case weightShape(name: String, expected: [Int], found: [Int])
    /// A weight has the wrong dtype.
    case weightDType(name: String, expected: DType, found: String)
    /// A cell specification is invalid (units < 1, keep probability out of (0, 1], ...).
    case invalidCell(String)
    /// A shape that cannot hold the data, or an impossible size.
    case invalidShape(String)
    /// A tensor's dtype differs from the run's dtype.
    case dtypeMismatch(String)
    /// A request too large to allocate.
    case tooLarge(String)
    /// Anything else TensorFlow rejects at graph construction or run time.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .emptyInputs:
            return "inputs must not be empty"
        case .missingDType:
            return "no initial_state and no dtype: give a dtype (float32 or float64) or an initial_state"
        case let .inputRankTooLow(path, shape):
            return "input\(path.isEmpty ? "" : " " + path) must have rank at least 3 ([batch, time, depth]), got shape \(formatShape(shape))"
        case let .mismatchedInputs(m), let .badSequenceLength(m), let .badInitialState(m), let .badMask(m),
             let .invalidCell(m), let .invalidShape(m), let .dtypeMismatch(m), let .tooLarge(m),
             let .invalidArgument(m):
            return m
        case let .residualShapeMismatch(i, o):
            return "ResidualWrapper: input depth \(i) and cell output size \(o) differ; they must be equal"
        case let .missingWeight(name, expected):
            return "weight \(name) is missing (expected shape \(formatShape(expected)))"
        case let .weightShape(name, expected, found):
            return "weight \(name) has shape \(formatShape(found)), expected \(formatShape(expected))"
        case let .weightDType(name, expected, found):
            return "weight \(name) has dtype \(found), expected \(expected.rawValue)"
        }
    }
}
