import Foundation

/// One function of an ONNX `LSTM` / `GRU` / `RNN` node's `activations` list, with the `alpha` and `beta` it was
/// handed (`ONNXActivation.handOut`). The formulas are onnxruntime's (the operator spec's, with `ThresholdedRelu`
/// keeping `x > alpha` as onnxruntime does).
public struct ONNXActivation: Sendable, Equatable, CustomStringConvertible {
    /// The functions ONNX names, spelled as ONNX spells them (matched case-insensitively, as onnxruntime does).
    public enum Function: String, CaseIterable, Sendable {
        case sigmoid = "Sigmoid", tanh = "Tanh", relu = "Relu", hardSigmoid = "HardSigmoid", leakyRelu = "LeakyRelu"
        case thresholdedRelu = "ThresholdedRelu", scaledTanh = "ScaledTanh", affine = "Affine", elu = "Elu"
        case softsign = "Softsign", softplus = "Softplus"

        /// Whether the function reads an `alpha` (HardSigmoid, LeakyRelu, ThresholdedRelu, ScaledTanh, Affine, Elu).
        public var takesAlpha: Bool { defaultAlpha != nil }
        /// Whether the function reads a `beta` (HardSigmoid, ScaledTanh, Affine).
        public var takesBeta: Bool { defaultBeta != nil }

        /// The `alpha` of the ONNX operator of the same name, used when the list has no value left for it.
        public var defaultAlpha: Double? {
            switch self {
            case .hardSigmoid: return 0.2
            case .leakyRelu: return 0.01
            case .thresholdedRelu, .scaledTanh, .affine, .elu: return 1
            default: return nil
            }
        }

        /// The `beta` of the ONNX operator of the same name, used when the list has no value left for it.
        public var defaultBeta: Double? {
            switch self {
            case .hardSigmoid: return 0.5
            case .scaledTanh: return 1
            case .affine: return 0
            default: return nil
            }
        }

        /// The function `name` spells (any case: onnxruntime lowercases the names), nil for an unknown one.
        public init?(onnxName name: String) {
            guard let f = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
            self = f
        }
    }

    public let function: Function
    /// The function's `alpha` (0 for a function that takes none).
    public let alpha: Double
    /// The function's `beta` (0 for a function that takes none).
    public let beta: Double

    /// `function` with its alpha and beta (nil: the operator's default; ignored by a function that takes none).
    public init(_ function: Function, alpha: Double? = nil, beta: Double? = nil) {
        self.function = function
        self.alpha = function.takesAlpha ? (alpha ?? function.defaultAlpha ?? 0) : 0
        self.beta = function.takesBeta ? (beta ?? function.defaultBeta ?? 0) : 0
    }

    public static let sigmoid = ONNXActivation(.sigmoid)
    public static let tanh = ONNXActivation(.tanh)

    /// The engine's activations and the ONNX functions that compute the same (TF's `elu` is Elu with alpha 1).
    private static let engineFunctions: [(Activation, ONNXActivation)] = [
        (.tanh, .tanh), (.relu, ONNXActivation(.relu)), (.sigmoid, .sigmoid), (.softsign, ONNXActivation(.softsign)),
        (.elu, ONNXActivation(.elu, alpha: 1)),
    ]

    /// The ONNX function that computes `activation`, nil when ONNX has none.
    public init?(engine activation: Activation) {
        guard let f = Self.engineFunctions.first(where: { $0.0 == activation })?.1 else { return nil }
        self = f
    }

    /// The engine's activation that computes this function, nil when it has none (e.g. LeakyRelu, Elu with alpha ≠ 1).
    public var engineActivation: Activation? { Self.engineFunctions.first { $0.1 == self }?.0 }

    /// `Name`, `Name(alpha)` or `Name(alpha, beta)`.
    public var description: String {
        var args: [String] = []
        if function.takesAlpha { args.append("\(alpha)") }
        if function.takesBeta { args.append("\(beta)") }
        return function.rawValue + (args.isEmpty ? "" : "(" + args.joined(separator: ", ") + ")")
    }

    /// The functions of an `activations` list with `activation_alpha` and `activation_beta` handed out as onnxruntime
    /// hands them out: in order, each value to the next function of the list that takes one (not one value per
    /// function); a function with no value left gets its operator's default. `["Tanh", "LeakyRelu"]` with alpha
    /// `[0.2]` is Tanh and LeakyRelu(0.2). Values left over are unused, as onnxruntime leaves them. Throws
    /// `RNNError.invalidCell` naming an unknown function.
    public static func handOut(names: [String], alpha: [Double], beta: [Double]) throws -> [ONNXActivation] {
        var a = alpha[...], b = beta[...]
        return try names.map { name in
            guard let f = Function(onnxName: name) else {
                throw RNNError.invalidCell("unknown activation \"\(name)\"; one of \(Function.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let alphaValue = f.takesAlpha ? a.popFirst() : nil
            let betaValue = f.takesBeta ? b.popFirst() : nil
            return ONNXActivation(f, alpha: alphaValue, beta: betaValue)
        }
    }

    /// The values `handOut` would need to give back these functions: the alphas and betas in order.
    public static func parameters(of functions: [ONNXActivation]) -> (alpha: [Double], beta: [Double]) {
        (functions.filter { $0.function.takesAlpha }.map(\.alpha), functions.filter { $0.function.takesBeta }.map(\.beta))
    }

    /// The function of one value (computed in double, rounded to `Scalar` once).
    public func callAsFunction<Scalar: RNNScalar>(_ x: Scalar) -> Scalar { Scalar(apply(Double(x))) }

    /// The function of one double.
    public func apply(_ x: Double) -> Double {
        switch function {
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        case .relu: return max(x, 0)
        case .hardSigmoid: return min(max(alpha * x + beta, 0), 1)
        case .leakyRelu: return x >= 0 ? x : alpha * x
        case .thresholdedRelu: return x > alpha ? x : 0
        case .scaledTanh: return alpha * Foundation.tanh(beta * x)
        case .affine: return alpha * x + beta
        case .elu: return x >= 0 ? x : alpha * (Foundation.exp(x) - 1)
        case .softsign: return x / (1 + abs(x))
        case .softplus: return x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
        }
    }

    /// Applies the function to every element in place.
    func apply<Scalar: RNNScalar>(_ values: inout [Scalar]) {
        for k in values.indices { values[k] = self(values[k]) }
    }
}
