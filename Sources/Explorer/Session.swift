import Experiment
import Foundation
import RNNEngine

/// A loaded experiment being computed, seen without its scalar type: what the explorer asks of a run.
/// Frames come from the engine's `RecordedRun` (recomputed from checkpoints on demand); nothing here does
/// RNN math.
public protocol ExplorerSession: AnyObject, SessionViews {
    var spec: ExperimentSpec { get }
    var inputShape: [Int] { get }
    var batchSize: Int { get }
    var maxTime: Int { get }
    var inputDepth: Int { get }
    /// Steps the loop of direction `d` runs: `max(1, max(sequence_length))`, or max_time.
    func loopBound(_ d: Direction) -> Int
    /// The step mask the layers are given, in input order (`LoadedExperiment.stepMask`: the file's `mask` or what
    /// `Masking(mask_value)` computes); nil under `sequence_length` or without a mask.
    var stepMask: StepMask? { get }
    /// Steps computed so far in direction `d`.
    func completed(_ d: Direction) -> Int
    /// The engine's masking rule: whether row `b` of direction `d` is masked (copied through) at step `t`.
    func isMasked(_ d: Direction, row b: Int, time t: Int) -> Bool
    /// The input step (and output position) step `t` of direction `d` reads for row `b`: `t` forward, the
    /// `reverse_sequence` position backward.
    func sourceStep(_ d: Direction, row b: Int, time t: Int) -> Int
    /// Why the background pass stopped, if it failed.
    var failure: String? { get }
    /// Frames of direction `d` for `range`, clamped to the steps computed so far.
    func frames(_ d: Direction, _ range: Range<Int>) throws -> [FrameData]
    /// Where this session's jobs (its forward pass, sweeps and comparisons) post their messages; set before `start`.
    var mailbox: Mailbox { get set }
    /// Starts the forward pass as a background job (once).
    func start()
    /// Asks the background pass to stop (between two steps).
    func cancel()
    /// Blocks until the background pass has ended, starting it if needed (tests).
    func waitUntilComplete(timeout: TimeInterval) -> Bool
    /// A new session for an edited spec: kept weights whose names and shapes still fit, defaults from the seed
    /// for the rest; `transposeInputs` swaps the inputs' first two axes (a time-major toggle); `layerOrigins` which
    /// layer each layer of an edited stack was (its weights follow it). Throws when the edited experiment is invalid
    /// (the engine's reason).
    func rebuilt(spec: ExperimentSpec, transposeInputs: Bool, layerOrigins: [Direction: [Int?]]) throws -> (session: ExplorerSession, note: String)
    /// A new session whose valid steps are `mask` (in input order; nil: no masking): lengths where it is a prefix of
    /// an experiment given lengths, else a `mask` (`LoadedExperiment.withMask`). Throws the convention's refusal.
    func withMask(_ mask: StepMask?) throws -> (session: ExplorerSession, note: String)
    /// A new session with example `b`'s padding moved (front and back again; its inputs move with their steps).
    func withPaddingMoved(example b: Int) throws -> (session: ExplorerSession, note: String)
    /// A new session with inputs of another size, cropped or extended from the seed (`LoadedExperiment.reshaped`).
    func reshaped(batchSize: Int, maxTime: Int, inputDepth: Int) throws -> (session: ExplorerSession, notes: [String])
    /// The padding doctor's table for this experiment's mask (`LoadedExperiment.paddingDiagnosis`): each framework
    /// given the mask, the lengths a converter makes of it, or no mask, against Keras with the mask.
    func paddingDiagnosis() throws -> PaddingDiagnosis?
    /// A way back to exactly this experiment (its inputs in their layout, weights, initial state): builds a new
    /// session, not started, without keeping this one's recorded runs alive (what undo and redo return to).
    func snapshot() -> () throws -> ExplorerSession
    /// A new session with weights from an archive (TensorFlow, Keras or PyTorch names: the convention follows the names), strictly checked.
    func withWeights(_ arrays: [String: NumpyArray], from file: String) throws -> (session: ExplorerSession, note: String)
    /// The weights the cells use, by TF variable name (given or created from the seed).
    func weightArrays() throws -> [(String, NumpyArray)]
    /// The names and shapes of `weightArrays()` (computed once per session; empty when the weights cannot be read).
    var weightShapes: [(name: String, shape: [Int])] { get }
    /// The inputs as they are now (in the current layout).
    func inputsArray() throws -> NumpyArray
    /// `initial_state/...` arrays, empty for a zero state.
    func initialStateArrays() throws -> [(String, NumpyArray)]
    /// Bytes the recorded runs hold.
    var memoryFootprint: Int { get }
    /// Writes the recorded frames to `path` (`Export`). Returns a note.
    func exportFrames(to path: String) throws -> String
}

extension ExplorerSession {
    /// Steps computed over all directions, and the total.
    public var progress: (done: Int, total: Int) {
        let directions = spec.directions
        return (directions.reduce(0) { $0 + completed($1) }, maxTime * directions.count)
    }

    public var isComplete: Bool { let p = progress; return p.done >= p.total }
}

/// The session for one scalar type: the loaded experiment, one `RecordedRun` per direction and the job
/// computing them.
final class Session<Scalar: RNNScalar>: ExplorerSession {
    let experiment: LoadedExperiment<Scalar>
    let runs: [RecordedRun<Scalar>]
    var mailbox = Mailbox()
    private let lock = NSLock()
    private var job: Job?

    /// Builds the loops (validating the experiment the way `dynamic_rnn` does) and the recorded runs.
    /// Long runs keep sparse checkpoints (`swapMemory`) so memory stays bounded.
    init(_ experiment: LoadedExperiment<Scalar>) throws {
        self.experiment = experiment
        let directions = experiment.spec.bidirectional ? [false, true] : [false]
        runs = try directions.map { backward in
            let loop = try experiment.makeLoop(backward: backward)
            return RecordedRun(loop: loop, swapMemory: loop.maxTime > 64)
        }
    }

    deinit { cancel() }

    var spec: ExperimentSpec { experiment.spec }
    var inputShape: [Int] { experiment.inputs.shape }
    var batchSize: Int { experiment.batchSize }
    var maxTime: Int { experiment.maxTime }
    var inputDepth: Int { experiment.inputDepth }
    /// The recorded run of direction `d`, nil when the experiment has no such pass.
    private func run(_ d: Direction) -> RecordedRun<Scalar>? { runs.indices.contains(d.rawValue) ? runs[d.rawValue] : nil }
    func loopBound(_ d: Direction) -> Int { run(d)?.loop.loopBound ?? 0 }
    func completed(_ d: Direction) -> Int { run(d)?.completedSteps ?? 0 }
    func isMasked(_ d: Direction, row b: Int, time t: Int) -> Bool {
        guard let run = run(d), b >= 0, b < batchSize else { return false }
        return run.loop.isMasked(row: b, time: t)
    }
    func sourceStep(_ d: Direction, row b: Int, time t: Int) -> Int {
        guard let loop = run(d)?.loop, (d == .backward || spec.model.goesBackwards) else { return t }
        // A step mask or go_backwards reverses whole rows; the backward pass under lengths reverses each row within them.
        let reversesWholeRows = loop.stepMask != nil || spec.model.goesBackwards
        let length = reversesWholeRows ? nil : loop.sequenceLength.flatMap { $0.indices.contains(b) ? $0[b] : nil }
        return reversedTimeIndex(t, length: length, maxTime: maxTime)
    }
    var stepMask: StepMask? { experiment.stepMask }

    var failure: String? {
        for r in runs { if let e = r.error { return describe(e) } }
        return nil
    }

    var memoryFootprint: Int { runs.reduce(0) { $0 + $1.memoryFootprint } }

    func frames(_ d: Direction, _ range: Range<Int>) throws -> [FrameData] {
        try emittedFrames(d, range).map(FrameData.init)
    }

    /// The engine's frames of direction `d` for `range` (clamped to the steps computed so far), with what the run
    /// emits under its convention.
    func emittedFrames(_ d: Direction, _ range: Range<Int>) throws -> [EmittedFrame<Scalar>] {
        guard let run = run(d), !range.isEmpty else { return [] }
        let rule = spec.convention.maskedOutput(bidirectional: spec.bidirectional)
        // The frames are dynamic_rnn's (masked rows emit 0); a convention that emits something else there
        // (Keras: the row's last valid output) gets that output from the run's kept outputs.
        let source: (Int, Int) -> Int?
        if let mask = run.loop.stepMask {
            source = { b, t in rule == .zeros ? nil : mask.lastValidStep(example: b, before: t) }
        } else {
            let lengths = run.loop.sequenceLength
            source = { b, t in lengths.flatMap { $0.indices.contains(b) ? rule.sourceStep(time: t, length: $0[b]) : nil } }
        }
        return try run.frames(range).map { EmittedFrame($0, source: source, output: run.output(at:)) }
    }

    /// Starts the job computing every direction's run in turn; it posts progress at every step (or chunk) and
    /// `forwardDone` at the end.
    func start() {
        lock.lock()
        defer { lock.unlock() }
        guard job == nil else { return }
        let runs = self.runs
        job = Job.start(posting: mailbox) { job in
            for r in runs {
                r.compute(shouldStop: {
                    job.post(.progress)
                    return job.isCancelled
                })
                if job.isCancelled || r.error != nil { break }
            }
            job.post(.forwardDone)
        }
    }

    func cancel() { lock.withLock { job }?.cancel() }

    func waitUntilComplete(timeout: TimeInterval) -> Bool {
        start()
        return lock.withLock { job }?.wait(timeout: timeout) ?? false
    }

    // MARK: - Edits

    func rebuilt(spec newSpec: ExperimentSpec, transposeInputs: Bool, layerOrigins: [Direction: [Int?]]) throws -> (session: ExplorerSession, note: String) {
        let (edited, summary) = try experiment.edited(spec: newSpec, transposeInputs: transposeInputs, layerOrigins: layerOrigins)
        var notes: [String] = []
        if let summary {
            if !experiment.store.arrays.isEmpty {
                let kept = summary.keptWeights
                notes.append("kept \(kept) given weight\(kept == 1 ? "" : "s"), \(summary.seededWeights) new from seed \(newSpec.seed): "
                             + Self.weightsNote(summary.layers, bidirectional: newSpec.bidirectional, seed: newSpec.seed))
            }
            if summary.droppedInitialStates.contains(.forward) { notes.append("initial state no longer fits: zero state") }
        }
        return (try Session(edited), notes.joined(separator: "; "))
    }

    func withMask(_ mask: StepMask?) throws -> (session: ExplorerSession, note: String) {
        let (edited, note) = try experiment.withMask(mask)
        return (try edited.located { try Session(edited) }, note)
    }

    func withPaddingMoved(example b: Int) throws -> (session: ExplorerSession, note: String) {
        let (edited, note) = try experiment.withPaddingMoved(example: b)
        return (try edited.located { try Session(edited) }, note)
    }

    func reshaped(batchSize: Int, maxTime: Int, inputDepth: Int) throws -> (session: ExplorerSession, notes: [String]) {
        let (edited, notes) = try experiment.reshaped(batchSize: batchSize, maxTime: maxTime, inputDepth: inputDepth)
        return (try edited.located { try Session(edited) }, notes)
    }

    func paddingDiagnosis() throws -> PaddingDiagnosis? {
        // Twelve runs of the model (four frameworks, three variants): bounded like the comparison view's.
        let widths = spec.directions.map { spec.cell(for: $0).outputSize }
        let scalars = 12 * batchSize * maxTime * widths.reduce(0, +)
        guard scalars <= ComparisonRun.scalarBudget else {
            throw RNNError.invalidArgument("the padding doctor runs the model 12 times (\(Format.count(scalars)) output values), more than the explorer computes while drawing; unroll compare computes it")
        }
        return try experiment.paddingDiagnosis()
    }

    func snapshot() -> () throws -> ExplorerSession {
        let experiment = self.experiment
        return { try Session(experiment) }
    }

    /// Which layers kept their given weights and which got new ones from the seed, layer by layer:
    /// `layer 0 keeps its 2 given weights; layer 1 (new): 2 weights from seed 0`.
    static func weightsNote(_ layers: [LoadedExperiment<Scalar>.LayerWeights], bidirectional: Bool, seed: UInt64) -> String {
        layers.map { l in
            let name = (bidirectional ? "\(l.direction.name) " : "") + "layer \(l.index)"
                + (l.origin == nil ? " (new)" : l.origin != l.index ? " (was \(l.origin ?? 0))" : "")
            func weights(_ n: Int, _ kind: String) -> String { "\(n) \(kind)weight\(n == 1 ? "" : "s")" }
            switch (l.kept, l.seeded) {
            case (_, 0): return "\(name) keeps its \(weights(l.kept, "given "))"
            case (0, _): return "\(name): \(weights(l.seeded, "")) from seed \(seed)"
            default: return "\(name) keeps \(weights(l.kept, "given ")), \(l.seeded) new from seed \(seed)"
            }
        }.joined(separator: "; ")
    }

    func withWeights(_ arrays: [String: NumpyArray], from file: String) throws -> (session: ExplorerSession, note: String) {
        // Read under the framework the names show (`LoadedExperiment.withWeights`), the convention following them.
        let (loaded, convention) = try experiment.withWeights(arrays, file: file)
        let session = try loaded.located { try Session(loaded) }
        guard convention == .tf, spec.convention == .tf else {
            let note = "recognised \(convention.frameworkPossessive) names: loaded weights from \(file) for the \(convention.rawValue) convention"
                + (convention == spec.convention ? "" : " (now run as \(convention.frameworkName) runs it)")
            return (session, note)
        }
        let unused = loaded.store.unusedNames
        let note = "TensorFlow names: loaded \(loaded.store.arrays.count - unused.count) weights from \(file) for the tf convention"
            + (unused.isEmpty ? "" : "; \(unused.count) unused (\(unused.prefix(2).joined(separator: ", ")))")
        return (session, note)
    }

    // MARK: - Arrays for saving

    func weightArrays() throws -> [(String, NumpyArray)] { try experiment.weightArrays() }

    private var shapesOfWeights: [(name: String, shape: [Int])]?
    var weightShapes: [(name: String, shape: [Int])] {
        if let s = lock.withLock({ shapesOfWeights }) { return s }
        let shapes = ((try? experiment.weightArrays()) ?? []).map { (name: $0.0, shape: $0.1.shape) }
        lock.withLock { shapesOfWeights = shapes }
        return shapes
    }

    func inputsArray() throws -> NumpyArray { try NumpyArray(experiment.inputs) }

    func exportFrames(to path: String) throws -> String { try Export.write(self, to: path) }

    func initialStateArrays() throws -> [(String, NumpyArray)] { try experiment.initialStateArrays() }
}

/// An error as one line for the message bar.
func describe(_ error: Error) -> String {
    if let e = error as? ExperimentError { return e.message.isEmpty ? e.description : (e.field.isEmpty ? e.message : "\(e.field): \(e.message)") }
    if let e = error as? RNNError { return e.description }
    if let e = error as? NumpyError { return e.description }
    return "\(error)"
}
