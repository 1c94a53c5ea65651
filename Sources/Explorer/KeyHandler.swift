import Experiment
import Foundation
import RNNEngine
import TerminalUI

/// What a key asks of the app beyond changing `ExplorerState`.
public enum Command: Equatable {
    case quit
    /// Re-run with an edited spec; `summary` says what changed, `select` is the layer to select when it runs,
    /// `layerOrigins` which layer each layer of an edited stack was (its weights go with it).
    case apply(ExperimentSpec, summary: String, select: Int? = nil, layerOrigins: [Direction: [Int?]] = [:])
    /// Go back to the experiment before the last edit, or forward to the one after the last undo (`EditHistory`).
    case undo, redo
    case toggleTimeMajor
    case open(String)
    /// Save (or export) to a path; `overwrite` once the user confirmed replacing an existing file.
    case save(String, overwrite: Bool = false)
    case export(String, overwrite: Bool = false)
    case loadWeights(String)
    /// Run the experiment under another convention (its model and weights converted).
    case switchConvention(Convention)
    /// Re-run with these valid steps (input order; nil: no masking), `summary` saying what changed (`MaskEdit`).
    case setMask(StepMask?, summary: String)
    /// Move an example's padding to the front or back to the end (its inputs move with their steps).
    case movePadding(example: Int)
    /// Re-run with inputs of these sizes (cropped or extended from the seed).
    case reshape(batchSize: Int, maxTime: Int, inputDepth: Int)
    /// Complete the path typed in the prompt (Tab).
    case completePath
    /// Show step N of the lesson (opening its experiment when it is another one, or was edited).
    case lessonStep(Int)
    /// Open a second experiment beside the first (nil: close the one beside).
    case beside(String?)
}

/// Turns keys into state changes and commands. Pure: no I/O, no engine calls, so every binding is
/// unit-testable. Which key does what is `Keymap`'s table; mouse clicks are mapped with the same `Layout`
/// the screen was drawn with.
public enum KeyHandler {
    /// Handles one key; returns the commands for the app to carry out.
    public static func handle(_ key: Key, state s: inout ExplorerState, layout: Layout? = nil) -> [Command] {
        if s.prompt != nil { return handlePrompt(key, &s) }
        if let c = s.confirmation {
            s.confirmation = nil
            if Keymap.action(for: key, in: .question) == .confirm { return [c.command] }
            s.setMessage("cancelled: nothing written")
            return []
        }
        if s.showHelp || s.showLog {
            switch Keymap.action(for: key, in: .overlay) {
            case .quit?: return [.quit]
            case .cancel?: s.showHelp = false; s.showLog = false; s.overlayScroll = 0
            case .down?: s.overlayScroll += 1
            case .up?: s.overlayScroll = max(0, s.overlayScroll - 1)
            case .pageDown?: s.overlayScroll += 10
            case .pageUp?: s.overlayScroll = max(0, s.overlayScroll - 10)
            case .first?: s.overlayScroll = 0
            default: break
            }
            return []
        }
        switch key {
        case let .mouse(x, y, .press):
            if let layout { click(x: x, y: y, &s, layout) }
            return []
        case .mouse(_, _, .scrollUp): return perform(.stepPrevious, &s)
        case .mouse(_, _, .scrollDown): return perform(.stepNext, &s)
        default:
            guard let action = Keymap.action(for: key, focus: s.focus) else { return [] }
            return perform(action, &s)
        }
    }

    /// Carries out one action of the keymap.
    static func perform(_ action: Action, _ s: inout ExplorerState) -> [Command] {
        if s.view == .backward, BackwardSelection.step(action, &s) { return [] }
        if let reason = Keymap.disabledReason(action, in: s) {
            s.setMessage(reason)
            return []
        }
        let k = Keymap.names()
        let lastT = max(0, s.maxTime - 1)
        let jump = pageJump(maxTime: s.maxTime)
        switch action {
        case .quit: return [.quit]
        case .help: s.showHelp = true; s.overlayScroll = 0
        case .messageLog: s.showLog = true; s.overlayScroll = max(0, s.messageLog.count - 1)
        case .cancel: s.setMessage(""); s.playing = false
        case .stepNext: s.t = min(lastT, s.t + 1)
        case .stepPrevious: s.t = max(0, s.t - 1)
        case .first: s.t = 0
        case .last: s.t = lastT
        case .pageDown: s.t = min(lastT, s.t + jump)
        case .pageUp: s.t = max(0, s.t - jump)
        case .play:
            s.playing.toggle()
            if s.playing && s.t >= lastT { s.t = 0 }
        case .slower, .faster:
            s.playSpeed = min(ExplorerState.playSpeeds.count - 1, max(0, s.playSpeed + (action == .faster ? 1 : -1)))
            let speed = ExplorerState.playSpeeds[s.playSpeed]
            s.setMessage("play speed: \(Format.compact(speed)) step\(speed == 1 ? "" : "s")/s (\(k(.slower)) slower, \(k(.faster)) faster)")
        case .nextPane where s.presenting, .previousPane where s.presenting:
            // Only the view is on screen: Tab moves between the frame and its heatmaps (view 1), else stays.
            s.focus = s.view == .frame && s.focus == .frame ? .heatmap : .frame
        case .nextPane: s.focus = Pane(rawValue: (s.focus.rawValue + 1) % Pane.allCases.count) ?? .frame
        case .previousPane: s.focus = Pane(rawValue: (s.focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count) ?? .frame
        case .up: move(&s, by: -1)
        case .down: move(&s, by: 1)
        case .layerPrevious: s.layer = max(0, s.layer - 1); s.clamp()
        case .layerNext: s.layer = min(max(0, s.layers.count - 1), s.layer + 1); s.clamp()
        case .unitPrevious: s.unit = max(0, s.unit - 1)
        case .unitNext: s.unit = min(max(0, s.unitCount - 1), s.unit + 1)
        case .heatmapNext: s.heatVariable = (s.heatVariable + 1) % max(1, s.variables.count); s.clamp()
        case .heatmapPrevious: s.heatVariable = (s.heatVariable + max(1, s.variables.count) - 1) % max(1, s.variables.count); s.clamp()
        case .heatmapScale where s.view == .backward:
            s.backwardScaleInView.toggle()
            let z = k(.heatmapScale)
            s.setMessage(s.backwardScaleInView ? "gradient colours rescaled to the steps in view (\(z): one log scale for the whole run)"
                                               : "gradient colours on one log scale for the whole run, so decay shows (\(z): rescaled to the steps in view)")
        case .heatmapScale:
            s.heatAutoScale.toggle()
            let z = k(.heatmapScale)
            s.setMessage(s.heatAutoScale ? "heatmaps scaled to the largest |value| in view, shown as (\(z)) in the title (\(z): fixed -1..1)"
                                         : "heatmaps on a fixed -1..1 scale; values beyond it are marked (\(z): auto)")
        case let .view(v):
            if v == .compare && s.view == .compare, let other = s.beside {
                s.setMessage("comparing with \(other), open beside (\(k(.openBeside)) closes it, then \(k(.view(.compare))) compares conventions)")
                return []
            }
            if v == .compare && s.view == .compare {
                s.compareWith = ConventionChoice.next(after: ConventionChoice.other(s), skipping: s.spec.convention)
                s.setMessage("comparing \(s.spec.convention.rawValue) with \(ConventionChoice.other(s).rawValue) (\(k(.view(.compare))): the other one)")
                return []
            }
            s.view = v
            s.frameScroll = 0
            // Each view's key and its case's name (`1 frame, 2 unrolled, ...`).
            let views = ExplorerView.allCases.map { "\(k(.view($0))) \($0)" }.joined(separator: ", ")
            s.setMessage("view \(v.rawValue + 1): \(v.title) (\(views))")
            if v == .backward { BackwardSelection.enter(&s, next: false) }
        case .lossNext:
            BackwardSelection.enter(&s, next: true)
        case .conventionNext:
            let target = ConventionChoice.cycle(after: s.conventionTried ?? s.spec.convention, skipping: s.spec.convention)
            s.conventionTried = target
            return [.switchConvention(target)]
        case .toggleTimeMajor: return [.toggleTimeMajor]
        case .direction:
            s.direction = s.direction.opposite
            s.clamp()
            s.setMessage(s.direction == .forward ? "forward pass (fw)" : "backward pass (bw): each row reversed within its length")
        case .undo:
            guard !s.history.past.isEmpty else { s.setMessage("nothing to undo"); return [] }
            return [.undo]
        case .redo:
            guard !s.history.future.isEmpty else { s.setMessage("nothing to redo"); return [] }
            return [.redo]
        case .open: s.prompt = Prompt(kind: .open)
        case .openBeside:
            if s.beside != nil { return [.beside(nil)] }
            s.prompt = Prompt(kind: .beside)
        case .weightGradients:
            s.backwardWeights.toggle()
            s.frameScroll = 0
            s.setMessage(s.backwardWeights
                ? "which weights learn: each block's gradient, this step's part and the sum so far, summed over the batch (\(k(.weightGradients)): per unit)"
                : "the gradient per unit (\(k(.weightGradients)): which weights learn)")
        case .save: s.prompt = Prompt(kind: .save, text: suggestedName(s) + ".json")
        case .export: s.prompt = Prompt(kind: .export, text: suggestedName(s) + "-frames.npz")
        case .loadWeights: s.prompt = Prompt(kind: .loadWeights)
        case .addLayer: return stackEdit(.addLayer, &s)
        case .deleteLayer: return stackEdit(.deleteLayer, &s)
        case .moveLayerUp: return stackEdit(.moveUp, &s)
        case .moveLayerDown: return stackEdit(.moveDown, &s)
        case .cycleType: return stackEdit(.cycleType, &s)
        case .unitsUp: return stackEdit(.units(delta: 1), &s)
        case .unitsDown: return stackEdit(.units(delta: -1), &s)
        case .typeUnits: s.prompt = Prompt(kind: .units, text: s.layerSpec.map { String($0.numUnits) } ?? "")
        case .cycleActivation: return stackEdit(.cycleActivation, &s)
        case .togglePeepholes: return stackEdit(.togglePeepholes, &s)
        case .cycleCellClip: return stackEdit(.cycleCellClip, &s)
        case .typeProjection:
            s.prompt = Prompt(kind: .numProj, text: s.layerSpec.flatMap(StackEditor.numProj).map(String.init) ?? "")
        case .cycleForgetBias: return stackEdit(.cycleForgetBias, &s)
        case .toggleResidual: return stackEdit(.toggleResidual, &s)
        case .toggleDropout: return stackEdit(.toggleDropout, &s)
        case .lengthUp: return setLength(&s, current(s) + 1)
        case .lengthDown: return setLength(&s, current(s) - 1)
        case .typeLength: s.prompt = Prompt(kind: .sequenceLength, text: String(current(s)))
        case .toggleMasking: return toggleMasking(&s)
        case .toggleStepMask: return MaskEdit.toggleStep(&s)
        case .movePadding: return [.movePadding(example: s.example)]
        case .typeSizes: s.prompt = Prompt(kind: .inputSizes, text: "\(s.batchSize) \(s.maxTime) \(s.inputDepth)")
        case .scrollDown: s.frameScroll += 1
        case .scrollUp: s.frameScroll = max(0, s.frameScroll - 1)
        case .confirm, .erase, .clearLine, .complete: break  // prompts and questions only (`handlePrompt`, `handle`)
        case .present:
            s.presenting.toggle()
            s.frameScroll = 0
            if s.presenting && s.focus != .heatmap { s.focus = .frame }  // the left-hand panes are not shown
            s.setMessage(s.presenting ? "presentation mode: \(s.view.title) full screen (\(k(.present)): back to the panes)" : "presentation mode off")
        case .lessonNext: return LessonProgress.move(&s, by: 1)
        case .lessonPrevious: return LessonProgress.move(&s, by: -1)
        }
        return []
    }

    /// The steps PgDn and PgUp move: 10% of max_time (rounded, at least one step), as the help says.
    static func pageJump(maxTime: Int) -> Int { max(1, (maxTime + 5) / 10) }

    /// ↑/↓: the layer in Stack and Shapes, the example in Sequences and Frame, the unit in Heatmaps.
    static func move(_ s: inout ExplorerState, by d: Int) {
        switch s.focus {
        case .stack, .shapes: s.layer = min(max(0, s.layers.count - 1), max(0, s.layer + d))
        case .sequences, .frame: s.example = min(max(0, s.batchSize - 1), max(0, s.example + d))
        case .heatmap: s.unit = min(max(0, s.unitCount - 1), max(0, s.unit + d))
        }
        s.clamp()
    }

    static func click(x: Int, y: Int, _ s: inout ExplorerState, _ layout: Layout) {
        guard let pane = layout.pane(atX: x, y: y) else { return }
        s.focus = pane
        let r = layout.rect(for: pane)
        switch pane {
        case .sequences:
            let geo = SequencesPane.Geometry(rect: r, state: s)
            if let t = geo.time(atX: x) { s.t = t }
            if let b = geo.example(atY: y) { s.example = b }
        case .heatmap:
            let hit = HeatmapPane.hit(x: x, y: y, rect: r, state: s)
            if let t = hit.t { s.t = t }
            if let v = hit.variable { s.heatVariable = v }
            if let u = hit.unit { s.unit = u }
        case .stack:
            let row = y - r.y - 1
            if row >= 0, row < s.layers.count { s.layer = row }
        default: break
        }
        s.clamp()
    }

    // MARK: - Stack pane

    static func stackEdit(_ edit: StackEdit, _ s: inout ExplorerState) -> [Command] {
        switch StackEditor.apply(edit, to: s.directionCell, layer: s.layer, convention: s.spec.convention) {
        case let .failure(r):
            s.setMessage("refused: " + r.reason, error: true)
            return []
        case let .success(result):
            var spec = s.spec
            if s.direction == .backward { spec.cellBackward = result.cell } else { spec.cell = result.cell }
            // The selection moves only once the edit has run (a refused edit leaves the cursor where it was).
            return [.apply(spec, summary: result.summary, select: result.selectedLayer, layerOrigins: [s.direction: result.origins])]
        }
    }

    // MARK: - Sequences pane

    /// `n`: masking off for the whole batch (the lengths are set aside), or back on with the lengths it had.
    static func toggleMasking(_ s: inout ExplorerState) -> [Command] {
        if let mask = s.stepMask { return MaskEdit.setAside(mask, &s) }
        if s.spec.sequenceLength == nil, let m = s.savedMask, m.batchSize == s.batchSize, m.maxTime == s.maxTime {
            return MaskEdit.restore(m, &s)
        }
        var spec = s.spec
        if let lengths = spec.sequenceLength {
            s.savedLengths = lengths
            spec.sequenceLength = nil
            return [.apply(spec, summary: "sequence_length = None for the whole batch: no masking, every row runs all \(s.maxTime) steps (\(Keymap.names()(.toggleMasking, in: .pane(.sequences))) restores \(formatShape(lengths)))")]
        }
        let restored = s.savedLengths.flatMap { $0.count == s.batchSize ? $0 : nil } ?? Array(repeating: s.maxTime, count: s.batchSize)
        spec.sequenceLength = restored
        return [.apply(spec, summary: "masking on: sequence_length = \(formatShape(restored))")]
    }

    /// TF takes `sequence_length` as int32.
    static let maxLength = Int(Int32.max)

    static func current(_ s: ExplorerState) -> Int {
        guard let l = s.spec.sequenceLength, l.indices.contains(s.example) else { return s.maxTime }
        return l[s.example]
    }

    /// Sets the selected example's length. Any integer is accepted, as TF does: a length ≤ 0 keeps the initial
    /// state, one ≥ max_time never masks.
    static func setLength(_ s: inout ExplorerState, _ value: Int) -> [Command] {
        if let refusal = MaskEdit.lengthRefusal(s) {
            s.setMessage(refusal, error: true)
            return []
        }
        guard abs(value) <= maxLength else {
            s.setMessage("refused: sequence_length[\(s.example)] = \(value) is beyond ±\(maxLength)", error: true)
            return []
        }
        var spec = s.spec
        var lengths = spec.sequenceLength ?? Array(repeating: s.maxTime, count: s.batchSize)
        guard lengths.indices.contains(s.example) else { return [] }
        lengths[s.example] = value
        spec.sequenceLength = lengths
        let note = value <= 0 ? " (≤ 0: the row keeps its initial state, outputs 0)" : value > s.maxTime ? " (> max_time \(s.maxTime): never masked)" : ""
        return [.apply(spec, summary: "sequence_length[\(s.example)] = \(value)" + note)]
    }

    // MARK: - Prompts

    static func handlePrompt(_ key: Key, _ s: inout ExplorerState) -> [Command] {
        guard var p = s.prompt else { return [] }
        switch Keymap.action(for: key, in: .prompt) {
        case .cancel?:
            s.prompt = nil
            s.setMessage("cancelled")
            return []
        case .erase?:
            if !p.text.isEmpty { p.text.removeLast() }
        case .clearLine?:
            p.text = ""
        case .complete?:
            if p.kind.isPath { return [.completePath] }
        case .confirm?:
            s.prompt = nil
            return submit(p, &s)
        default:
            // Any other character goes into the text.
            if case let .char(c) = key, p.text.count < 1024 { p.text.append(c) }
        }
        s.prompt = p
        return []
    }

    static func submit(_ p: Prompt, _ s: inout ExplorerState) -> [Command] {
        let text = p.text.trimmingCharacters(in: .whitespaces)
        switch p.kind {
        case .open, .save, .export, .loadWeights, .beside:
            guard !text.isEmpty else { s.setMessage("cancelled: no path given"); return [] }
            switch p.kind {
            case .open: return [.open(text)]
            case .beside: return [.beside(text)]
            case .save: return [.save(text)]
            case .export: return [.export(text)]
            default: return [.loadWeights(text)]
            }
        case .units:
            guard let n = Int(text) else {
                s.setMessage("refused: num_units must be a whole number, got \"\(text)\"", error: true)
                return []
            }
            return stackEdit(.setUnits(n), &s)
        case .numProj:
            if text.isEmpty || text.lowercased() == "none" || text == "0" { return stackEdit(.setProjection(nil), &s) }
            guard let n = Int(text) else {
                s.setMessage("refused: num_proj must be a whole number (or none), got \"\(text)\"", error: true)
                return []
            }
            return stackEdit(.setProjection(n), &s)
        case .sequenceLength:
            if text.lowercased() == "none" {
                if s.spec.sequenceLength == nil { return [] }
                return toggleMasking(&s)
            }
            guard let n = Int(text) else {
                s.setMessage("refused: a length is a whole number (or none for the whole batch), got \"\(text)\"", error: true)
                return []
            }
            return setLength(&s, n)
        case .inputSizes:
            return MaskEdit.sizes(text, &s)
        }
    }

    /// A file name for `w` and `x`: the experiment's name, or after an edit the stack it is now.
    static func suggestedName(_ s: ExplorerState) -> String {
        let base = s.isEdited ? s.spec.cell.layers.map { $0.summary(for: s.spec.convention) }.joined(separator: "-")
                              : (s.spec.name.isEmpty ? "experiment" : s.spec.name)
        let cleaned = String(base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let trimmed = cleaned.split(separator: "_", omittingEmptySubsequences: true).joined(separator: "_")
        return String(trimmed.prefix(40)).isEmpty ? "experiment" : String(trimmed.prefix(40))
    }
}
