import Experiment
import RNNEngine

/// The rows of the Frame pane for one layer at one step, in the order the cell computes them, from the values
/// the engine recorded (nothing is recomputed here): the state before, each gate, values before a clip, the new
/// state, and, for a masked row, the state copied through; then what the layer passes on and, at the top of
/// the stack, what `dynamic_rnn` emits.
enum FrameRows {
    enum Emphasis: Equatable {
        case plain
        /// Computed but not kept (a masked row's computed state).
        case discarded
        /// The state copied through a masked step, or an emitted zero.
        case copied
        /// What the step produced and kept.
        case result
    }

    struct Row: Equatable {
        var label: String
        var values: [Double]?
        var emphasis: Emphasis = .plain
        /// Units where a clip bound (`cell_clip`, `proj_clip`): the value before the clip differs from after.
        var clipped: [Bool] = []
    }

    /// The cell inside any wrappers, and the wrappers.
    static func unwrap(_ spec: CellSpec) -> (cell: CellSpec, residual: Bool, dropout: Bool) {
        switch spec {
        case let .residual(i):
            let u = unwrap(i)
            return (u.cell, true, u.dropout)
        case let .dropout(i, o):
            let u = unwrap(i)
            return (u.cell, u.residual, u.dropout || o.outputKeepProb < 1)
        default:
            return (spec, false, false)
        }
    }

    /// Whether the experiment's convention emits zeros at a masked step (TF, PyTorch, Keras' Bidirectional) rather
    /// than repeating the row's last valid output (a plain Keras layer).
    static func masksToZero(_ spec: ExperimentSpec) -> Bool {
        spec.convention.maskedOutput(bidirectional: spec.bidirectional) == .zeros
    }

    /// The rows for layer `ld` (spec `spec`, index `l` of `layerCount`) of row `b` at frame `f`.
    static func rows(_ ld: LayerData, spec: CellSpec, frame f: FrameData, row b: Int, layer l: Int, layerCount: Int,
                     zeroMasked: Bool = true, convention: Convention = .tf) -> [Row] {
        let masked = f.isMasked(b)
        func v(_ value: LayerValue) -> [Double]? { ld.row(value, b) }
        func before(_ part: String) -> [Double]? { ld.stateRow(.before, part, b) }
        func computed(_ part: String) -> [Double]? { ld.stateRow(.computed, part, b) }
        func bound(_ raw: [Double]?, _ kept: [Double]?) -> [Bool] {
            guard let raw, let kept else { return [] }
            return zip(raw, kept).map { $0 != $1 }
        }
        let new: Emphasis = masked ? .discarded : .result
        let newWord = masked ? "computed" : "new"
        var rows: [Row] = []
        let (cell, residual, dropout) = unwrap(spec)
        // A cell with an LSTM state (c, h) shows its cell-state update; any other its gates (its descriptor's).
        if case .lstm = cell.stateSize {
            rows.append(Row(label: "c before", values: before("c")))
            rows.append(Row(label: "h before", values: before("h")))
            // i, j, f, then (after the new c) o: the engine's gate table names them.
            let gates = cell.unwrappedLayer?.descriptor.gates ?? GateTable.lstm
            for g in gates.prefix(3) { rows.append(Row(label: Format.gateLabel(g.name, gates: gates, kind: cell.unwrappedLayer?.kind, convention: convention), values: v(.gate(g.name)))) }
            let c = computed("c")
            if let raw = v(.term("c_unclipped")) {
                rows.append(Row(label: "c before clip", values: raw))
                rows.append(Row(label: "c = clip(c)", values: c, emphasis: new, clipped: bound(raw, c)))
            } else {
                rows.append(Row(label: "c \(newWord)", values: c, emphasis: new))
            }
            rows.append(Row(label: Format.gateLabel("o", gates: gates, kind: cell.unwrappedLayer?.kind, convention: convention), values: v(.gate("o"))))
            let h = computed("h")
            if let m = v(.gate("m")) {
                rows.append(Row(label: "m = o*act(c)", values: m))
                if let raw = v(.term("proj_unclipped")) {
                    rows.append(Row(label: "m*P before clip", values: raw))
                    rows.append(Row(label: "h = clip(m*P)", values: h, emphasis: new, clipped: bound(raw, h)))
                } else {
                    rows.append(Row(label: "h = m*P", values: h, emphasis: new))
                }
            } else {
                rows.append(Row(label: "h \(newWord)", values: h, emphasis: new))
            }
        } else {
            let gates = cell.unwrappedLayer?.descriptor.gates ?? []
            rows.append(Row(label: "h before", values: before("h")))
            for g in gates { rows.append(Row(label: Format.gateLabel(g.name, gates: gates, kind: cell.unwrappedLayer?.kind, convention: convention), values: v(.gate(g.name)))) }
            rows.append(Row(label: "h \(newWord)", values: computed("h"), emphasis: new))
        }
        if masked {
            for (name, values) in ld.stateRows(.after, b) {
                rows.append(Row(label: "\(name) after =copy", values: values, emphasis: .copied))
            }
        }
        let top = l == layerCount - 1
        var outputShown = false
        if residual, let inner = v(.gate("cell output")) {
            rows.append(Row(label: "inner output", values: inner))
            rows.append(Row(label: "out = inner + x", values: v(.cellOutput), emphasis: top ? .plain : .result))
            outputShown = true
        }
        if dropout, let dropped = v(.gate("output after dropout")) {
            rows.append(Row(label: "out after drop", values: dropped, emphasis: top ? .plain : .result))
            outputShown = true
        }
        if !top {
            // A lower layer's output feeds the next layer as computed, masked or not.
            if masked || !outputShown {
                rows.append(Row(label: "out to layer \(l + 1)", values: v(.cellOutput), emphasis: .result))
            }
        } else {
            if masked && !outputShown { rows.append(Row(label: "out computed", values: v(.cellOutput), emphasis: .discarded)) }
            rows.append(Row(label: masked ? (zeroMasked ? "emitted =0" : "emitted =last") : "emitted", values: f.outputRow(b),
                            emphasis: masked ? .copied : .result))
        }
        return rows
    }

    /// What happens to row `b` at this step, per layer, in words (TF masks the whole cell given to
    /// `dynamic_rnn`: inside a stack every layer computes, only the emitted output is zeroed and every layer's
    /// state is copied through).
    static func maskSentence(layer l: Int, layerCount: Int, t: Int, length: Int, symbols s: Symbols,
                             spec: ExperimentSpec? = nil, reason: String? = nil) -> String {
        let head = (reason ?? "masked: t=\(t) \(s.geq) length \(length)") + " \(s.arrow) "
        if let spec, spec.convention != .tf {
            // Keras and PyTorch decide this differently; the engine says how.
            return head + spec.convention.maskedStepDescription(bidirectional: spec.bidirectional)
        }
        if layerCount <= 1 {
            return head + "the cell computes, but its state is copied through (computed values discarded) and the emitted output is 0"
        }
        if l < layerCount - 1 {
            return head + "layer \(l) still computes and its computed output feeds layer \(l + 1) (not zeroed); its state is copied through; only the stack's emitted output is 0"
        }
        return head + "layer \(l) computes from layer \(l - 1)'s computed output; its state is copied through; the stack's emitted output is 0"
    }
}
