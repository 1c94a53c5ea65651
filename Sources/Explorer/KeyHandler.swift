import Experiment
import Foundation
import RNNEngine
import TerminalUI

/// What a key asks of the app beyond changing `ExplorerState`.
public enum Command: Equatable {
    case quit
    /// Re-run with an edited spec; `summary` says what changed.
    case apply(ExperimentSpec, summary: String)
    case toggleTimeMajor
    case open(String)
    case save(String)
    case export(String)
    case loadWeights(String)
}

/// Turns keys into state changes and commands. Pure: no I/O, no engine calls, so every binding is
/// unit-testable. Mouse clicks are mapped with the same `Layout` the screen was drawn with.
public enum KeyHandler {
    /// Handles one key; returns the commands for the app to carry out.
    public static func handle(_ key: Key, state s: inout ExplorerState, layout: Layout? = nil) -> [Command] {
        if s.prompt != nil { return handlePrompt(key, &s) }
        if s.showHelp {
            switch key {
            case .char("q"): return [.quit]
            case .escape, .char("?"), .function(1), .enter, .char(" "): s.showHelp = false
            case .resize: break
            default: break
            }
            return []
        }
        let lastT = max(0, s.maxTime - 1)
        switch key {
        case .char("q"): return [.quit]
        case .char("?"), .function(1): s.showHelp = true
        case .escape: s.setMessage(""); s.playing = false
        case .right, .char("l"): s.t = min(lastT, s.t + 1)
        case .left, .char("h"): s.t = max(0, s.t - 1)
        case .home, .char("g"): s.t = 0
        case .end, .char("G"): s.t = lastT
        case .pageDown: s.t = min(lastT, s.t + max(10, s.maxTime / 10))
        case .pageUp: s.t = max(0, s.t - max(10, s.maxTime / 10))
        case .char(" "):
            s.playing.toggle()
            if s.playing && s.t >= lastT { s.t = 0 }
        case .tab: s.focus = Pane(rawValue: (s.focus.rawValue + 1) % Pane.allCases.count) ?? .frame
        case .backTab: s.focus = Pane(rawValue: (s.focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count) ?? .frame
        case .char("t"): return [.toggleTimeMajor]
        case .char("o"): s.prompt = Prompt(kind: .open)
        case .char("w"): s.prompt = Prompt(kind: .save, text: suggestedName(s.spec) + ".json")
        case .char("x"): s.prompt = Prompt(kind: .export, text: suggestedName(s.spec) + "-frames.npz")
        case .char("L"): s.prompt = Prompt(kind: .loadWeights)
        case .char("d"):
            if s.spec.bidirectional {
                s.direction = 1 - s.direction
                s.clamp()
                s.setMessage(s.direction == 0 ? "forward pass (fw)" : "backward pass (bw): each row reversed within its length")
            } else {
                s.setMessage("this experiment is not bidirectional: there is only one direction")
            }
        case .char(","), .char("<"): s.unit = max(0, s.unit - 1)
        case .char("."), .char(">"): s.unit = min(max(0, s.unitCount - 1), s.unit + 1)
        case .char("v"): s.heatVariable = (s.heatVariable + 1) % max(1, s.variables.count); s.clamp()
        case .char("V"): s.heatVariable = (s.heatVariable + max(1, s.variables.count) - 1) % max(1, s.variables.count); s.clamp()
        case .char("z"):
            s.heatAutoScale.toggle()
            s.setMessage(s.heatAutoScale ? "heatmaps scaled to the largest |value| in view (z: fixed -1..1)"
                                         : "heatmaps on a fixed -1..1 scale; values beyond it are marked (z: auto)")
        case .char("["): s.layer = max(0, s.layer - 1); s.clamp()
        case .char("]"): s.layer = min(max(0, s.layers.count - 1), s.layer + 1); s.clamp()
        case .up, .char("k"): move(&s, by: -1)
        case .down, .char("j"): move(&s, by: 1)
        case let .mouse(x, y, .press):
            if let layout { click(x: x, y: y, &s, layout) }
        case .mouse(_, _, .scrollUp): s.t = max(0, s.t - 1)
        case .mouse(_, _, .scrollDown): s.t = min(lastT, s.t + 1)
        default:
            switch s.focus {
            case .stack: return stackKey(key, &s)
            case .sequences: return sequenceKey(key, &s)
            default: break
            }
        }
        return []
    }

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

    static func stackKey(_ key: Key, _ s: inout ExplorerState) -> [Command] {
        let edit: StackEdit
        switch key {
        case .char("a"): edit = .addLayer
        case .delete, .backspace, .char("X"): edit = .deleteLayer
        case .char("K"): edit = .moveUp
        case .char("J"): edit = .moveDown
        case .char("T"): edit = .cycleType
        case .char("+"), .char("="): edit = .units(delta: 1)
        case .char("-"), .char("_"): edit = .units(delta: -1)
        case .char("A"): edit = .cycleActivation
        case .char("p"): edit = .togglePeepholes
        case .char("c"): edit = .cycleCellClip
        case .char("P"): edit = .cycleProjection
        case .char("F"): edit = .cycleForgetBias
        case .char("R"): edit = .toggleResidual
        case .char("D"): edit = .toggleDropout
        case .enter, .char("u"):
            s.prompt = Prompt(kind: .units, text: s.layerSpec.map { String($0.numUnits) } ?? "")
            return []
        default: return []
        }
        return stackEdit(edit, &s)
    }

    static func stackEdit(_ edit: StackEdit, _ s: inout ExplorerState) -> [Command] {
        switch StackEditor.apply(edit, to: s.directionCell, layer: s.layer) {
        case let .failure(r):
            s.setMessage("refused: " + r.reason, error: true)
            return []
        case let .success(result):
            var spec = s.spec
            if s.direction == 1 { spec.cellBackward = result.cell } else { spec.cell = result.cell }
            s.layer = result.selectedLayer
            return [.apply(spec, summary: result.summary)]
        }
    }

    // MARK: - Sequences pane

    static func sequenceKey(_ key: Key, _ s: inout ExplorerState) -> [Command] {
        switch key {
        case .char("+"), .char("="): return setLength(&s, current(s) + 1)
        case .char("-"), .char("_"): return setLength(&s, current(s) - 1)
        case .char("n"):
            var spec = s.spec
            if spec.sequenceLength == nil {
                spec.sequenceLength = Array(repeating: s.maxTime, count: s.batchSize)
                return [.apply(spec, summary: "masking on: every length = max_time \(s.maxTime) (+/- edits the selected example)")]
            }
            spec.sequenceLength = nil
            return [.apply(spec, summary: "sequence_length = None: no masking, every row runs all \(s.maxTime) steps")]
        case .enter:
            s.prompt = Prompt(kind: .sequenceLength, text: String(current(s)))
            return []
        default: return []
        }
    }

    static func current(_ s: ExplorerState) -> Int {
        guard let l = s.spec.sequenceLength, l.indices.contains(s.example) else { return s.maxTime }
        return l[s.example]
    }

    static func setLength(_ s: inout ExplorerState, _ value: Int) -> [Command] {
        guard value >= 0, value <= s.maxTime else {
            s.setMessage("refused: sequence_length[\(s.example)] must lie in 0...\(s.maxTime) (max_time)", error: true)
            return []
        }
        var spec = s.spec
        var lengths = spec.sequenceLength ?? Array(repeating: s.maxTime, count: s.batchSize)
        guard lengths.indices.contains(s.example) else { return [] }
        lengths[s.example] = value
        spec.sequenceLength = lengths
        return [.apply(spec, summary: "sequence_length[\(s.example)] = \(value)")]
    }

    // MARK: - Prompts

    static func handlePrompt(_ key: Key, _ s: inout ExplorerState) -> [Command] {
        guard var p = s.prompt else { return [] }
        switch key {
        case .escape:
            s.prompt = nil
            s.setMessage("cancelled")
            return []
        case .backspace, .delete:
            if !p.text.isEmpty { p.text.removeLast() }
        case .ctrl("u"):
            p.text = ""
        case let .char(c):
            if p.text.count < 1024 { p.text.append(c) }
        case .enter:
            s.prompt = nil
            return submit(p, &s)
        default:
            break
        }
        s.prompt = p
        return []
    }

    static func submit(_ p: Prompt, _ s: inout ExplorerState) -> [Command] {
        let text = p.text.trimmingCharacters(in: .whitespaces)
        switch p.kind {
        case .open, .save, .export, .loadWeights:
            guard !text.isEmpty else { s.setMessage("cancelled: no path given"); return [] }
            switch p.kind {
            case .open: return [.open(text)]
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
        case .sequenceLength:
            if text.lowercased() == "none" {
                var spec = s.spec
                spec.sequenceLength = nil
                return [.apply(spec, summary: "sequence_length = None: no masking")]
            }
            guard let n = Int(text) else {
                s.setMessage("refused: a length is a whole number in 0...\(s.maxTime) (or none), got \"\(text)\"", error: true)
                return []
            }
            return setLength(&s, n)
        }
    }

    static func suggestedName(_ spec: ExperimentSpec) -> String {
        let base = spec.name.isEmpty ? "experiment" : spec.name
        let cleaned = String(base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        let trimmed = cleaned.split(separator: "_", omittingEmptySubsequences: true).joined(separator: "_")
        return String(trimmed.prefix(40)).isEmpty ? "experiment" : String(trimmed.prefix(40))
    }
}
