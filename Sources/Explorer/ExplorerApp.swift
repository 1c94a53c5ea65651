import Experiment
import Foundation
import RNNEngine
import TerminalUI

/// The explorer's loop: reads keys (waiting at most ~50 ms so progress and playback keep moving), lets
/// `KeyHandler` change the state, carries out its commands on the model, applies what background jobs posted
/// (`update`), and redraws.
public final class ExplorerApp {
    public let terminal: Terminal
    public private(set) var model: ExplorerModel
    public internal(set) var state: ExplorerState
    /// The time playback and the window's fill budget read (a `ManualClock` in tests).
    public let clock: ExplorerClock
    /// Seconds between two steps while playing (from the state's play speed).
    public var playInterval: TimeInterval { 1 / ExplorerState.playSpeeds[min(max(0, state.playSpeed), ExplorerState.playSpeeds.count - 1)] }
    /// When playback last moved the cursor (on `clock`).
    private var lastPlayStep = -TimeInterval.infinity
    private(set) var dirty = true
    /// The progress `follow` last saw (sizes depend on what is computed).
    private var followedProgress = -1
    /// The experiment open beside this one (`O`, `--beside`; `ExplorerApp+Beside.swift`).
    public internal(set) var beside: ExplorerModel?
    /// The comparison view's comparison of the two experiments, for the sessions it was started for.
    var besideComparisonCache: (key: [ObjectIdentifier], run: ComparisonRun)?

    /// `beside`: a second experiment shown below the first in the backward view, which opens (`--beside`).
    public init(terminal: Terminal, model: ExplorerModel, beside: ExplorerModel? = nil, clock: ExplorerClock = SystemClock()) {
        self.terminal = terminal
        self.model = model
        self.clock = clock
        self.state = ExplorerApp.initialState(for: model)
        model.start()
        if let beside { showBeside(beside, view: true) }
        follow()
    }

    static func initialState(for model: ExplorerModel) -> ExplorerState {
        let s = model.session
        var st = ExplorerState(spec: s.spec, batchSize: s.batchSize, maxTime: s.maxTime, inputDepth: s.inputDepth)
        st.stepMask = s.stepMask
        let k = Keymap.names()
        st.setMessage("opened \(model.displayName) \(Symbols(glyphs: .ascii).sep) press \(k(.help)) for help, \(k(.quit)) to quit")
        st.clamp()
        return st
    }

    /// Runs until `q`. With `maxIdleTicks`, also returns after that many key timeouts in a row (for tests
    /// with a `MemoryTerminal`). Returns true when the user quit.
    @discardableResult
    public func run(maxIdleTicks: Int? = nil) -> Bool {
        redraw()
        var idle = 0
        while true {
            if let key = terminal.nextKey(timeoutMilliseconds: 50) {
                idle = 0
                if !handle(key) { return true }
                // Answer the key at once with what is computed (the cursor's frame); the rest fills on ticks.
                if dirty { redraw(fill: false) }
            } else {
                idle += 1
                if let m = maxIdleTicks, idle >= m { return false }
                tick()
                if dirty { redraw() }
            }
        }
    }

    /// Handles one key (state change, commands); false when the app should quit.
    public func handle(_ key: Key) -> Bool {
        dirty = true
        if key == .resize { follow(); return true }
        let layout = Layout(width: terminal.size.width, height: terminal.size.height, state: state)
        // Only quit works on the "enlarge" screen (its text names the key: `KeyTextTests`).
        if !layout.fits, Keymap.action(for: key, in: .global) != .quit, key != .ctrl("c") { return true }
        if key == .ctrl("c") { return false }
        let wasPlaying = state.playing
        let commands = KeyHandler.handle(key, state: &state, layout: layout)
        if state.playing && !wasPlaying { lastPlayStep = clock.now }
        for command in commands {
            if !execute(command) { return false }
        }
        follow()
        return true
    }

    /// The update step's last part: moves the heatmap window so it holds the cursor (drawing never changes state).
    func follow() {
        followedProgress = model.session.progress.done
        let layout = Layout(width: terminal.size.width, height: terminal.size.height, state: state)
        let columns = HeatmapPane.columns(for: layout.heatmap, maxTime: state.maxTime)
        state.windowStart = FrameWindow.adjusted(start: state.windowStart, t: state.t, columns: columns, maxTime: state.maxTime)
        // The frame's size for this step (the layout gives it that many rows), and its scroll range.
        let width = layout.frame.interior.width
        // Sizes need only the cursor's frame: the rest of the window is filled when drawing.
        let data = screenData(fill: false)
        let count = FramePane.lines(state: state, data: data, width: width,
                                    glyphs: terminal.capabilities.unicode ? .unicode : .ascii).count
        state.frameRows = count + 2
        let inner = Layout(width: terminal.size.width, height: terminal.size.height, state: state).frame.interior
        let glyphs: Glyphs = terminal.capabilities.unicode ? .unicode : .ascii
        // Scrolling (J K) moves the frame, or the equations in their view (the backward view clamps its own).
        let scrollable = state.view != .equations ? count : state.presenting
            ? PresentedEquations.rows(state: state, data: data, inner: inner, glyphs: glyphs).count
            : EquationsPane.rows(state: state, data: data, inner: inner, glyphs: glyphs).count
        if state.view != .backward { state.frameScroll = min(state.frameScroll, max(0, scrollable - inner.height)) }
    }

    /// The experiment being opened in the background: the request's number (a later `o` supersedes it) and the
    /// path as the user typed it.
    private var opening: (request: Int, path: String)?
    private var openRequests = 0
    /// The lesson step to show once the experiment being opened is in (`ExplorerApp+Lesson`).
    var pendingLessonStep: Int?
    /// The model a lesson step opened and its spec then: a later step on the same file re-opens it only when it changed.
    var lessonBase: (model: ObjectIdentifier, spec: ExperimentSpec, path: String)?

    /// Whether an experiment is still being opened.
    public var isOpening: Bool { opening != nil }

    /// Starts loading `path` as a background job; its `opened` message swaps the experiment in (`update`).
    func startOpening(_ path: String) {
        openRequests += 1
        let request = openRequests, file = expand(path)
        opening = (request, path)
        Job.start(posting: model.mailbox) { job in
            job.post(.opened(request: request, Result { try ExplorerModel.load(path: file) }))
        }
    }

    /// Swaps in the experiment open request `request` loaded, or says why it could not be loaded.
    private func finishOpening(_ request: Int, _ result: Result<ExplorerModel, Error>) {
        guard let (current, path) = opening, current == request else { return }  // superseded by a later `o`
        opening = nil
        switch result {
        case let .success(m):
            model.session.cancel()
            model = m
            let focus = state.focus, log = state.messageLog, lesson = state.lesson, presenting = state.presenting
            state = ExplorerApp.initialState(for: m)
            state.messageLog = log + state.messageLog
            state.focus = focus
            (state.lesson, state.presenting) = (lesson, presenting)
            state.beside = beside?.displayName
            m.start()
            if let step = pendingLessonStep { openedLessonStep(step, path: path) }
            follow()
        case let .failure(error):
            pendingLessonStep = nil
            state.setMessage("could not open: \(errorLine(error, path: path))", error: true)
        }
    }

    /// Time passing without a key: the background jobs' messages, then playback (on `clock`).
    public func tick() {
        for message in model.mailbox.take() { update(message) }
        if takeBesideMessages() { dirty = true; follow() }
        if model.windowIncomplete { dirty = true }
        guard state.playing else { return }
        if state.view == .backward { return playBackward() }
        let now = clock.now
        let atEnd = state.t >= state.maxTime - 1
        guard atEnd || now - lastPlayStep >= playInterval else { return }
        if atEnd {
            state.playing = false
            state.setMessage("end of the sequence: t=\(state.t) is the last step (\(Keymap.names()(.play)) plays again from t=0)")
        } else if model.session.completed(state.direction) > state.t + 1 {
            state.t += 1
            lastPlayStep = now
        }
        follow()
        dirty = true
    }

    /// One step of playing in the backward view: towards t=0, once the sweep has reached the step.
    private func playBackward() {
        let now = clock.now
        guard now - lastPlayStep >= playInterval else { return }
        if state.t <= 0 {
            state.playing = false
            let k = Keymap.names()
            state.setMessage("t=0: the sweep is done; \(k(.first)) goes back to the loss's step (\(k(.play)) plays it again)")
        } else if state.maxTime - model.backwardProgress <= state.t - 1 {
            state.t -= 1
            lastPlayStep = now
        }
        follow()
        dirty = true
    }

    /// The update for one message from a background job (applied on the loop's thread, in the order posted).
    func update(_ message: JobMessage) {
        dirty = true
        switch message {
        case .progress, .sweepDone:
            follow()
        case .forwardDone:
            model.startWaitingSweep()
            follow()
        case let .compared(run, result):
            run.result = result
        case let .opened(request, result):
            finishOpening(request, result)
        case let .openedBeside(path, result):
            finishOpeningBeside(path, result)
        }
    }

    /// Applies the jobs' messages until no job runs and none is queued, waiting for the mailbox in between (tests,
    /// whose `ManualClock` stands still while jobs compute); false once `timeout` seconds have passed first.
    func settle(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            for message in model.mailbox.take() { update(message) }
            if takeBesideMessages() { dirty = true }
            let mailbox = model.mailbox  // an `opened` message may have swapped the model
            if mailbox.isIdle {
                guard let other = beside?.mailbox, !other.isIdle else { return true }
                if !other.waitForMessage(until: deadline) { return false }
                continue
            }
            if !mailbox.waitForMessage(until: deadline) { return false }
        }
    }

    /// Draws and presents the screen; with `fill`, missing frames of the heatmap window are computed first
    /// (within a time budget: `tick` redraws until the window is complete).
    public func redraw(fill: Bool = true) {
        // Sizes follow what is computed: a pass that moved on since `follow` (the messages saying so may still
        // be queued) is followed before drawing.
        if model.session.progress.done != followedProgress { follow() }
        var grid = terminal.makeGrid()
        draw(into: &grid, fill: fill)
        terminal.present(grid)
        dirty = false
    }

    /// Draws the current screen into `grid`: a pure function of the state and the data gathered once for it.
    public func draw(into grid: inout CellGrid, fill: Bool = true) {
        Screen.render(into: &grid, state: state, data: screenData(fill: fill))
    }

    /// What the panes need from the model for this state, gathered once per redraw.
    /// With `fill`, missing frames of the window are computed within a time budget (the cursor's always).
    func screenData(fill: Bool = true) -> ScreenData {
        let s = model.session
        let layout = Layout(width: terminal.size.width, height: terminal.size.height, state: state)
        let columns = HeatmapPane.columns(for: layout.heatmap, maxTime: state.maxTime)
        var range: Range<Int>
        switch state.view {
        case .frame: range = FrameWindow.range(start: state.windowStart, columns: columns, maxTime: state.maxTime)
        case .unrolled where state.presenting: range = PresentedUnrolled.range(t: state.t, maxTime: state.maxTime, width: layout.frame.interior.width)
        case .unrolled: range = UnrolledPane.range(t: state.t, maxTime: state.maxTime, width: layout.frame.interior.width)
        case .equations, .saturation, .backward, .compare: range = state.t..<min(state.maxTime, state.t + 1)
        }
        // The frame view needs the cursor's step even when the heatmaps are too small to hold it.
        if !range.contains(state.t) && state.t < state.maxTime { range = state.t..<(state.t + 1) }
        // The cursor's frame first; the rest of a window never shown fills in over the next redraws.
        let (frames, error) = model.window(direction: state.direction, range: range, cursor: state.t, timeBudget: fill ? 0.03 : 0,
                                           clock: clock)
        let d = state.direction
        let saturation = state.view == .saturation ? model.saturation(direction: d, layer: state.layer, around: state.t, gates: state.saturationGates, units: state.layerSpec?.numUnits ?? 0) : nil
        var data = ScreenData(window: frames, windowRange: range, inputShape: s.inputShape,
                          computed: s.completed(d), progress: s.progress,
                          loopBound: s.loopBound(d), failure: error ?? s.failure,
                          fileName: model.displayName, colorMode: terminal.capabilities.colorMode,
                          isMasked: { d, b, t in s.isMasked(d, row: b, time: t) },
                          sourceStep: { d, b, t in s.sourceStep(d, row: b, time: t) },
                          loopBounds: Dictionary(uniqueKeysWithValues: s.spec.directions.map { ($0, s.loopBound($0)) }), saturation: saturation)
        data.weightShapes = s.weightShapes
        if state.view == .backward {
            let g = BackwardView.geometry(rect: layout.frame, state: state)
            data.backward = model.backwardData(state: state, range: g.range)
            data.beside = besideData(range: g.range)
            if var b = data.beside, let a = data.backward {
                let shared = BesideData.sharingScale(a, b.backward, layers: (state.layer, b.state.layer))
                data.backward = shared.0
                b.backward = shared.1
                data.beside = b
            }
        }
        if state.view == .compare, state.stepMask != nil, data.beside == nil, state.beside == nil {
            (data.paddingDiagnosis, data.paddingRefusal) = model.paddingDiagnosis()
        } else if state.view == .compare {
            data.comparison = besideComparison() ?? model.comparison(with: ConventionChoice.other(state))
        }
        return data
    }

    // MARK: - Commands

    private func sync() {
        let s = model.session
        state.spec = s.spec
        state.batchSize = s.batchSize
        state.maxTime = s.maxTime
        state.inputDepth = s.inputDepth
        state.stepMask = s.stepMask
        state.conventionTried = nil
        state.clamp()
    }

    /// Carries out one command; false to quit.
    func execute(_ command: Command) -> Bool {
        switch command {
        case .quit:
            return false
        case let .lessonStep(index):
            showLessonStep(index)
        case .completePath:
            guard var p = state.prompt else { return true }
            let (text, candidates) = PathCompletion.complete(p.text, listing: PathCompletion.disk)
            p.text = text
            p.candidates = candidates
            state.prompt = p
        case let .apply(spec, summary, select, origins):
            let before = model.snapshot()
            do {
                let note = try model.apply(spec: spec, layerOrigins: origins)
                state.history.record(before, summary: summary)
                if let select { state.layer = select }
                sync()
                state.setMessage("re-ran: \(summary)" + (note.isEmpty ? "" : " (\(note))") + " (\(Keymap.names()(.undo)) undoes)")
            } catch {
                sync()
                state.setMessage("refused: \(describe(error))", error: true)
            }
        case let .setMask(mask, summary):
            dataEdit(summary) { [model] in try model.applyMask(mask) }
        case let .movePadding(example):
            dataEdit("example \(example)'s padding moved") { [model] in try model.movePadding(example: example) }
        case let .reshape(batch, time, depth):
            dataEdit("inputs [batch \(batch), max_time \(time), depth \(depth)]") { [model] in
                try model.reshape(batchSize: batch, maxTime: time, inputDepth: depth).joined(separator: "; ")
            }
        case .undo:
            guard let undone = state.history.past.last else { return true }
            if let left = travel(to: undone.experiment, summary: "undid: \(undone.summary)") {
                state.history.past.removeLast()
                state.history.future.append((left, undone.summary))
            }
        case .redo:
            guard let redone = state.history.future.last else { return true }
            if let left = travel(to: redone.experiment, summary: "redid: \(redone.summary)") {
                state.history.future.removeLast()
                state.history.past.append((left, redone.summary))
            }
        case .toggleTimeMajor:
            let before = model.snapshot()
            do {
                try model.toggleTimeMajor()
                sync()
                let layout = state.timeMajor ? "[time, batch, depth]" : "[batch, time, depth]"
                state.history.record(before, summary: "time_major=\(state.timeMajor ? "True" : "False") (inputs \(formatShape(model.session.inputShape)))")
                state.setMessage("time_major=\(state.timeMajor ? "True" : "False"): inputs are now \(formatShape(model.session.inputShape)) \(layout); every number is the same")
            } catch {
                state.setMessage("refused: \(describe(error))", error: true)
            }
        case let .open(path):
            // Loading can take seconds: it runs in the background and the current experiment stays until then.
            pendingLessonStep = nil  // the user's file, not a lesson step's
            startOpening(path)
            state.setMessage("opening \(path)... (loading in the background; the current experiment stays until it is ready)")
        case let .save(path, overwrite):
            if !overwrite, askBeforeOverwriting(path, .save(path, overwrite: true)) { return true }
            do {
                state.setMessage(try model.save(to: expand(path)))
            } catch {
                state.setMessage("could not save: \(errorLine(error, path: path))", error: true)
            }
        case let .export(path, overwrite):
            if !overwrite, askBeforeOverwriting(path, .export(path, overwrite: true)) { return true }
            guard model.session.isComplete else {
                state.setMessage("still computing (\(Format.count(model.session.progress.done))/\(Format.count(model.session.progress.total))): export when the pass is done", error: true)
                return true
            }
            do {
                state.setMessage(try Export.write(session: model.session, to: expand(path)))
            } catch {
                state.setMessage("could not export: \(errorLine(error, path: path))", error: true)
            }
        case let .switchConvention(convention):
            do {
                let note = try model.switchConvention(to: convention)
                sync()
                state.conventionTried = nil
                // Earlier edits name weights the conversion renamed: undo does not cross a switch.
                state.history = EditHistory()
                state.setMessage("convention \(convention.rawValue): runs as \(convention.frameworkName) does; \(note)")
            } catch {
                let next = ConventionChoice.cycle(after: convention, skipping: state.spec.convention)
                state.setMessage("refused: \(describe(error)) (\(Keymap.names()(.conventionNext)) again: \(next.rawValue))", error: true)
            }
        case let .beside(path):
            openBeside(path)
        case let .loadWeights(path):
            do {
                let before = state.spec.convention
                let note = try model.loadWeights(path: expand(path))
                sync()
                if state.spec.convention != before { state.history = EditHistory() }
                state.setMessage(note)
            } catch {
                state.setMessage("refused: \(errorLine(error, path: path))", error: true)
            }
        }
        return true
    }

    /// A data edit (mask, padding, sizes): re-runs through `edit`, which returns what changed; undo returns to the
    /// experiment before it. On error the previous experiment stays and the message says why.
    private func dataEdit(_ summary: String, _ edit: () throws -> String) {
        let before = model.snapshot()
        do {
            let note = try edit()
            // The note says it all when it starts with what the edit did (a padding move names its row and where).
            let said = note.isEmpty ? summary : note.hasPrefix(summary) ? note : summary + " (" + note + ")"
            state.history.record(before, summary: said)
            sync()
            state.setMessage("re-ran: \(said) (\(Keymap.names()(.undo)) undoes)")
        } catch {
            sync()
            state.setMessage("refused: \(describe(error))", error: true)
        }
    }

    /// Undo and redo: back to exactly the experiment `target` holds (inputs in their layout, weights, initial state).
    /// Returns the experiment it left (for the other side of the history), nil with the reason on the message line
    /// when `target` cannot be rebuilt.
    private func travel(to target: ExplorerModel.Snapshot, summary: String) -> ExplorerModel.Snapshot? {
        let here = model.snapshot()
        do {
            try model.restore(target)
        } catch {
            state.setMessage("refused: \(describe(error))", error: true)
            return nil
        }
        sync()
        state.setMessage("re-ran: \(summary)")
        return here
    }

    /// When `path` exists, asks whether to replace it (a yes runs `command`) and returns true.
    private func askBeforeOverwriting(_ path: String, _ command: Command) -> Bool {
        guard FileManager.default.fileExists(atPath: expand(path)) else { return false }
        let yes = Keymap.names()(.confirm, in: .question)
        state.confirmation = Confirmation(question: "\(path) exists: overwrite it? (\(yes): yes, any other key: no)", command: command)
        return true
    }

    private func expand(_ path: String) -> String { (path as NSString).expandingTildeInPath }

    /// An error in one line that names `path` once (errors from the loader already start with the file).
    private func errorLine(_ error: Error, path: String) -> String {
        let text = (error as? ExperimentError)?.description ?? describe(error)
        return text.hasPrefix(path) || text.contains(path) ? text : "\(path): \(text)"
    }
}
