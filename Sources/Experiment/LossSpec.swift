import RNNEngine

/// The experiment's `"loss"` field: what `unroll run` differentiates.
///
/// - `"loss": "FILE.npz"`: cotangents `loss/outputs` (`loss/outputs/0` and `/1` when bidirectional) and
///   `loss/state/...`, defining `L = sum(outputs · loss/outputs) + Σ sum(S · loss/state/S)`; absent arrays are zero.
/// - `{"sum": "outputs"}`: the sum of every output (both directions' when bidirectional).
/// - `{"output": {"example": B, "step": T, "unit": U}}`: one output unit; `"step": "last"` is the example's
///   last step within its length; `"direction": 0 or 1` picks the direction of a bidirectional run.
/// - `{"state": "h"}`: the sum of one final state array, named as in `state/...` (`"c"`, `"0/h"`; bidirectional
///   `"0/c"`, `"1"`); `{"state": "all"}` sums every final state array.
///
/// Under the torch convention the results are PyTorch's: the file holds `loss/output`, `loss/h_n`, `loss/c_n`;
/// `"output"`'s unit counts along `output`'s last axis (both directions); `{"state": "h_n"}` (or `"c_n"`).
public enum LossSpec: Equatable, Sendable {
    case file(String)
    case sumOfOutputs
    /// `step` nil means the example's last valid step.
    case output(example: Int, step: Int?, unit: Int, direction: Int)
    /// `path` nil means every array.
    case state(path: String?)

    static let forms = "a path to an .npz of cotangents, {\"sum\": \"outputs\"}, {\"output\": {\"example\": 0, \"step\": 5, \"unit\": 2}} or {\"state\": \"h\"}"

    /// Parses the field's value.
    static func parse(_ value: JSONValue, file: String) throws -> LossSpec {
        if case let .string(path) = value {
            guard !path.isEmpty else { throw ExperimentError(file: file, field: "loss", "an empty path; expected \(forms)") }
            return .file(path)
        }
        guard case .object = value else {
            throw ExperimentError(file: file, field: "loss", "expected \(forms), got \(value.kindName)")
        }
        let r = try FieldReader(file: file, path: "loss", value: value)
        try r.onlyKeys(["sum", "output", "state"])
        let given = ["sum", "output", "state"].filter { r.has($0) }
        guard given.count == 1 else {
            throw ExperimentError(file: file, field: "loss", given.isEmpty ? "empty: expected \(forms)"
                                  : "give one of \(given.joined(separator: ", ")), not several")
        }
        switch given[0] {
        case "sum":
            guard try r.string("sum") == "outputs" else { throw r.fail("sum", "expected \"outputs\"") }
            return .sumOfOutputs
        case "output":
            guard let o = try r.child("output") else { throw r.fail("output", "expected an object") }
            try o.onlyKeys(["example", "step", "unit", "direction"])
            for key in ["example", "step", "unit"] where !o.has(key) {
                throw o.fail(key, "missing: {\"output\": {\"example\": B, \"step\": T or \"last\", \"unit\": U}}")
            }
            var step: Int?
            if case .string = o.object["step"] {
                guard try o.string("step") == "last" else { throw o.fail("step", "expected a step index or \"last\"") }
            } else {
                step = try o.int("step", min: 0)
            }
            return .output(example: try o.int("example", min: 0) ?? 0, step: step, unit: try o.int("unit", min: 0) ?? 0,
                           direction: try o.int("direction", min: 0, max: 1) ?? 0)
        default:
            guard let s = try r.string("state"), !s.isEmpty else { throw r.fail("state", "expected an array name such as \"h\", or \"all\"") }
            return .state(path: s == "all" ? nil : s)
        }
    }

    /// The field's JSON form (as `parse` reads it).
    var json: Any {
        switch self {
        case let .file(path): return path
        case .sumOfOutputs: return ["sum": "outputs"]
        case let .output(example, step, unit, direction):
            var o: [String: Any] = ["example": example, "step": step.map { $0 as Any } ?? "last", "unit": unit]
            if direction != 0 { o["direction"] = direction }
            return ["output": o]
        case let .state(path): return ["state": path ?? "all"]
        }
    }
}
