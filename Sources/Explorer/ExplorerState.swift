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

/// What the right-hand side of the screen shows (the view keys, 1-6 in `Keymap`).
public enum ExplorerView: Int, CaseIterable, Hashable, Sendable {
    /// The frame of the current step above the heatmaps.
    case frame
    /// The stack unrolled over a window of steps around `t`.
    case unrolled
    /// The selected layer's equations with this step's numbers substituted.
    case equations
    /// Per unit, how often each gate is saturated over the run.
    case saturation
    /// The backward pass: the gradient of a loss flowing back step by step (`Views/BackwardView.swift`).
    case backward
    /// The same weights and inputs under two conventions, and where they differ (`Views/CompareView.swift`).
    case compare

    public var title: String {
        switch self {
        case .frame: return "Frame"
        case .unrolled: return "Unrolled network"
        case .equations: return "Equations"
        case .saturation: return "Gate saturation"
        case .backward: return "Backward pass"
        case .compare: return "Conventions compared"
        }
    }
}

/// What a text prompt on the message line asks for.
public enum PromptKind: Equatable, Sendable {
    case open, save, export, loadWeights, units, numProj, sequenceLength, inputSizes
    /// A second experiment to open beside the first (`O`).
    case beside

    public var label: String {
        switch self {
        case .open: return "open experiment or model file"
        case .save: return "save experiment as (.json)"
        case .export: return "export frames to (.npz, a .csv is written next to it)"
        case .loadWeights: return "load weights from (.npz: TensorFlow, Keras or PyTorch names)"
        case .units: return "num_units"
        case .numProj: return "num_proj (empty or none: no projection)"
        case .sequenceLength: return "sequence_length"
        case .inputSizes: return "batch max_time depth"
        case .beside: return "open beside (.json, the same inputs)"
        }
    }

    /// Prompts that take a file path (Tab completes them).
    public var isPath: Bool { [.open, .save, .export, .loadWeights, .beside].contains(self) }
}

/// A yes/no question on the message line and the command a yes carries out.
public struct Confirmation: Equatable {
    public var question: String
    public var command: Command
}

/// Edits that can be undone and redone: the experiment before each of them (exactly, data layout included), with
/// what each edit did.
public struct EditHistory: Equatable {
    public typealias Entry = (experiment: ExplorerModel.Snapshot, summary: String)
    public var past: [Entry] = []
    public var future: [Entry] = []
    /// At most this many edits are kept.
    public static let limit = 100

    public static func == (a: EditHistory, b: EditHistory) -> Bool {
        func same(_ x: [Entry], _ y: [Entry]) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { $0.experiment === $1.experiment && $0.summary == $1.summary }
        }
        return same(a.past, b.past) && same(a.future, b.future)
    }

    /// Records an edit that replaced `experiment`; a new edit forgets what could be redone.
    public mutating func record(_ experiment: ExplorerModel.Snapshot, summary: String) {
        past.append((experiment, summary))
        if past.count > EditHistory.limit { past.removeFirst() }
        future.removeAll()
    }
}

/// A text prompt being typed.
public struct Prompt: Equatable, Sendable {
    public var kind: PromptKind
    public var text: String
    /// The names a Tab matched when it could not complete to one (shown in the key bar).
    public var candidates: [String] = []

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
    /// Selected example (batch row), layer, unit of that layer, direction.
    public var example = 0
    public var layer = 0
    public var unit = 0
    public var direction = Direction.forward
    /// Which heatmap (h, c, a gate, …) of the selected layer is selected for the sparkline and value readout.
    public var heatVariable = 0
    /// Heatmaps of h, c and candidates scaled to the window's largest |value| (true) or fixed at ±1.
    public var heatAutoScale = true
    /// The backward view's gradient colours and trace: one log scale for the whole run (false, so decay shows) or
    /// rescaled to the steps in view (true).
    public var backwardScaleInView = false
    /// First step of the heatmap window (see `FrameWindow`).
    public var windowStart = 0
    public var focus: Pane = .frame
    /// What the right-hand side shows.
    public var view: ExplorerView = .frame
    public var playing = false
    /// Index into `playSpeeds` (steps per second while playing).
    public var playSpeed = 2
    public static let playSpeeds: [Double] = [1, 3, 6, 12, 25, 50]
    public var showHelp = false
    /// First line of the help (or the message log) shown when it does not fit.
    public var overlayScroll = 0
    public var showLog = false
    /// Rows of the Frame pane scrolled away at the top (when it does not fit).
    public var frameScroll = 0
    /// Rows the Frame pane has for the current step (borders included), worked out in the update step from the
    /// computed frame; nil until then (the layout then asks for an upper bound).
    public var frameRows: Int?
    public var prompt: Prompt?
    public var confirmation: Confirmation?
    public var message = ""
    public var messageIsError = false
    /// Every message so far (newest last, at most 200), for the message log.
    public var messageLog: [String] = []
    /// Undo and redo of experiment edits.
    public var history = EditHistory()
    /// The experiment as opened (name, description, cells), to tell when edits made its texts stale.
    public var opened: ExperimentSpec
    /// Lengths `n` set aside when masking was switched off, restored by the next `n`.
    public var savedLengths: [Int]?
    /// The step mask the layers are given, in input order (the file's `mask`, `mask_value`'s, or one made with the
    /// Sequences keys); nil under `sequence_length` or without masking (kept in sync with the model).
    public var stepMask: StepMask?
    /// A mask `n` set aside, restored by the next `n`.
    public var savedMask: StepMask?
    /// The convention the last `C` tried and could not switch to (the next `C` tries the one after it); nil after a switch.
    public var conventionTried: Convention?
    /// What the backward view differentiates.
    public var backward = BackwardSelection()
    /// The convention the comparison view sets beside the experiment's (nil: the next one).
    public var compareWith: Convention?
    /// Presentation mode: the view takes the whole screen, drawn for a projector (`Views/Presentation*.swift`).
    public var presenting = false
    /// The guided lesson being followed and its step (`Lessons/`), nil outside a lesson.
    public var lesson: LessonProgress?
    /// The backward view shows each weight block's gradient step by step (`W`) instead of ∂L/∂h per unit.
    public var backwardWeights = false
    /// The name of the experiment opened beside this one (`O`, `--beside`), nil when there is none.
    public var beside: String?

    public init(spec: ExperimentSpec, batchSize: Int, maxTime: Int, inputDepth: Int) {
        self.spec = spec
        self.opened = spec
        self.batchSize = batchSize
        self.maxTime = maxTime
        self.inputDepth = inputDepth
    }

    public var timeMajor: Bool { spec.timeMajor }

    /// The cell spec of the selected direction.
    public var directionCell: CellSpec { spec.cell(for: direction) }

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

    /// The selected layer's sigmoid gates (`i`, `f`, `o` / `r`, `u`), whose saturation view 4 charts.
    public var saturationGates: [String] {
        variables.compactMap { v in
            if v.isGate01, case let .gate(name) = v.source { return name }
            return nil
        }
    }

    /// Units of the selected variable (the unit cursor ranges over these).
    public var unitCount: Int { variable?.count ?? 1 }

    public mutating func setMessage(_ text: String, error: Bool = false) {
        message = text
        messageIsError = error
        if !text.isEmpty {
            messageLog.append(text)
            if messageLog.count > 200 { messageLog.removeFirst() }
        }
    }

    /// Whether the cells differ from the experiment as opened (its name and description may no longer fit).
    public var isEdited: Bool {
        spec.cell != opened.cell || spec.cellBackward != opened.cellBackward || spec.bidirectional != opened.bidirectional
    }

    /// The experiment's name; after an edit changed the cells it was named for, "edited" (the old name may
    /// describe cells that are gone).
    public var displayName: String { isEdited ? "edited" : spec.name }

    /// The one-line description, or, after an edit, what the stack is now.
    public var displayDescription: String {
        isEdited ? "now \(spec.cell.summary(for: spec.convention))" + (spec.bidirectional ? " / bw \(spec.cell(for: .backward).summary(for: spec.convention))" : "") : spec.description
    }

    /// Puts every index back in range (after a re-run changed sizes).
    public mutating func clamp() {
        t = min(max(0, t), max(0, maxTime - 1))
        example = min(max(0, example), max(0, batchSize - 1))
        if !spec.bidirectional { direction = .forward }
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
        case let .layer(l):
            // h, c for an LSTM state, the kind's gates, and m before a projection.
            let n = l.numUnits, proj = l.options.numProj
            var v = [LayerVariable(source: .stateH, name: "h", label: proj == nil ? "h state after the step" : "h (projected) state after the step", count: proj ?? n, isGate01: false)]
            if case .lstm = l.descriptor.stateSize(l) {
                v.append(LayerVariable(source: .stateC, name: "c", label: "c state after the step", count: n, isGate01: false))
            }
            v += l.descriptor.gates.map { gate($0, count: n) }
            if proj != nil {
                v.append(LayerVariable(source: .gate("m"), name: "m", label: "m before projection", count: n, isGate01: false))
            }
            return v
        }
    }

    /// A gate's heatmap variable from the engine's gate table (sigmoid gates live in 0...1).
    private static func gate(_ g: GateDescription, count n: Int) -> LayerVariable {
        LayerVariable(source: .gate(g.name), name: g.name == "c" ? "c~" : g.name, label: "\(g.name) \(g.title)", count: n,
                      isGate01: g.activation == "sigmoid")
    }
}

extension Direction {
    /// The other pass of a bidirectional run.
    public var opposite: Direction { self == .forward ? .backward : .forward }
}
