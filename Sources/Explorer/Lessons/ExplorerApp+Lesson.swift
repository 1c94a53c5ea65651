import Experiment
import Foundation

/// Following a lesson: each step opens its experiment (in the background, as `o` does) unless the one on screen is
/// that file, unedited, and then sets what the step shows (`LessonProgress.apply`).
extension ExplorerApp {
    /// Starts `lesson` at its first step; the app's model is expected to be the first step's experiment (it is
    /// re-opened otherwise).
    public func startLesson(_ lesson: Lesson) {
        state.lesson = LessonProgress(lesson: lesson)
        lessonBase = model.file.map { (ObjectIdentifier(model), state.spec, $0) }
        showLessonStep(0)
    }

    /// Shows step `index` of the lesson: at once when its experiment is on screen as the lesson left it, else after
    /// opening it.
    func showLessonStep(_ index: Int) {
        guard let p = state.lesson, p.lesson.steps.indices.contains(index) else { return }
        let path = p.lesson.steps[index].experimentPath
        if let base = lessonBase, base.model == ObjectIdentifier(model), base.path == path, base.spec == state.spec {
            LessonProgress.apply(step: index, to: &state)
            follow()
            return
        }
        pendingLessonStep = index
        startOpening(path)
        state.setMessage("lesson step \(index + 1): opening \(p.lesson.steps[index].experiment)...")
    }

    /// The experiment of lesson step `index` is in: shows the step.
    func openedLessonStep(_ index: Int, path: String) {
        pendingLessonStep = nil
        lessonBase = (ObjectIdentifier(model), state.spec, path)
        LessonProgress.apply(step: index, to: &state)
    }

    /// Waits (tests) until the experiment being opened is in and every job has posted; false after `timeout` seconds.
    public func settleForTests(timeout: TimeInterval = 30) -> Bool { settle(timeout: timeout) }
}
