import Experiment
import Foundation
import RNNEngine

/// The explorer's session: the loaded experiment and its background pass, where its arrays came from
/// (for saving), and a cache of the window of frames on screen. Edits build a new session and keep the
/// previous one when they fail.
public final class ExplorerModel {
    public private(set) var session: ExplorerSession
    /// The experiment file as the user named it, nil for the built-in experiment.
    public let file: String?
    /// What relative paths in the spec are relative to.
    public let baseDirectory: URL
    /// The spec as loaded: the paths in it refer to files that hold the original arrays.
    let loadedSpec: ExperimentSpec
    /// The step mask as loaded (from `loadedSpec.mask`).
    let loadedMask: StepMask?
    /// The inputs' layout differs from the file's (time-major toggled).
    private(set) var inputsTransposed = false
    /// The inputs differ from the file's or the seed's (their sizes were edited): saving writes them.
    private(set) var inputsEdited = false
    /// Weights loaded later with `L`, by path (relative to the current directory or absolute).
    private(set) var replacedWeights: String?
    /// Bumped whenever the session changes.
    public private(set) var generation = 0

    /// Frames recently shown, by step, for one generation and direction (least recently used first out), so
    /// going back to a window (g, G, PgUp after PgDn) recomputes nothing and a moved window only its new steps.
    private(set) var frameCache = FrameCache()
    /// The backward view's sweep and its recently shown frames (`Backward/BackwardData.swift`).
    var backwardCache = BackwardCache()
    /// The comparison view's runs (`Compare/Session+Convention.swift`).
    var comparisonCache = ComparisonCache()
    /// Where the jobs of this model's sessions post their messages; the app takes them on its ticks.
    public let mailbox = Mailbox()

    init(session: ExplorerSession, file: String?, baseDirectory: URL) {
        self.session = session
        self.file = file
        self.baseDirectory = baseDirectory
        self.loadedSpec = session.spec
        self.loadedMask = session.stepMask
        session.mailbox = mailbox
    }

    deinit { session.cancel() }

    /// Reads and loads an experiment file or a model file (`ModelFiles`), with the command line's inputs when
    /// given. Errors are `ExperimentError`s naming the file and field.
    public static func load(path: String, options: CommandLineInputs = CommandLineInputs()) throws -> ExplorerModel {
        let opened = try ModelFiles.open(path, options: options)
        return try make(spec: opened.spec, file: path, baseDirectory: opened.baseDirectory)
    }

    /// The built-in default experiment.
    public static func builtIn() throws -> ExplorerModel {
        try make(spec: DefaultExperiment.spec, file: nil,
                 baseDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }

    /// Loads `spec` (arrays relative to `baseDirectory`) and builds its session.
    public static func make(spec: ExperimentSpec, file: String?, baseDirectory: URL) throws -> ExplorerModel {
        let name = file ?? DefaultExperiment.displayName
        func loadSession<Scalar: RNNScalar>(_: Scalar.Type) throws -> ExplorerSession {
            let e = try ExperimentLoader.load(spec, file: name, baseDirectory: baseDirectory, as: Scalar.self)
            return try e.located { try Session(e) }
        }
        let session = try loadSession(spec.dtype.scalarType)
        return ExplorerModel(session: session, file: file, baseDirectory: baseDirectory)
    }

    public var spec: ExperimentSpec { session.spec }
    public var displayName: String { file ?? DefaultExperiment.displayName }

    /// Starts the forward pass's job (once).
    public func start() { session.start() }

    /// Swaps in a new session (an edit, a convention switch).
    func replaceSession(_ s: ExplorerSession) { replace(s) }

    private func replace(_ s: ExplorerSession) {
        session.cancel()
        s.mailbox = mailbox
        session = s
        generation += 1
        frameCache = FrameCache()
        s.start()
    }

    // MARK: - Undo and redo

    /// The experiment as it is now, to come back to: the way back to its session and where its arrays came from.
    public final class Snapshot {
        /// The spec the experiment had.
        public let spec: ExperimentSpec
        let session: () throws -> ExplorerSession
        let inputsTransposed: Bool
        let inputsEdited: Bool
        let replacedWeights: String?

        init(spec: ExperimentSpec, session: @escaping () throws -> ExplorerSession, inputsTransposed: Bool, inputsEdited: Bool,
             replacedWeights: String?) {
            self.spec = spec
            self.session = session
            self.inputsTransposed = inputsTransposed
            self.inputsEdited = inputsEdited
            self.replacedWeights = replacedWeights
        }
    }

    /// The experiment as it is now (before an edit), exactly: inputs in their layout, weights, initial state.
    public func snapshot() -> Snapshot {
        Snapshot(spec: session.spec, session: session.snapshot(), inputsTransposed: inputsTransposed, inputsEdited: inputsEdited,
                 replacedWeights: replacedWeights)
    }

    /// Goes back to a snapshot's experiment (undo, redo) and re-runs it.
    public func restore(_ snapshot: Snapshot) throws {
        let s = try snapshot.session()
        inputsTransposed = snapshot.inputsTransposed
        inputsEdited = snapshot.inputsEdited
        replacedWeights = snapshot.replacedWeights
        replace(s)
    }

    // MARK: - Edits (each re-runs the engine at once; on error the previous session stays)

    /// Re-runs with an edited spec (stack, lengths); `layerOrigins` says which layer each layer of an edited stack
    /// was (`LoadedExperiment.edited`). Returns a note for the message line.
    public func apply(spec newSpec: ExperimentSpec, layerOrigins: [Direction: [Int?]] = [:]) throws -> String {
        let (s, note) = try session.rebuilt(spec: newSpec, transposeInputs: false, layerOrigins: layerOrigins)
        replace(s)
        return note
    }

    /// Re-runs with `mask` as the valid steps (input order; nil: no masking): lengths where it is a prefix of
    /// lengths, else a mask (`LoadedExperiment.withMask`). Returns a note for the message line.
    public func applyMask(_ mask: StepMask?) throws -> String {
        let (s, note) = try session.withMask(mask)
        replace(s)
        return note
    }

    /// Re-runs with example `b`'s padding moved (its inputs move with their steps). Returns a note.
    public func movePadding(example b: Int) throws -> String {
        let (s, note) = try session.withPaddingMoved(example: b)
        inputsEdited = true
        replace(s)
        return note
    }

    /// Re-runs with inputs of another size (cropped, or extended from the seed). Returns what changed.
    public func reshape(batchSize: Int, maxTime: Int, inputDepth: Int) throws -> [String] {
        let (s, notes) = try session.reshaped(batchSize: batchSize, maxTime: maxTime, inputDepth: inputDepth)
        inputsEdited = true
        replace(s)
        return notes
    }

    /// Flips `time_major` and transposes the inputs, so the computation (and every frame) is unchanged.
    public func toggleTimeMajor() throws {
        var spec = session.spec
        spec.timeMajor.toggle()
        let (s, _) = try session.rebuilt(spec: spec, transposeInputs: true, layerOrigins: [:])
        inputsTransposed.toggle()
        replace(s)
    }

    /// Loads weights from an `.npz` under TensorFlow's, Keras' or PyTorch's names (path relative to the current directory).
    public func loadWeights(path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let arrays = try ExperimentError.located(file: path, field: "") { try Npz.read(url) }
        let (s, note) = try session.withWeights(arrays, from: path)
        replacedWeights = url.standardizedFileURL.path
        replace(s)
        return note
    }

    /// The padding doctor's table of the open experiment (view 6 under a mask), computed once per session, or why
    /// there is none.
    func paddingDiagnosis() -> (PaddingDiagnosis?, String?) {
        if let c = paddingCache, c.generation == generation { return (c.diagnosis, c.refusal) }
        var value: (PaddingDiagnosis?, String?)
        do {
            let d = try session.paddingDiagnosis()
            value = (d, d == nil ? "the experiment has no mask" : nil)
        } catch {
            value = (nil, describe(error))
        }
        paddingCache = (generation, value.0, value.1)
        return value
    }
    private var paddingCache: (generation: Int, diagnosis: PaddingDiagnosis?, refusal: String?)?

    // MARK: - Frames on screen

    /// Frames of direction `d` for `range` (clamped to what is computed). Steps shown recently come from the
    /// cache; only the missing ones are recomputed (from the engine's nearest checkpoint).
    ///
    /// With a `cursor`, its step comes first, then runs of the missing ones until `timeBudget` seconds of `clock`
    /// have gone: a jump to a window never shown shows the cursor's frame at once and fills the rest on the next
    /// redraws (`windowIncomplete` says more is to come).
    public func window(direction d: Direction, range: Range<Int>, cursor: Int? = nil, timeBudget: TimeInterval = .infinity,
                       clock: ExplorerClock = SystemClock()) -> (frames: [FrameData], error: String?) {
        let done = session.completed(d)
        let wanted = range.lowerBound..<max(range.lowerBound, min(range.upperBound, done))
        if frameCache.generation != generation || frameCache.direction != d {
            frameCache = FrameCache(generation: generation, direction: d)
        }
        let started = clock.now
        var missing = wanted.filter { frameCache.frames[$0] == nil }
        // A few missing steps are computed at once (one recomputation from the checkpoint is the cost anyway).
        let budget = missing.count <= 16 ? .infinity : timeBudget
        var worked = false
        do {
            if let c = cursor, missing.contains(c), budget.isFinite {
                for f in try session.frames(d, c..<(c + 1)) { frameCache.insert(f) }
                missing.removeAll { $0 == c }
                worked = true
            }
            // Then the missing steps in runs (each run recomputes from the engine's nearest checkpoint once); every
            // call does some work, then stops when the budget is spent.
            while let first = missing.first, budget > 0, !worked || clock.now - started < budget {
                worked = true
                var last = first
                while missing.contains(last + 1), last - first < (budget.isFinite ? 15 : 255) { last += 1 }
                for f in try session.frames(d, first..<(last + 1)) { frameCache.insert(f) }
                missing.removeAll { $0 <= last }
            }
        } catch {
            return ([], describe(error))
        }
        windowIncomplete = !missing.isEmpty
        frameCache.keep(wanted)
        return (wanted.compactMap { frameCache.frames[$0] }, nil)
    }

    /// Whether the last `window` left steps to compute (the app redraws until it is complete).
    public private(set) var windowIncomplete = false

    /// Most (row, step) gate values one saturation chart counts: long runs are counted over a window around `t`.
    static let saturationBudget = 400_000
    private var saturationCache: (key: [Int], done: Int, value: GateSaturation)?

    /// Gate saturation of `layer` in direction `d` over the computed steps (a window around `t` when the run is
    /// long), counted from frames recomputed in chunks; cached until the session or the window changes.
    public func saturation(direction d: Direction, layer: Int, around t: Int, gates: [String], units: Int) -> GateSaturation? {
        let done = session.completed(d)
        let perStep = max(1, session.batchSize * units * max(1, gates.count))
        let span = max(1, min(session.maxTime, Self.saturationBudget / perStep))
        let start = min(max(0, t - span / 2), max(0, session.maxTime - span))
        let steps = start..<min(done, start + span)
        let key = [generation, d.rawValue, layer, steps.lowerBound, steps.upperBound, gates.count]
        if let c = saturationCache, c.key == key { return c.value }
        guard !gates.isEmpty else {
            return GateSaturation(gates: [], left: [], right: [], steps: steps, samples: 0)
        }
        var left = Array(repeating: Array(repeating: 0, count: units), count: gates.count), right = left
        var samples = 0
        var t0 = steps.lowerBound
        while t0 < steps.upperBound {
            let chunk = t0..<min(steps.upperBound, t0 + 256)
            guard let frames = try? session.frames(d, chunk) else { return nil }
            let c = GateSaturation.count(frames: frames, layer: layer, gates: gates, units: units)
            for g in gates.indices { for k in 0..<units { left[g][k] += c.left[g][k]; right[g][k] += c.right[g][k] } }
            samples += c.samples
            t0 = chunk.upperBound
        }
        let n = Double(max(1, samples))
        let value = GateSaturation(gates: gates, left: left.map { $0.map { Double($0) / n } }, right: right.map { $0.map { Double($0) / n } },
                                   steps: steps, samples: samples)
        saturationCache = (key, done, value)
        return value
    }

    // MARK: - Saving

    /// Writes the current experiment as JSON at `path`. Arrays that came from files and are unchanged stay
    /// referenced (by a path that works from the new location); arrays that changed or have no file
    /// (edited weights, transposed inputs) go to `<name>.arrays.npz` next to it. Returns a note.
    public func save(to path: String) throws -> String {
        let target = URL(fileURLWithPath: path).standardizedFileURL
        let dir = target.deletingLastPathComponent()
        var out = session.spec
        var companion: [(String, NumpyArray)] = []
        let stem = target.deletingPathExtension().lastPathComponent
        let companionName = stem + ".arrays.npz"
        func reference(_ relative: String) -> String {
            let abs = URL(fileURLWithPath: relative, relativeTo: baseDirectory).standardizedFileURL
            let d = dir.path.hasSuffix("/") ? dir.path : dir.path + "/"
            return abs.path.hasPrefix(d) ? String(abs.path.dropFirst(d.count)) : abs.path
        }
        let cellsUnchanged = out.cell == loadedSpec.cell && out.cellBackward == loadedSpec.cellBackward
            && out.bidirectional == loadedSpec.bidirectional && out.convention == loadedSpec.convention  // C renames the weights
        if !cellsUnchanged {
            // The old name and description may name cells that are no longer there: say what the stack is now.
            out.name = stem
            out.description = "\(out.cell.summary(for: out.convention))" + (out.bidirectional ? " / bw \(out.cell(for: .backward).summary(for: out.convention))" : "")
                + " (edited in unroll)"
        }
        // Weights.
        if let w = replacedWeights ?? loadedSpec.weights, cellsUnchanged {
            out.weights = reference(w)
        } else if replacedWeights != nil || loadedSpec.weights != nil {
            companion += try session.weightArrays()
            out.weights = companionName
        } else {
            out.weights = nil  // every weight comes from the seed: the file reproduces them
        }
        // A model file is named from the saved file's folder.
        if let m = loadedSpec.modelFile { out.renameModelFile(reference(m)) }
        // Inputs (those held in memory, a model file's seeded or .npy inputs, and edited ones are written alongside).
        if let i = loadedSpec.inputs, !inputsTransposed, !inputsEdited, loadedSpec.memoryArchives[i] == nil {
            out.inputs = reference(i)
        } else if loadedSpec.inputs == nil, !inputsTransposed, !inputsEdited {
            out.inputs = nil
        } else {
            companion.append(("inputs", try session.inputsArray()))
            out.inputs = companionName
            out.batchSize = nil
            out.maxTime = nil
            out.inputDepth = nil
        }
        // The mask: the file's while it is unchanged, else the mask as the layers get it (mask_value recomputes its own).
        if out.maskValue == nil, let m = session.stepMask {
            if let path = loadedSpec.mask, out.mask == loadedSpec.mask, m == loadedMask {
                out.mask = reference(path)
            } else {
                companion.append(("mask", try NumpyArray(shape: [m.batchSize, m.maxTime], storage: .bool(m.valid.map { $0 ? 1 : 0 }))))
                out.mask = companionName
            }
        } else if out.maskValue == nil {
            out.mask = nil
        }
        // Initial state.
        let initial = try session.initialStateArrays()
        if initial.isEmpty {
            out.initialState = nil
        } else if let s = loadedSpec.initialState, cellsUnchanged {
            out.initialState = reference(s)
        } else {
            companion += initial
            out.initialState = companionName
        }
        try ExperimentWriter.write(out, to: target, arrays: companion, companion: companionName)
        return companion.isEmpty ? "saved \(path)" : "saved \(path) and \(companionName) (\(companion.count) arrays)"
    }
}
