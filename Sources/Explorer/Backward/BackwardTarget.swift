import Experiment
import RNNEngine

/// What the backward view differentiates (key `b` cycles them).
public enum LossChoice: Int, CaseIterable, Sendable {
    /// The selected unit of the selected example's output at its last valid step.
    case outputUnit
    /// The sum of every final state array.
    case finalState
    /// The sum of every output.
    case sumOfOutputs
}

/// The loss of the backward view: the choice and, for one output unit, which example and unit (captured when
/// the view opens or `b` picks it, so moving the cursor afterwards does not restart the sweep).
public struct BackwardSelection: Equatable, Sendable {
    public var choice: LossChoice = .outputUnit
    public var example = 0
    public var unit = 0
    /// Set once the view has been opened: the experiment's own `"loss"` is the first choice only until then.
    public var opened = false

    public init(choice: LossChoice = .outputUnit, example: Int = 0, unit: Int = 0) {
        self.choice = choice
        self.example = example
        self.unit = unit
    }

    /// The example's length as the loop sees it (`0...max_time`).
    static func validSteps(_ s: ExplorerState, example b: Int) -> Int {
        guard let l = s.spec.sequenceLength, l.indices.contains(b) else { return s.maxTime }
        return min(s.maxTime, max(0, l[b]))
    }

    /// The step the loss sits at (where the sweep starts): the output unit's step, else the last step.
    public func lossStep(_ s: ExplorerState) -> Int {
        switch choice {
        case .outputUnit: return max(0, BackwardSelection.validSteps(s, example: example) - 1)
        case .finalState, .sumOfOutputs: return max(0, s.maxTime - 1)
        }
    }

    /// The loss in words (ASCII-safe apart from `∂`, which `asciiOnly` turns into `d`).
    public func describe(_ s: ExplorerState) -> String {
        switch choice {
        case .outputUnit:
            let n = BackwardSelection.validSteps(s, example: example)
            let dir = s.spec.bidirectional ? (s.direction.name + " ") : ""
            guard n > 0 else { return "L = \(dir)output unit \(unit) of example \(example): length 0, no valid step" }
            // The backward pass's loop step n-1 writes the output of input step 0 (reverse_sequence).
            let input = s.direction == .backward ? " (input step \(reversedTimeIndex(n - 1, length: s.spec.sequenceLength.flatMap { $0.indices.contains(example) ? $0[example] : nil }, maxTime: s.maxTime)))" : ""
            return "L = \(dir)output[ex \(example), t=\(n - 1), unit \(unit)]" + input
        case .finalState: return "L = sum of the final state"
        case .sumOfOutputs: return "L = sum of all outputs"
        }
    }

    /// The engine's loss for this selection, or the reason there is none.
    func loss<Scalar: RNNScalar>(_ s: ExplorerState, outputSize: Int) -> Result<RNNLoss<Scalar>, BackwardRefusal> {
        switch choice {
        case .outputUnit:
            let n = BackwardSelection.validSteps(s, example: example)
            guard n > 0 else { return .failure(BackwardRefusal("example \(example) has length 0: its outputs are constant zeros, nothing to differentiate (\(Keymap.names()(.lossNext)): another loss)")) }
            guard unit < outputSize else { return .failure(BackwardRefusal("unit \(unit) is beyond the output's \(outputSize) units")) }
            return .success(.outputUnit(example: example, step: n - 1, unit: unit))
        case .finalState: return .success(.finalState(path: nil))
        case .sumOfOutputs: return .success(.sumOfOutputs)
        }
    }

    /// Opening the backward view (or `b`): captures the example and unit, puts the cursor at the loss's step.
    static func enter(_ s: inout ExplorerState, next: Bool) {
        var sel = s.backward
        if next { sel.choice = LossChoice(rawValue: (sel.choice.rawValue + 1) % LossChoice.allCases.count) ?? .outputUnit }
        sel.example = s.example
        let outputUnits = s.directionCell.outputSize
        sel.unit = min(max(0, s.unit), max(0, outputUnits - 1))
        if !sel.opened, !next {
            // The experiment's "loss" field, when it names one of the view's losses.
            switch s.spec.loss {
            case let .output(example, nil, unit, direction)? where direction == s.direction.rawValue && example < s.batchSize && unit < outputUnits:
                sel.choice = .outputUnit
                sel.example = example
                sel.unit = unit
                s.example = example
            case .sumOfOutputs?: sel.choice = .sumOfOutputs
            case .state(nil)?: sel.choice = .finalState
            default: break
            }
        }
        sel.opened = true
        s.backward = sel
        s.t = sel.lossStep(s)
        let k = Keymap.names()
        s.setMessage(sel.describe(s) + (sel.choice == .outputUnit ? " (its last valid step)" : "")
                     + "; the sweep runs from t=\(s.t) back to t=0: \(k.all(.stepNext, separator: "/")) steps back, \(k(.lossNext)) picks another loss")
    }

    /// In the backward view the step keys follow the sweep: next goes towards t=0, first is the loss's step.
    /// Returns false for keys it does not handle.
    static func step(_ action: Action, _ s: inout ExplorerState) -> Bool {
        let lastT = max(0, s.maxTime - 1)
        let jump = KeyHandler.pageJump(maxTime: s.maxTime)
        switch action {
        case .stepNext: s.t = max(0, s.t - 1)
        case .stepPrevious: s.t = min(lastT, s.t + 1)
        case .first: s.t = s.backward.lossStep(s)
        case .last: s.t = 0
        case .pageDown: s.t = max(0, s.t - jump)
        case .pageUp: s.t = min(lastT, s.t + jump)
        case .play:
            s.playing.toggle()
            if s.playing && s.t == 0 { s.t = s.backward.lossStep(s) }
        default: return false
        }
        return true
    }
}

/// Why the backward view has no sweep to show.
public struct BackwardRefusal: Error, Equatable, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
}
