import TerminalUI

/// What a key does, independent of which key it is. `KeyHandler` carries actions out; `Keymap` says which
/// keys trigger them, where, and how the key bar, the help and the README describe them.
public enum Action: Hashable, Sendable {
    // Anywhere
    case quit, help, messageLog, cancel
    case stepNext, stepPrevious, first, last, pageDown, pageUp
    case play, slower, faster
    case nextPane, previousPane
    case up, down, layerPrevious, layerNext, unitPrevious, unitNext
    case heatmapNext, heatmapPrevious, heatmapScale
    case toggleTimeMajor, direction
    case view(ExplorerView)
    case lossNext, conventionNext
    case undo, redo
    case open, loadWeights, save, export
    // Stack pane
    case addLayer, deleteLayer, moveLayerUp, moveLayerDown, cycleType, unitsUp, unitsDown, typeUnits
    case cycleActivation, togglePeepholes, cycleCellClip, typeProjection, cycleForgetBias, toggleResidual, toggleDropout
    // Frame pane
    case scrollDown, scrollUp
    // Sequences pane
    case lengthUp, lengthDown, typeLength, toggleMasking
}

/// Where a binding applies: everywhere, or only while a pane has the focus.
public enum KeyScope: Hashable, Sendable {
    case global
    case pane(Pane)

    /// The heading the help and the README group this scope's keys under.
    var heading: String {
        switch self {
        case .global: return "Anywhere"
        case let .pane(p): return "\(p.title) pane"
        }
    }
}

/// One row of the keymap: the keys, what they do (in the help and the README) and, when the key bar shows
/// them, the short hint it shows.
public struct KeyBinding: Sendable {
    public let keys: [Key]
    public let action: Action
    public let scope: KeyScope
    /// The sentence the help and the README show.
    public let help: String
    /// The hint in the key bar (nil: help and README only).
    public let hint: String?
    /// Panes whose key bar shows this global binding before the rest (empty: shown after the pane's own).
    public let barFirstIn: Set<Pane>
    /// How the key bar names the keys when not by the binding's first key (`1-4` for the views).
    public let barKeys: String?

    init(_ keys: [Key], _ action: Action, _ scope: KeyScope = .global, help: String, hint: String? = nil,
         barFirstIn: Set<Pane> = [], barKeys: String? = nil) {
        self.barKeys = barKeys
        self.keys = keys
        self.action = action
        self.scope = scope
        self.help = help
        self.hint = hint
        self.barFirstIn = barFirstIn
    }

    /// The keys as the user reads them (`→ l`, `Del X`; ASCII names without Unicode).
    public func keyLabel(_ glyphs: Glyphs) -> String {
        keys.map { Keymap.name(of: $0, glyphs: glyphs) }.joined(separator: " ")
    }
}

/// The one table of keys: key handling, the key bar, the help overlay and the README's key table all read it
/// (lazygit's keybinding table is the model), so they cannot drift apart.
public enum Keymap {
    public static let bindings: [KeyBinding] = [
        // Anywhere
        KeyBinding([.char("q")], .quit, help: "quit (exit status 0)", hint: "quit"),
        KeyBinding([.char("?"), .function(1)], .help, help: "this help (Esc closes; j k PgUp PgDn scroll it)", hint: "help"),
        KeyBinding([.char("M")], .messageLog, help: "message log: every message in full (Esc closes)"),
        KeyBinding([.escape], .cancel, help: "clear the message, stop playing"),
        KeyBinding([.left, .char("h")], .stepPrevious, help: "previous step", hint: "step"),
        KeyBinding([.right, .char("l")], .stepNext, help: "next step (t=N is TF's 0-based time index)"),
        KeyBinding([.char("g"), .home], .first, help: "first step", hint: "first/last"),
        KeyBinding([.char("G"), .end], .last, help: "last step"),
        KeyBinding([.pageDown], .pageDown, help: "jump 10% forward"),
        KeyBinding([.pageUp], .pageUp, help: "jump 10% back"),
        KeyBinding([.char(" ")], .play, help: "play / pause (at the last step: play again from t=0)", hint: "play"),
        KeyBinding([.char("{")], .slower, help: "play slower"),
        KeyBinding([.char("}")], .faster, help: "play faster"),
        KeyBinding([.tab], .nextPane, help: "next pane", hint: "pane"),
        KeyBinding([.backTab], .previousPane, help: "previous pane"),
        KeyBinding([.up, .char("k")], .up, help: "previous layer (Stack, Shapes), example (Sequences, Frame, views), unit (Heatmaps)",
                   hint: "select", barFirstIn: Set(Pane.allCases)),
        KeyBinding([.down, .char("j")], .down, help: "next layer, example or unit (as above)"),
        KeyBinding([.char("[")], .layerPrevious, help: "previous layer", hint: "layer", barFirstIn: [.frame, .heatmap]),
        KeyBinding([.char("]")], .layerNext, help: "next layer"),
        KeyBinding([.char(","), .char("<")], .unitPrevious, help: "previous unit", hint: "unit", barFirstIn: [.frame]),
        KeyBinding([.char("."), .char(">")], .unitNext, help: "next unit"),
        KeyBinding([.char("v")], .heatmapNext, help: "next heatmap (h, c, each gate)", hint: "heatmap", barFirstIn: [.heatmap]),
        KeyBinding([.char("V")], .heatmapPrevious, help: "previous heatmap"),
        KeyBinding([.char("z")], .heatmapScale,
                   help: "heatmap colour scale: auto (the largest |value| in view, shown as ±N (z) in the title) / fixed ±1"),
        KeyBinding([.char("1")], .view(.frame), help: "view: the frame and the heatmaps", hint: "views",
                   barFirstIn: Set(Pane.allCases), barKeys: "1-6"),
        KeyBinding([.char("2")], .view(.unrolled), help: "view: the unrolled network around t"),
        KeyBinding([.char("3")], .view(.equations), help: "view: the cell's equations with this step's numbers"),
        KeyBinding([.char("4")], .view(.saturation), help: "view: gate saturation per unit over the run"),
        KeyBinding([.char("5")], .view(.backward),
                   help: "view: the backward pass (gradients flowing back; l/Right steps towards t=0, g is the loss's step)"),
        KeyBinding([.char("6")], .view(.compare),
                   help: "view: the experiment under two conventions and where they differ (6 again: the other convention)"),
        KeyBinding([.char("b")], .lossNext,
                   help: "backward view: what to differentiate: the selected output unit at its last valid step / the final state / the sum of outputs"),
        KeyBinding([.char("C")], .conventionNext, help: "convention: tf / keras / torch (the model converted, run as that framework runs it)",
                   hint: "convention", barFirstIn: [.sequences, .shapes]),
        KeyBinding([.char("t")], .toggleTimeMajor, help: "toggle time_major (inputs and outputs transpose; the numbers do not change)"),
        KeyBinding([.char("d")], .direction, help: "forward / backward pass (bidirectional experiments)", hint: "fw/bw"),
        KeyBinding([.char("u"), .ctrl("z")], .undo, help: "undo the last edit", hint: "undo"),
        KeyBinding([.ctrl("r"), .ctrl("y")], .redo, help: "redo"),
        KeyBinding([.char("o")], .open, help: "open an experiment (.json; Tab completes the path)", hint: "open"),
        KeyBinding([.char("L")], .loadWeights, help: "load weights (.npz under TensorFlow's, Keras' or PyTorch's names: recognised, the convention follows)"),
        KeyBinding([.char("w")], .save, help: "save the experiment (JSON; asks before overwriting)", hint: "save"),
        KeyBinding([.char("x")], .export, help: "export the recorded frames (.npz and CSV; asks before overwriting)", hint: "export"),
        // Stack pane
        KeyBinding([.char("a")], .addLayer, .pane(.stack), help: "add a layer (a copy of the selected one)", hint: "add"),
        KeyBinding([.delete, .backspace, .char("X")], .deleteLayer, .pane(.stack), help: "delete the layer (u undoes)", hint: "delete"),
        KeyBinding([.char("K")], .moveLayerUp, .pane(.stack), help: "move the layer up", hint: "move"),
        KeyBinding([.char("J")], .moveLayerDown, .pane(.stack), help: "move the layer down"),
        KeyBinding([.char("T")], .cycleType, .pane(.stack), help: "cell type: basic_rnn, basic_lstm, lstm, gru", hint: "type"),
        KeyBinding([.char("+"), .char("=")], .unitsUp, .pane(.stack), help: "num_units + 1", hint: "units"),
        KeyBinding([.char("-"), .char("_")], .unitsDown, .pane(.stack), help: "num_units - 1"),
        KeyBinding([.enter], .typeUnits, .pane(.stack), help: "type num_units"),
        KeyBinding([.char("A")], .cycleActivation, .pane(.stack), help: "activation: tanh, relu, sigmoid, softsign, elu", hint: "activation"),
        KeyBinding([.char("p")], .togglePeepholes, .pane(.stack), help: "peepholes on / off (LSTMCell)", hint: "peep"),
        KeyBinding([.char("c")], .cycleCellClip, .pane(.stack), help: "cell_clip: none, 1, 3, 10 (LSTMCell)", hint: "clip"),
        KeyBinding([.char("P")], .typeProjection, .pane(.stack), help: "type num_proj (empty: none; LSTMCell)", hint: "num_proj"),
        KeyBinding([.char("F")], .cycleForgetBias, .pane(.stack), help: "forget_bias: 1, 0, 0.5, 2 (LSTM cells)"),
        KeyBinding([.char("R")], .toggleResidual, .pane(.stack), help: "wrap in / unwrap ResidualWrapper", hint: "residual"),
        KeyBinding([.char("D")], .toggleDropout, .pane(.stack), help: "wrap in / unwrap DropoutWrapper (output_keep_prob 0.5)", hint: "dropout"),
        // Frame pane
        KeyBinding([.char("K")], .scrollUp, .pane(.frame), help: "scroll the frame's rows up (when they do not fit)", hint: "scroll"),
        KeyBinding([.char("J")], .scrollDown, .pane(.frame), help: "scroll the frame's rows down"),
        // Sequences pane
        KeyBinding([.char("+"), .char("=")], .lengthUp, .pane(.sequences), help: "the selected example's length + 1", hint: "length"),
        KeyBinding([.char("-"), .char("_")], .lengthDown, .pane(.sequences), help: "the selected example's length - 1"),
        KeyBinding([.enter], .typeLength, .pane(.sequences), help: "type the selected example's length (any integer, as TF accepts)", hint: "type length"),
        KeyBinding([.char("n")], .toggleMasking, .pane(.sequences),
                   help: "sequence_length = None for the whole batch / back to the lengths it had", hint: "none/lengths"),
    ]

    /// The action `key` triggers with `focus` focused: the pane's own binding first, then the global one.
    public static func action(for key: Key, focus: Pane) -> Action? {
        if let b = bindings.first(where: { $0.scope == .pane(focus) && $0.keys.contains(key) }) { return b.action }
        return bindings.first { $0.scope == .global && $0.keys.contains(key) }?.action
    }

    /// The key bar's hints for a focused pane: that pane's bindings, the global ones marked for it, then the rest.
    public static func barHints(focus: Pane, glyphs: Glyphs, bidirectional: Bool) -> [(keys: String, hint: String)] {
        func hinted(_ b: KeyBinding) -> (keys: String, hint: String)? {
            guard let h = b.hint, let key = b.keys.first else { return nil }
            if let k = b.barKeys { return (k, h) }
            var label = Keymap.name(of: key, glyphs: glyphs)
            // The hint covers the binding and its partner (`← →` step, `+ -` units).
            if let a = pairs[b.action], let p = bindings.first(where: { $0.action == a && $0.scope == b.scope }), let k = p.keys.first {
                label += " " + Keymap.name(of: k, glyphs: glyphs)
            }
            return (label, h)
        }
        let own = bindings.filter { $0.scope == .pane(focus) }.compactMap(hinted)
        let first = bindings.filter { $0.scope == .global && $0.barFirstIn.contains(focus) }.compactMap(hinted)
        let rest = bindings.filter { $0.scope == .global && !$0.barFirstIn.contains(focus) && !($0.action == .direction && !bidirectional) }
            .compactMap(hinted)
        return first + own + rest
    }

    /// Bindings shown together in the bar (the first key of the partner, then of the binding itself).
    static let pairs: [Action: Action] = [
        .stepPrevious: .stepNext, .up: .down, .layerPrevious: .layerNext, .unitPrevious: .unitNext,
        .unitsUp: .unitsDown, .lengthUp: .lengthDown, .heatmapNext: .heatmapPrevious, .moveLayerUp: .moveLayerDown,
        .undo: .redo, .first: .last, .scrollUp: .scrollDown,
    ]

    /// The scopes in the order the help and the README list them.
    static let scopes: [KeyScope] = [.global, .pane(.stack), .pane(.frame), .pane(.sequences)]

    /// The help overlay's lines: one heading per scope, then `keys  what they do`.
    public static func helpLines(glyphs: Glyphs) -> [String] {
        let width = bindings.map { $0.keyLabel(glyphs).count }.max() ?? 0
        var out: [String] = []
        for scope in scopes {
            out.append(scope.heading)
            for b in bindings where b.scope == scope {
                out.append("  " + fit(b.keyLabel(glyphs), width) + "  " + b.help)
            }
        }
        return out
    }

    /// The README's key table (Markdown), generated from the same table; a test checks README.md holds it.
    public static func markdownTable() -> String {
        var lines = ["| where | key | does |", "|---|---|---|"]
        for scope in scopes {
            for b in bindings where b.scope == scope {
                let keys = b.keys.map { "`\(Keymap.name(of: $0, glyphs: .unicode))`" }.joined(separator: " ")
                lines.append("| \(scope.heading) | \(keys) | \(b.help.replacingOccurrences(of: "|", with: "\\|")) |")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A key's name as the user reads it.
    public static func name(of key: Key, glyphs: Glyphs) -> String {
        switch key {
        case let .char(c): return c == " " ? "Space" : String(c)
        case .up: return glyphs.isUnicode ? String(glyphs.arrowUp) : "Up"
        case .down: return glyphs.isUnicode ? String(glyphs.arrowDown) : "Down"
        case .left: return glyphs.isUnicode ? String(glyphs.arrowLeft) : "Left"
        case .right: return glyphs.isUnicode ? String(glyphs.arrowRight) : "Right"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case let .function(n): return "F\(n)"
        case let .ctrl(c): return "^" + String(c).uppercased()
        case .resize: return "resize"
        case .mouse: return "mouse"
        }
    }
}
