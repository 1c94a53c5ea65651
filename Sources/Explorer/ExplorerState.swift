import Experiment
import RNNEngine

/// The panes of the main screen, in Tab order.
public enum Pane: Int, CaseIterable, Sendable {
    case stack, sequences, shapes, frame, heatmap

    public var title: String {
        switch self {
        case .stack: return "Stack"
        case .sequences: return "Sequences"
        case .shapes: return "Shapes"
        case .frame: return "Frame"
        case .heatmap: return "Heatmaps"
        }
    }
}

/// What a text prompt on the message line asks for.
public enum PromptKind: Equatable, Sendable {
    case open, save, export, loadWeights, units, sequenceLength

    public var label: String {
        switch self {
        case .open: return "open experiment (.json)"
        case .save: return "save experiment as (.json)"
        case .export: return "export frames to (.npz, a .csv is written next to it)"
        case .loadWeights: return "load weights from (.npz, by TF variable name)"
        case .units: return "num_units"
        case .sequenceLength: return "sequence_length"
        }
    }
}

/// A text prompt being typed.
public struct Prompt: Equatable, Sendable {
    public var kind: PromptKind
    public var text: String

    public init(kind: PromptKind, text: String = "") {
        self.kind = kind
        self.text = text
    }
}

/// Everything the screen shows that is not computed: the experiment spec as edited, the cursor,
/// the selections, the focused pane, modes and the message line. A value type; `KeyHandler` changes it.
public struct ExplorerState: Equatable {
    /// The experiment being explored (kept in sync with the model after every successful re-run).
    public var spec: ExperimentSpec
    public var batchSize: Int
    public var maxTime: Int
    public var inputDepth: Int
    /// The current step: TF's 0-based time index.
    public var t = 0
    /// Selected example (batch row), layer, unit of that layer, direction (0 forward, 1 backward).
    public var example = 0
    public var layer = 0
    public var unit = 0
    public var direction = 0
    /// Which heatmap (h, c, a gate, …) of the selected layer is selected for the sparkline and value readout.
    public var heatVariable = 0
    /// Heatmaps of h, c and candidates scaled to the window's largest |value| (true) or fixed at ±1.
    public var heatAutoScale = true
    /// First step of the heatmap window (see `FrameWindow`).
    public var windowStart = 0
    public var focus: Pane = .frame
    public var playing = false
    public var showHelp = false
    public var prompt: Prompt?
    public var message = ""
    public var messageIsError = false

    public init(spec: ExperimentSpec, batchSize: Int, maxTime: Int, inputDepth: Int) {
        self.spec = spec
        self.batchSize = batchSize
        self.maxTime = maxTime
        self.inputDepth = inputDepth
    }

    public var timeMajor: Bool { spec.timeMajor }

    /// The cell spec of the selected direction.
    public var directionCell: CellSpec {
        direction == 1 ? (spec.cellBackward ?? spec.cell) : spec.cell
    }

    /// The layers of the selected direction.
    public var layers: [CellSpec] { directionCell.layers }

    /// The selected layer's spec (nil only for an empty stack).
    public var layerSpec: CellSpec? { layers.indices.contains(layer) ? layers[layer] : nil }

    /// The heatmap variables of the selected layer.
    public var variables: [LayerVariable] { layerSpec.map(LayerVariable.all(for:)) ?? [] }

    /// The selected heatmap variable.
    public var variable: LayerVariable? {
        let v = variables
        return v.isEmpty ? nil : v[min(max(0, heatVariable), v.count - 1)]
    }

    /// Units of the selected variable (the unit cursor ranges over these).
    public var unitCount: Int { variable?.count ?? 1 }

    public mutating func setMessage(_ text: String, error: Bool = false) {
        message = text
        messageIsError = error
    }

    /// Puts every index back in range (after a re-run changed sizes).
    public mutating func clamp() {
        t = min(max(0, t), max(0, maxTime - 1))
        example = min(max(0, example), max(0, batchSize - 1))
        if !spec.bidirectional { direction = 0 }
        layer = min(max(0, layer), max(0, layers.count - 1))
        heatVariable = min(max(0, heatVariable), max(0, variables.count - 1))
        unit = min(max(0, unit), max(0, unitCount - 1))
    }
}

/// A per-unit quantity of a layer that has a heatmap: the state `h`, the cell state `c`, or a gate.
public struct LayerVariable: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// The state after the step: `h` (or a GRU/RNN's whole state), `c`.
        case stateH, stateC
        /// A recorded gate by its engine name (`i`, `j`, `f`, `o`, `r`, `u`, `c`, `m`).
        case gate(String)
    }

    public let source: Source
    /// Short name (`h`, `c`, `i`, …).
    public let name: String
    /// What a learner reads (`i input gate`).
    public let label: String
    public let count: Int
    /// Sigmoid gates live in 0...1 (sequential colours); the rest are centred on 0.
    public let isGate01: Bool

    /// The variables of one layer, in display order.
    public static func all(for spec: CellSpec) -> [LayerVariable] {
        switch spec {
        case let .residual(c), let .dropout(c, _): return all(for: c)
        case let .multi(cells): return cells.first.map(all(for:)) ?? []
        case let .basicRNN(n, _):
            return [LayerVariable(source: .stateH, name: "h", label: "h state = output", count: n, isGate01: false)]
        case let .gru(n, _), let .gruResetAfter(n, _):
            return [LayerVariable(source: .stateH, name: "h", label: "h state = output", count: n, isGate01: false),
                    LayerVariable(source: .gate("r"), name: "r", label: "r reset gate", count: n, isGate01: true),
                    LayerVariable(source: .gate("u"), name: "u", label: "u update gate", count: n, isGate01: true),
                    LayerVariable(source: .gate("c"), name: "c~", label: "c candidate", count: n, isGate01: false)]
        case let .basicLSTM(n, _, _):
            return lstm(units: n, proj: nil)
        case let .lstm(n, o):
            return lstm(units: n, proj: o.numProj)
        }
    }

    private static func lstm(units n: Int, proj: Int?) -> [LayerVariable] {
        var v = [LayerVariable(source: .stateH, name: "h", label: proj == nil ? "h output" : "h projected output", count: proj ?? n, isGate01: false),
                 LayerVariable(source: .stateC, name: "c", label: "c cell state", count: n, isGate01: false),
                 LayerVariable(source: .gate("i"), name: "i", label: "i input gate", count: n, isGate01: true),
                 LayerVariable(source: .gate("j"), name: "j", label: "j candidate", count: n, isGate01: false),
                 LayerVariable(source: .gate("f"), name: "f", label: "f forget gate", count: n, isGate01: true),
                 LayerVariable(source: .gate("o"), name: "o", label: "o output gate", count: n, isGate01: true)]
        if proj != nil {
            v.append(LayerVariable(source: .gate("m"), name: "m", label: "m before projection", count: n, isGate01: false))
        }
        return v
    }
}
