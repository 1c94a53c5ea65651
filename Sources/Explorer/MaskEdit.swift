import Experiment
import RNNEngine

/// The Sequences pane's data edits as commands (pure, like `KeyHandler`): a step's mask toggled, a mask set aside
/// and restored (`n`), the inputs' sizes typed. What each means for the experiment (lengths or a mask, the inputs
/// cropped or extended) is `LoadedExperiment`'s (`withMask`, `withPaddingMoved`, `reshaped`).
enum MaskEdit {
    /// The valid steps as the state has them (input order): the mask, or `t < sequence_length[b]`, or every step.
    static func validSteps(_ s: ExplorerState) -> StepMask {
        if let m = s.stepMask { return m }
        let lengths = s.spec.sequenceLength.flatMap { $0.count == s.batchSize ? $0 : nil }
            ?? Array(repeating: s.maxTime, count: s.batchSize)
        return StepMask(lengths: lengths, maxTime: s.maxTime)
    }

    /// Whether row `b` is valid at input step `t` (what the Sequences pane draws).
    static func isValid(_ s: ExplorerState, example b: Int, step t: Int) -> Bool {
        if let m = s.stepMask {
            return b >= 0 && b < m.batchSize && t >= 0 && t < m.maxTime && m.isValid(example: b, step: t)
        }
        guard let lengths = s.spec.sequenceLength, lengths.indices.contains(b) else { return true }
        return t < lengths[b]
    }

    /// `m`: the selected example's step `t` masked or valid again.
    static func toggleStep(_ s: inout ExplorerState) -> [Command] {
        let m = validSteps(s)
        let (b, t) = (s.example, s.t)
        guard b < m.batchSize, t < m.maxTime else { return [] }
        var valid = m.valid
        valid[b * m.maxTime + t].toggle()
        guard let mask = try? StepMask(valid: valid, batchSize: m.batchSize, maxTime: m.maxTime) else { return [] }
        let now = valid[b * m.maxTime + t]
        return [.setMask(mask, summary: "mask[\(b), \(t)] = \(now ? "True" : "False") (example \(b)'s step \(t) \(now ? "valid" : "masked"))")]
    }

    /// `n` on a mask: no masking, the mask set aside for the next `n`.
    static func setAside(_ mask: StepMask, _ s: inout ExplorerState) -> [Command] {
        s.savedMask = mask
        return [.setMask(nil, summary: "no mask for the whole batch: every row runs all \(s.maxTime) steps (\(Keymap.names()(.toggleMasking, in: .pane(.sequences))) restores the mask)")]
    }

    /// `n` again: the mask set aside back.
    static func restore(_ mask: StepMask, _ s: inout ExplorerState) -> [Command] {
        s.savedMask = nil
        return [.setMask(mask, summary: "the mask back")]
    }

    /// Why a length edit does nothing on an experiment that gives a mask (nil under lengths).
    static func lengthRefusal(_ s: ExplorerState) -> String? {
        guard s.stepMask != nil else { return nil }
        let k = Keymap.names(), scope = KeyScope.pane(.sequences)
        return "this experiment gives a mask, not lengths: \(k(.toggleStepMask, in: scope)) masks or unmasks step t, \(k(.movePadding, in: scope)) moves the padding, \(k(.toggleMasking, in: scope)) sets the mask aside"
    }

    /// The typed sizes `batch max_time depth` (spaces, commas or `x` between them).
    static func sizes(_ text: String, _ s: inout ExplorerState) -> [Command] {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "x" || $0 == "×" }).map(String.init)
        guard parts.count == 3, let b = Int(parts[0]), let t = Int(parts[1]), let d = Int(parts[2]) else {
            s.setMessage("refused: type three whole numbers, batch max_time depth (now \(s.batchSize) \(s.maxTime) \(s.inputDepth)), got \"\(text)\"", error: true)
            return []
        }
        guard b >= 1, t >= 1, d >= 1 else {
            s.setMessage("refused: batch, max_time and depth must be at least 1, got \(b) \(t) \(d)", error: true)
            return []
        }
        if b == s.batchSize, t == s.maxTime, d == s.inputDepth {
            s.setMessage("the inputs are already [batch \(b), max_time \(t), depth \(d)]: nothing changed")
            return []
        }
        return [.reshape(batchSize: b, maxTime: t, inputDepth: d)]
    }
}
