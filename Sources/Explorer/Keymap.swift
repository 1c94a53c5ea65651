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
    case toggleStepMask, movePadding, typeSizes
    // Prompts and questions (with `cancel`)
    case confirm, erase, clearLine, complete
    // Presentation mode and lessons (lecture)
    case present, lessonNext, lessonPrevious
    // Two experiments side by side; which weights learn (issue 19, items 13 and 14)
    case openBeside, weightGradients
}

/// Where a binding applies: everywhere, only while a pane has the focus, or while an overlay, a prompt or a
/// question takes every key.
public enum KeyScope: Hashable, Sendable {
    case global
    case pane(Pane)
    /// The help and the message log.
    case overlay
    /// A text prompt on the message line (a path, num_units, a length).
    case prompt
    /// A yes/no question (overwrite a file?).
    case question

    /// The heading the help and the README group this scope's keys under.
    var heading: String {
        switch self {
        case .global: return "Anywhere"
        case let .pane(p): return "\(p.title) pane"
        case .overlay: return "Help and log"
        case .prompt: return "Prompt"
        case .question: return "Question"
        }
    }
}

/// One row of the keymap: the keys, what they do (in the help and the README) and, when the key bar shows
/// them, the short hint it shows.
public struct KeyBinding: Sendable {
    public internal(set) var keys: [Key]
    public let action: Action
    public let scope: KeyScope
    /// The sentence, given the names of the keys it mentions (read from the table when shown).
    private let sentence: @Sendable (KeyNames) -> String
    /// The hint in the key bar (nil: help and README only).
    public let hint: String?
    /// Panes whose key bar shows this global binding before the rest (empty: shown after the pane's own).
    public let barFirstIn: Set<Pane>
    /// The bar names the keys from this binding's first key through this action's (`1-6` for the views).
    public let barThrough: Action?
    /// Why the binding does nothing in a state, when it does nothing there (lazygit's disabled reason): the bar
    /// leaves it out and the key says why.
    let disabled: @Sendable (ExplorerState) -> String?

    init(_ keys: [Key], _ action: Action, _ scope: KeyScope = .global, hint: String? = nil,
         barFirstIn: Set<Pane> = [], barThrough: Action? = nil, disabled: @escaping @Sendable (ExplorerState) -> String? = { _ in nil },
         help: @escaping @Sendable (KeyNames) -> String) {
        self.barThrough = barThrough
        self.disabled = disabled
        self.keys = keys
        self.action = action
        self.scope = scope
        self.sentence = help
        self.hint = hint
        self.barFirstIn = barFirstIn
    }

    init(_ keys: [Key], _ action: Action, _ scope: KeyScope = .global, help: String, hint: String? = nil,
         barFirstIn: Set<Pane> = [], barThrough: Action? = nil, disabled: @escaping @Sendable (ExplorerState) -> String? = { _ in nil }) {
        self.init(keys, action, scope, hint: hint, barFirstIn: barFirstIn, barThrough: barThrough, disabled: disabled, help: { _ in help })
    }

    /// The sentence the help and the README show (keys it mentions named from the table, in ASCII).
    public var help: String { sentence(Keymap.names(glyphs: .ascii)) }

    /// The keys as the user reads them (`→ l`, `Del X`; ASCII names without Unicode).
    public func keyLabel(_ glyphs: Glyphs) -> String {
        keys.map { Keymap.name(of: $0, glyphs: glyphs) }.joined(separator: " ")
    }
}

/// The names of the keys bound to actions, for every text that mentions a key (messages, titles, hints, the
/// help's sentences): read from `Keymap.bindings`, so a key changed in the table changes every text naming it.
public struct KeyNames {
    public let glyphs: Glyphs
    let bindings: [KeyBinding]

    /// What a text shows for an action no key triggers in the scope asked for (a test checks no text shows it).
    public static let unbound = "<unbound>"

    /// The first key bound to `action` in `scope`.
    public func callAsFunction(_ action: Action, in scope: KeyScope = .global) -> String {
        keys(action, in: scope).first.map { Keymap.name(of: $0, glyphs: glyphs) } ?? KeyNames.unbound
    }

    /// Every key bound to `action` in `scope`, joined by `separator`.
    public func all(_ action: Action, in scope: KeyScope = .global, separator: String = " ") -> String {
        let names = keys(action, in: scope).map { Keymap.name(of: $0, glyphs: glyphs) }
        return names.isEmpty ? KeyNames.unbound : names.joined(separator: separator)
    }

    /// The first keys of `actions` side by side: run together when each is one character (`↑↓`), else by `/`.
    public func together(_ actions: Action...) -> String {
        let names = actions.map { self($0) }
        return names.joined(separator: names.allSatisfy { $0.count == 1 } ? "" : "/")
    }

    func keys(_ action: Action, in scope: KeyScope) -> [Key] {
        bindings.first { $0.action == action && $0.scope == scope }?.keys ?? []
    }
}

/// The one table of keys: key handling, the key bar, the help overlay, the README's key table and every text
/// that names a key (through `names`) read it (lazygit's keybinding table is the model), so they cannot drift apart.
public enum Keymap {
    /// The table in use: `standard`; a test swaps in a renamed table to see every text follow.
    public internal(set) static var bindings: [KeyBinding] = standard

    /// The names of the keys in `bindings`, for texts that mention them (`.ascii` for messages, which any
    /// terminal shows; the screen's glyphs for what is drawn with them).
    public static func names(glyphs: Glyphs = .ascii) -> KeyNames { KeyNames(glyphs: glyphs, bindings: bindings) }

    /// The explorer's keys.
    public static let standard: [KeyBinding] = [
        // Anywhere
        KeyBinding([.char("q")], .quit, help: "quit (exit status 0)", hint: "quit"),
        KeyBinding([.char("?"), .function(1)], .help, hint: "help") { k in
            "this help (\(k(.cancel, in: .overlay)) closes; \(k(.down, in: .overlay)) \(k(.up, in: .overlay)) \(k(.pageUp, in: .overlay)) \(k(.pageDown, in: .overlay)) scroll it)"
        },
        KeyBinding([.char("M")], .messageLog) { k in "message log: every message in full (\(k(.cancel, in: .overlay)) closes)" },
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
        KeyBinding([.char("z")], .heatmapScale) { k in
            "heatmap colour scale: auto (the largest |value| in view, shown as ±N (\(k(.heatmapScale))) in the title) / fixed ±1"
        },
        KeyBinding([.char("1")], .view(.frame), help: "view: the frame and the heatmaps", hint: "views",
                   barFirstIn: Set(Pane.allCases), barThrough: .view(.compare)),
        KeyBinding([.char("2")], .view(.unrolled), help: "view: the unrolled network around t"),
        KeyBinding([.char("3")], .view(.equations), help: "view: the cell's equations with this step's numbers"),
        KeyBinding([.char("4")], .view(.saturation), help: "view: gate saturation per unit over the run"),
        KeyBinding([.char("5")], .view(.backward)) { k in
            "view: the backward pass (gradients flowing back; \(k.all(.stepNext, separator: "/")) steps towards t=0, \(k(.first)) is the loss's step)"
        },
        KeyBinding([.char("6")], .view(.compare)) { k in
            "view: the experiment under two conventions and where they differ (\(k(.view(.compare))) again: the other convention)"
        },
        KeyBinding([.char("b")], .lossNext,
                   help: "backward view: what to differentiate: the selected output unit at its last valid step / the final state / the sum of outputs",
                   disabled: { s in
                       let k = Keymap.names()
                       return s.view == .backward ? nil : "\(k(.lossNext)) picks what the backward view (\(k(.view(.backward)))) differentiates"
                   }),
        KeyBinding([.char("C")], .conventionNext, help: "convention: tf / keras / torch / onnx (the model converted, run as that framework runs it; what one cannot express is refused in one line)",
                   hint: "convention", barFirstIn: [.sequences, .shapes]),
        KeyBinding([.char("t")], .toggleTimeMajor, help: "toggle time_major (inputs and outputs transpose; the numbers do not change)"),
        KeyBinding([.char("d")], .direction, help: "forward / backward pass (bidirectional experiments)", hint: "fw/bw",
                   disabled: { $0.spec.bidirectional ? nil : "this experiment is not bidirectional: there is only one direction" }),
        // Not ^Z: under curses' cbreak mode the terminal turns it into SIGTSTP and the shell suspends the program.
        KeyBinding([.char("u")], .undo, help: "undo the last edit", hint: "undo"),
        KeyBinding([.ctrl("r"), .ctrl("y")], .redo, help: "redo"),
        KeyBinding([.char("o")], .open, hint: "open") { k in "open an experiment or a model file (\(k(.complete, in: .prompt)) completes the path)" },
        KeyBinding([.char("L")], .loadWeights, help: "load weights (.npz under TensorFlow's, Keras' or PyTorch's names: recognised, the convention follows)"),
        KeyBinding([.char("w")], .save, help: "save the experiment (JSON; asks before overwriting)", hint: "save"),
        KeyBinding([.char("x")], .export, help: "export the recorded frames (.npz and CSV; asks before overwriting)", hint: "export"),
        // Presentation mode and lessons (lecture)
        KeyBinding([.char("f")], .present, hint: "present") { k in
            "presentation mode: the view full screen, drawn for a projector (\(k(.present)) again: back)"
        },
        KeyBinding([.char("N")], .lessonNext, hint: "next", barFirstIn: Set(Pane.allCases),
                   disabled: { $0.lesson == nil ? LessonProgress.noLesson : nil }) { k in
            "lesson: next step (any other key explores; \(k(.lessonNext)) goes on from the lesson's step; `unroll lesson` lists lessons)"
        },
        KeyBinding([.char("B")], .lessonPrevious, help: "lesson: previous step", disabled: { $0.lesson == nil ? LessonProgress.noLesson : nil }),
        // Two experiments side by side; which weights learn (issue 19, items 13 and 14)
        KeyBinding([.char("O")], .openBeside) { k in
            "open a second experiment beside this one (.json, same inputs; \(k(.complete, in: .prompt)) completes the path): the backward view (\(k(.view(.backward)))) draws both on one log scale, the comparison view (\(k(.view(.compare)))) compares their outputs; \(k(.openBeside)) again closes it"
        },
        KeyBinding([.char("W")], .weightGradients,
                   help: "backward view: which weights learn: each weight block's gradient (per gate: input part Wx, recurrent part Wh, bias b) step by step and summed so far / the gradient per unit",
                   disabled: { s in
                       let k = Keymap.names()
                       return s.view == .backward ? nil : "\(k(.weightGradients)) shows which weights learn in the backward view (\(k(.view(.backward))))"
                   }),
        // Stack pane
        KeyBinding([.char("a")], .addLayer, .pane(.stack), help: "add a layer (a copy of the selected one)", hint: "add"),
        KeyBinding([.delete, .backspace, .char("X")], .deleteLayer, .pane(.stack), hint: "delete") { k in "delete the layer (\(k(.undo)) undoes)" },
        KeyBinding([.char("K")], .moveLayerUp, .pane(.stack), help: "move the layer up", hint: "move"),
        KeyBinding([.char("J")], .moveLayerDown, .pane(.stack), help: "move the layer down"),
        KeyBinding([.char("T")], .cycleType, .pane(.stack), help: "cell type: the next kind the convention runs", hint: "type"),
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
        // Sequences pane: the mask step by step, padding front or back, the inputs' sizes (`MaskEdit`)
        KeyBinding([.char("m")], .toggleStepMask, .pane(.sequences),
                   help: "mask / unmask the selected example's step t (lengths stay lengths while every row is a prefix; else a mask)", hint: "mask t"),
        KeyBinding([.char("p")], .movePadding, .pane(.sequences),
                   help: "the selected example's padding to the front (pre-padding, Keras' default) / back to the end; its inputs move with their steps", hint: "padding"),
        KeyBinding([.char("s")], .typeSizes, .pane(.sequences),
                   help: "type the inputs' sizes: batch max_time depth (inputs cropped or extended from the seed, lengths and mask follow)", hint: "sizes"),
        // Sequences pane
        KeyBinding([.char("+"), .char("=")], .lengthUp, .pane(.sequences), help: "the selected example's length + 1", hint: "length"),
        KeyBinding([.char("-"), .char("_")], .lengthDown, .pane(.sequences), help: "the selected example's length - 1"),
        KeyBinding([.enter], .typeLength, .pane(.sequences), help: "type the selected example's length (any integer, as TF accepts)", hint: "type length"),
        KeyBinding([.char("n")], .toggleMasking, .pane(.sequences),
                   help: "sequence_length = None for the whole batch (a mask: set aside) / back to the lengths or mask it had", hint: "none/lengths"),
        // The help and the message log
        KeyBinding([.escape, .char("?"), .function(1), .enter, .char(" "), .char("M")], .cancel, .overlay, help: "close", hint: "close"),
        KeyBinding([.char("j"), .down], .down, .overlay, help: "scroll down", hint: "scroll"),
        KeyBinding([.char("k"), .up], .up, .overlay, help: "scroll up"),
        KeyBinding([.pageDown], .pageDown, .overlay, help: "scroll down a page", hint: "page"),
        KeyBinding([.pageUp], .pageUp, .overlay, help: "scroll up a page"),
        KeyBinding([.char("g"), .home], .first, .overlay, help: "back to the top"),
        KeyBinding([.char("q")], .quit, .overlay, help: "quit", hint: "quit"),
        // A prompt (typed keys go into the text)
        KeyBinding([.enter], .confirm, .prompt, help: "confirm", hint: "confirm"),
        KeyBinding([.escape], .cancel, .prompt, help: "cancel", hint: "cancel"),
        KeyBinding([.ctrl("u")], .clearLine, .prompt, help: "clear the text", hint: "clear"),
        KeyBinding([.tab], .complete, .prompt, help: "complete the path (open, save, export, load weights)", hint: "complete"),
        KeyBinding([.backspace, .delete], .erase, .prompt, help: "delete the last character"),
        // A question
        KeyBinding([.char("y"), .char("Y")], .confirm, .question, help: "yes (any other key: no)", hint: "yes"),
    ]

    /// The action `key` triggers with `focus` focused: the pane's own binding first, then the global one.
    public static func action(for key: Key, focus: Pane) -> Action? {
        action(for: key, in: .pane(focus)) ?? action(for: key, in: .global)
    }

    /// The action `key` triggers in `scope` alone (an overlay, a prompt and a question take every key).
    public static func action(for key: Key, in scope: KeyScope) -> Action? {
        bindings.first { $0.scope == scope && $0.keys.contains(key) }?.action
    }

    /// The key bar's hints for the state's focused pane: that pane's bindings, the global ones marked for it, then
    /// the rest; bindings disabled in `state` are left out.
    public static func barHints(_ state: ExplorerState, glyphs: Glyphs) -> [(keys: String, hint: String)] {
        let focus = state.focus
        let enabled = bindings.filter { $0.disabled(state) == nil }
        let own = enabled.filter { $0.scope == .pane(focus) }.compactMap { hinted($0, glyphs) }
        let first = enabled.filter { $0.scope == .global && $0.barFirstIn.contains(focus) }.compactMap { hinted($0, glyphs) }
        let rest = enabled.filter { $0.scope == .global && !$0.barFirstIn.contains(focus) }.compactMap { hinted($0, glyphs) }
        return first + own + rest
    }

    /// Why `action`'s binding (in the focused pane or anywhere) does nothing in `state`, nil when it does something.
    static func disabledReason(_ action: Action, in state: ExplorerState) -> String? {
        bindings.first { $0.action == action && ($0.scope == .pane(state.focus) || $0.scope == .global) }?.disabled(state)
    }

    /// The key bar's hints of `scope`'s bindings, in the table's order.
    public static func hints(in scope: KeyScope, glyphs: Glyphs) -> [(keys: String, hint: String)] {
        bindings.filter { $0.scope == scope }.compactMap { hinted($0, glyphs) }
    }

    /// A binding's hint with the keys the bar names for it, nil when the bar does not show it.
    private static func hinted(_ b: KeyBinding, _ glyphs: Glyphs) -> (keys: String, hint: String)? {
        guard let h = b.hint, let key = b.keys.first else { return nil }
        var label = Keymap.name(of: key, glyphs: glyphs)
        if let last = b.barThrough {
            return (label + "-" + names(glyphs: glyphs)(last, in: b.scope), h)
        }
        // The hint covers the binding and its partner (`← →` step, `+ -` units).
        if let a = pairs[b.action], let p = bindings.first(where: { $0.action == a && $0.scope == b.scope }), let k = p.keys.first {
            label += " " + Keymap.name(of: k, glyphs: glyphs)
        }
        return (label, h)
    }

    /// Bindings shown together in the bar (the first key of the partner, then of the binding itself).
    static let pairs: [Action: Action] = [
        .stepPrevious: .stepNext, .up: .down, .layerPrevious: .layerNext, .unitPrevious: .unitNext,
        .unitsUp: .unitsDown, .lengthUp: .lengthDown, .heatmapNext: .heatmapPrevious, .moveLayerUp: .moveLayerDown,
        .undo: .redo, .first: .last, .scrollUp: .scrollDown, .down: .up, .pageDown: .pageUp,
        .lessonPrevious: .lessonNext,
    ]

    /// The scopes in the order the help and the README list them.
    static let scopes: [KeyScope] = [.global, .pane(.stack), .pane(.frame), .pane(.sequences), .overlay, .prompt, .question]

    /// The widest key label the help's key column is sized for.
    static let helpKeyColumn = 12

    /// The help overlay's lines: one heading per scope, then `keys  what they do`.
    public static func helpLines(glyphs: Glyphs) -> [String] {
        // The key column fits the usual labels; a longer one (the overlay's six closing keys) runs past it.
        let width = bindings.map { $0.keyLabel(glyphs).count }.filter { $0 <= helpKeyColumn }.max() ?? 0
        var out: [String] = []
        for scope in scopes {
            out.append(scope.heading)
            for b in bindings where b.scope == scope {
                let label = b.keyLabel(glyphs)
                out.append("  " + (label.count > width ? label : fit(label, width)) + "  " + b.help)
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
