import Experiment
import RNNEngine
import TerminalUI

/// The lesson being followed and the step it is at. Keys other than the lesson's change the state as always (the
/// student explores); the lesson's step stays, so next and previous go on from the lesson's step, not from wherever
/// exploring led. Applying a step is pure (`apply`); opening its experiment is the app's (`ExplorerApp+Lesson`).
public struct LessonProgress: Equatable {
    public var lesson: Lesson
    /// Index of the step shown.
    public var step: Int

    public init(lesson: Lesson, step: Int = 0) {
        self.lesson = lesson
        self.step = step
    }

    /// The step shown (nil only for a lesson without steps, which `Lesson.parse` refuses).
    public var current: Lesson.Step? { lesson.steps.indices.contains(step) ? lesson.steps[step] : nil }

    /// Why the lesson keys do nothing outside a lesson.
    static let noLesson = "no lesson is running: `unroll lesson` lists the lessons, `unroll lesson NAME` runs one"

    /// Next (`by: 1`) or previous (`-1`) step: the command opening it, or a message at either end.
    static func move(_ s: inout ExplorerState, by delta: Int) -> [Command] {
        guard let p = s.lesson else { return [] }
        let target = p.step + delta
        guard p.lesson.steps.indices.contains(target) else {
            let k = Keymap.names()
            s.setMessage(delta > 0 ? "the end of the lesson \"\(p.lesson.title)\" (\(k(.lessonPrevious)) goes back, \(k(.quit)) quits)"
                                   : "the first step of the lesson (\(k(.lessonNext)) goes on)")
            return []
        }
        return [.lessonStep(target)]
    }

    /// The view a lesson names (`Lesson.views`: the cases' names).
    static func view(named name: String) -> ExplorerView? { ExplorerView.allCases.first { "\($0)" == name } }

    /// Shows step `index` of the state's lesson in `s`, whose experiment is already the step's: the view, the
    /// convention compared, presentation mode, example, layer, unit and step, each checked against the experiment
    /// (a setting it cannot hold is named in the message and left as it was). Returns the problems (empty: none).
    @discardableResult
    static func apply(step index: Int, to s: inout ExplorerState) -> [String] {
        guard var p = s.lesson, p.lesson.steps.indices.contains(index) else { return [] }
        p.step = index
        s.lesson = p
        let step = p.lesson.steps[index]
        var problems: [String] = []
        if let name = step.view, let v = view(named: name), s.view != v {
            s.view = v
            s.frameScroll = 0
            if v == .backward { BackwardSelection.enter(&s, next: false) }
        }
        if let c = step.compareWith { s.compareWith = c }
        if let present = step.present { s.presenting = present }
        if s.presenting { s.focus = .frame }  // the left-hand panes are not shown
        if let e = step.example {
            if e < s.batchSize { s.example = e } else { problems.append("example \(e) (the batch has \(s.batchSize))") }
        }
        if let l = step.layer {
            if l < s.layers.count { s.layer = l } else { problems.append("layer \(l) (the stack has \(s.layers.count))") }
        }
        s.clamp()
        if let u = step.unit {
            if u < s.unitCount { s.unit = u } else { problems.append("unit \(u) (layer \(s.layer) has \(s.unitCount))") }
        }
        if let t = step.t {
            if t < s.maxTime { s.t = t } else { problems.append("t=\(t) (max_time is \(s.maxTime))") }
        }
        s.playing = false
        s.clamp()
        let k = Keymap.names()
        if problems.isEmpty {
            s.setMessage("lesson step \(index + 1) of \(p.lesson.steps.count) (\(k(.lessonNext)) next, \(k(.lessonPrevious)) back; other keys explore)")
        } else {
            s.setMessage("lesson step \(index + 1): \(step.experiment) has no \(problems.joined(separator: ", no ")); shown as near as it can be", error: true)
        }
        return problems
    }
}
