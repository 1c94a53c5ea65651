import XCTest
@testable import RNNEngine

// Shared by the finite-difference checks of the backward pass (GradientCheckTests, ModelGradientCheckTests).

/// `L` of one direction's results for `loss`, written out from the loss's definition.
func lossValue(_ loss: RNNLoss<Double>, outputs: Tensor<Double>, state: Nest<Tensor<Double>>, timeMajor: Bool) -> Double {
    switch loss {
    case let .cotangents(o, s):
        var total = 0.0
        if let o { for (a, b) in zip(outputs.scalars, o.scalars) { total += a * b } }
        if let s { for (x, y) in zip(state.flattened, s.flattened) { for (a, b) in zip(x.scalars, y.scalars) { total += a * b } } }
        return total
    case .sumOfOutputs:
        return outputs.scalars.reduce(0, +)
    case let .outputUnit(b, t, u):
        return timeMajor ? outputs[t, b, u] : outputs[b, t, u]
    case let .finalState(path):
        return state.flattenedWithPaths.filter { path == nil || $0.path == path }.reduce(0) { $0 + $1.value.scalars.reduce(0, +) }
    }
}

/// Every element of every tensor of `point` nudged by ±ε: where `(L(p + ε) − L(p − ε)) / 2ε` and `gradient` (same
/// names) disagree beyond 2e-7 + 2e-6·|numeric|, one line each; a name without a gradient is one line too.
func finiteDifferenceProblems(at point: [String: Tensor<Double>], gradient: [String: Tensor<Double>],
                              value: ([String: Tensor<Double>]) throws -> Double) throws -> [String] {
    var problems: [String] = []
    let eps = 1e-6
    for name in point.keys.sorted() {
        guard let grad = gradient[name], let t = point[name], grad.count == t.count else { problems.append("no gradient for \(name)"); continue }
        for k in 0..<t.count {
            var p = point
            p[name]!.scalars[k] += eps
            let plus = try value(p)
            p[name]!.scalars[k] -= 2 * eps
            let numeric = (plus - (try value(p))) / (2 * eps)
            if !(abs(grad.scalars[k] - numeric) <= 2e-7 + 2e-6 * abs(numeric)) {
                problems.append("\(name)[\(k)]: engine \(grad.scalars[k]), finite difference \(numeric)")
            }
        }
    }
    return problems
}

/// A state's arrays as named tensors `prefix/0`, `prefix/1`, ... (TF's flatten order).
func namedArrays(of state: Nest<Tensor<Double>>, prefix: String) -> [String: Tensor<Double>] {
    var out: [String: Tensor<Double>] = [:]
    for (a, t) in state.flattened.enumerated() { out["\(prefix)/\(a)"] = t }
    return out
}

/// `template`'s structure with its arrays taken from `point` (as `namedArrays` named them).
func state(_ template: Nest<Tensor<Double>>, from point: [String: Tensor<Double>], prefix: String) -> Nest<Tensor<Double>> {
    var a = 0
    return template.map { t in
        defer { a += 1 }
        return point["\(prefix)/\(a)"] ?? t
    }
}
