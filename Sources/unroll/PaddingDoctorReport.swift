import Experiment
import Foundation
import RNNEngine

/// The padding doctor's table as `unroll compare` prints it (`PaddingDiagnosis`).
enum PaddingDoctorReport {
    static func text(_ d: PaddingDiagnosis, maskField: String) -> String {
        let batch = d.mask.batchSize
        var lines = ["padding doctor: the \(maskField) of \(batch) example\(batch == 1 ? "" : "s") × \(d.mask.maxTime) steps, "
                     + "as lengths \(d.lengths) (valid steps per row)"]
        if d.maskDroppedByInitialState {
            lines.append("note: Keras 3 drops this Masking mask because the layer is called with initial_state: unroll run gives Keras' own run, the \"keras dropped\" row")
        }
        lines.append("each cell: the first step whose outputs differ from Keras with the true mask, then max |Δ outputs| and max |Δ final state|; \"same\" where both are 0")
        for c in Convention.allCases {
            let entries = d.entries.filter { $0.convention == c }
            let canExpress = entries.first { $0.variant == .mask }
            lines.append("\(c.rawValue) (\(c.frameworkName)): " + (canExpress?.refusal.map { "cannot express the mask: \($0)" }
                ?? (c.takesAnyMask ? "runs the mask as given" : "can express the mask (a prefix: its lengths)")))
        }
        let header = ["framework", "given"] + (0..<batch).map { "example \($0)" }
        var rows = [header]
        var notes: [String] = []
        for e in d.entries {
            var row = [e.convention.rawValue, e.variant.rawValue]
            if let why = e.refusal {
                if e.variant != .mask { notes.append("\(e.convention.rawValue) \(e.variant.rawValue): cannot run: \(why)") }
                row += (0..<batch).map { _ in e.variant == .mask ? "cannot express" : "cannot run" }
            } else {
                row += (0..<batch).map { b in cell(step: e.firstWrongStep[b], e.outputDifference[b], e.stateDifference[b]) }
            }
            rows.append(row)
        }
        let widths = (0..<header.count).map { i in rows.map { $0[i].count }.max() ?? 0 }
        for row in rows {
            lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        return (lines + notes).joined(separator: "\n")
    }

    private static func cell(step: Int?, _ out: Double, _ state: Double) -> String {
        if out == 0 && state == 0 { return "same" }
        return (step.map { "t=\($0) " } ?? "") + String(format: "%.3g/%.3g", out, state)
    }
}
