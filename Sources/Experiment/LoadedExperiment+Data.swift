import RNNEngine

/// Edits of an experiment's data rather than its cells: which steps are valid (the mask, or the lengths it stands
/// for) and the inputs' sizes (batch, max_time, depth). What the explorer's Sequences and Shapes keys ask for.
extension LoadedExperiment {
    /// What `spec.mask` names for a mask made by an edit (it has no file until the experiment is saved, and saving
    /// writes it beside the other arrays).
    public static var editedMaskName: String { "(edited mask)" }

    /// Which steps of each example are valid now, in input order (batch-major `[batch, max_time]`): the step mask the
    /// layers are given, or `t < sequence_length[b]` (lengths clamped to 0...max_time); nil without either (every
    /// step valid).
    public var validSteps: StepMask? {
        if let m = stepMask { return m }
        return spec.sequenceLength.map { StepMask(lengths: $0, maxTime: maxTime) }
    }

    /// The experiment with `mask` as its valid steps (nil: no masking at all). Where the experiment gives lengths (or
    /// nothing) and every row of `mask` is a prefix, it stays lengths (`sequence_length`, what every framework
    /// expresses); any other mask becomes the experiment's `"mask"` (`mask_value`'s computed mask is replaced by it).
    /// Whether the convention runs it is `makeLoop`'s and `run`'s to say. Returns the edited experiment and a note.
    public func withMask(_ mask: StepMask?) throws -> (experiment: LoadedExperiment, note: String) {
        var newSpec = spec
        var note = ""
        if let m = mask {
            guard m.batchSize == batchSize, m.maxTime == maxTime else {
                throw ExperimentError(file: file, field: "mask",
                                      "shape [\(m.batchSize), \(m.maxTime)], expected [batch, max_time] = [\(batchSize), \(maxTime)]")
            }
            if stepMask == nil, let lengths = m.prefixLengths {
                newSpec.sequenceLength = lengths
                newSpec.mask = nil
            } else {
                if spec.maskValue != nil { note = "mask_value=\(spec.maskValue ?? 0)'s mask is now an explicit mask" }
                if spec.sequenceLength != nil { note = "sequence_length is now a mask (not a prefix: no lengths say it)" }
                newSpec.sequenceLength = nil
                newSpec.maskValue = nil
                newSpec.mask = spec.mask ?? Self.editedMaskName
            }
        } else {
            newSpec.sequenceLength = nil
            newSpec.mask = nil
            newSpec.maskValue = nil
        }
        var out = LoadedExperiment(spec: newSpec, file: file, inputs: inputs, store: store,
                                   initialState: initialState, initialStateBackward: initialStateBackward)
        out.stepMask = newSpec.sequenceLength == nil ? mask : nil
        out.lossArrays = lossArrays
        return (out, note)
    }

    /// The experiment with inputs of `batchSize` examples, `maxTime` steps and `inputDepth` features: the inputs
    /// cropped, or extended with what the seed generates for the new shape (`ExperimentLoader`'s inputs); lengths
    /// kept where they fit (a full row stays full, one longer than the new max_time is clipped to it, a new row is
    /// full); the mask cropped or extended with valid steps; an initial state cropped or extended with zero rows;
    /// a loss's cotangents dropped when the batch or max_time changed; a new depth asks layer 0 for new input
    /// weights (`edited`). Sizes are checked against the memory budget first. Returns the experiment and what changed.
    public func reshaped(batchSize b: Int, maxTime t: Int, inputDepth d: Int) throws -> (experiment: LoadedExperiment, notes: [String]) {
        let limit = 1 << 40
        for (field, v, low) in [("batch_size", b, 1), ("max_time", t, 1), ("input_depth", d, 1)] where v < low || v > limit {
            throw ExperimentError(file: file, field: field, "must lie in \(low)...\(limit), got \(v)")
        }
        let (count, overflow) = b.multipliedReportingOverflow(by: t)
        let (total, overflow2) = count.multipliedReportingOverflow(by: d)
        guard !overflow, !overflow2 else {
            throw ExperimentError(file: file, field: "inputs", "\(b)·\(t)·\(d) input values do not fit in memory")
        }
        var newSpec = spec
        newSpec.batchSize = b
        newSpec.maxTime = t
        newSpec.inputDepth = d
        let shape = spec.timeMajor ? [t, b, d] : [b, t, d]
        try MemoryBudget.check(newSpec, file: file, inputShape: shape)
        _ = total
        // Every value from the seed, then the old inputs wherever they reach.
        var fresh: Tensor<Scalar> = try ExperimentLoader.generatedInputs(spec, shape: shape)
        let (oldB, oldT, oldD) = (batchSize, maxTime, inputDepth)
        func offset(_ row: Int, _ step: Int, _ batch: Int, _ time: Int, _ depth: Int) -> Int {
            spec.timeMajor ? (step * batch + row) * depth : (row * time + step) * depth
        }
        for row in 0..<min(b, oldB) {
            for step in 0..<min(t, oldT) {
                let to = offset(row, step, b, t, d), from = offset(row, step, oldB, oldT, oldD)
                for k in 0..<min(d, oldD) { fresh.scalars[to + k] = inputs.scalars[from + k] }
            }
        }
        var notes: [String] = []
        if b != oldB { notes.append("batch \(oldB) → \(b)" + (b > oldB ? " (new examples from seed \(spec.seed))" : " (examples cropped)")) }
        if t != oldT { notes.append("max_time \(oldT) → \(t)" + (t > oldT ? " (new steps from seed \(spec.seed))" : " (steps cropped)")) }
        if d != oldD { notes.append("depth \(oldD) → \(d)" + (d > oldD ? " (new features from seed \(spec.seed))" : " (features cropped)")) }
        if let lengths = spec.sequenceLength {
            newSpec.sequenceLength = (0..<b).map { row in
                guard row < lengths.count else { return t }
                return lengths[row] >= oldT ? t : min(lengths[row], t)
            }
            if newSpec.sequenceLength != lengths { notes.append("sequence_length \(formatShape(newSpec.sequenceLength ?? []))") }
        }
        var mask: StepMask?
        if let m = stepMask, spec.maskValue == nil {
            let valid = (0..<b).flatMap { row in (0..<t).map { step in row < oldB && step < oldT ? m.isValid(example: row, step: step) : true } }
            mask = try StepMask(valid: valid, batchSize: b, maxTime: t)
            if b > oldB || t > oldT { notes.append("mask extended with valid steps") }
        }
        func rows(_ state: Nest<Tensor<Scalar>>?) -> Nest<Tensor<Scalar>>? {
            guard b != oldB else { return state }
            return state?.map { x in
                guard x.rank == 2 else { return x }
                let w = x.shape[1]
                var out = [Scalar](repeating: 0, count: b * w)
                for row in 0..<min(b, x.shape[0]) { for k in 0..<w { out[row * w + k] = x.scalars[row * w + k] } }
                return (try? Tensor(shape: [b, w], scalars: out)) ?? x
            }
        }
        let initial = rows(initialState), initialBackward = rows(initialStateBackward)
        if b > oldB, initialState != nil || initialStateBackward != nil { notes.append("initial state: new rows start from zeros") }
        var base = LoadedExperiment(spec: spec, file: file, inputs: inputs, store: store,
                                    initialState: initial, initialStateBackward: initialBackward)
        base.stepMask = stepMask
        var (out, summary) = try base.edited(spec: newSpec, inputs: fresh)
        if spec.maskValue != nil {
            // Masking recomputes the mask from the new inputs, as Keras would.
            out.stepMask = out.maskDroppedByInitialState ? nil : try ExperimentError.located(file: file, field: "mask_value") {
                try StepMask.masking(fresh, value: Scalar(spec.maskValue ?? 0), timeMajor: spec.timeMajor)
            }
        } else {
            out.stepMask = mask
        }
        if (b == oldB && t == oldT) { out.lossArrays = lossArrays } else if !lossArrays.isEmpty { notes.append("the loss's cotangent arrays no longer fit: dropped") }
        if let summary, d != oldD { notes.append("layer 0's input weights: \(summary.seededWeights) new from seed \(spec.seed), \(summary.keptWeights) kept") }
        return (out, notes)
    }

    /// The experiment with example `b`'s padding moved: a post-padded row (valid steps first) gets its padding at the
    /// front, as Keras' `pad_sequences` pads by default; any other row (pre-padded, or with holes) gets its valid
    /// steps back at the front, in order. The row's inputs move with their steps (each valid step keeps its values),
    /// so the sequence is the same, only padded differently; the mask follows (`withMask`: lengths while the rows
    /// stay prefixes of lengths, else a mask; `mask_value`'s mask is recomputed from the moved inputs). Throws when
    /// the row has nothing to move (no padding, or no valid step).
    public func withPaddingMoved(example b: Int) throws -> (experiment: LoadedExperiment, note: String) {
        guard b >= 0, b < batchSize else {
            throw ExperimentError(file: file, field: "mask", "example \(b) is out of range (batch_size \(batchSize))")
        }
        let mask = validSteps ?? StepMask(lengths: Array(repeating: maxTime, count: batchSize), maxTime: maxTime)
        let valid = mask.validSteps(example: b), padding = mask.maskedSteps(example: b)
        guard !valid.isEmpty, !padding.isEmpty else {
            throw ExperimentError(file: file, field: "mask", "example \(b) has \(valid.isEmpty ? "no valid step" : "no padding"): nothing to move")
        }
        let toFront = mask.isPrefix(example: b)
        // New step k of the row is old step order[k].
        let order = toFront ? padding + valid : valid + padding
        var x = inputs
        let (time, batch, depth) = (maxTime, batchSize, inputDepth)
        func offset(_ step: Int) -> Int { spec.timeMajor ? (step * batch + b) * depth : (b * time + step) * depth }
        for (k, old) in order.enumerated() {
            for i in 0..<depth { x.scalars[offset(k) + i] = inputs.scalars[offset(old) + i] }
        }
        var rows = mask.valid
        for (k, old) in order.enumerated() { rows[b * time + k] = mask.valid[b * time + old] }
        var moved = LoadedExperiment(spec: spec, file: file, inputs: x, store: store,
                                     initialState: initialState, initialStateBackward: initialStateBackward)
        moved.lossArrays = lossArrays
        let where_ = toFront ? "front (pre-padded, as Keras' pad_sequences pads by default)" : "back (post-padded: the valid steps first)"
        if let v = spec.maskValue {
            // Masking finds the padding in the moved inputs itself.
            moved.stepMask = maskDroppedByInitialState ? nil : try ExperimentError.located(file: file, field: "mask_value") {
                try StepMask.masking(x, value: Scalar(v), timeMajor: spec.timeMajor)
            }
            return (moved, "example \(b)'s padding moved to the \(where_)")
        }
        moved.stepMask = stepMask
        let (out, note) = try moved.withMask(try StepMask(valid: rows, batchSize: batch, maxTime: time))
        return (out, "example \(b)'s padding moved to the \(where_)" + (note.isEmpty ? "" : "; " + note))
    }
}
