/// Which steps of each example are valid: the mask Keras layers take (`mask`, or what `Masking(mask_value)`
/// computes), of any pattern: pre-padded rows, post-padded rows (the same as `sequence_length`), holes, rows with
/// no valid step. Batch-major (`[batch, max_time]`) whatever the inputs' layout.
public struct StepMask: Sendable, Equatable {
    public let batchSize: Int
    public let maxTime: Int
    /// Row-major `[batch, max_time]`: true where the step is valid.
    public let valid: [Bool]

    /// A mask from its `[batch, max_time]` values (row-major); throws when their count is not `batch · max_time`.
    public init(valid: [Bool], batchSize: Int, maxTime: Int) throws {
        let (count, overflow) = batchSize.multipliedReportingOverflow(by: maxTime)
        guard batchSize >= 0, maxTime >= 0, !overflow, count == valid.count else {
            throw RNNError.badMask("a mask of shape [\(batchSize), \(maxTime)] needs \(batchSize)·\(maxTime) values, got \(valid.count)")
        }
        self.batchSize = batchSize
        self.maxTime = maxTime
        self.valid = valid
    }

    /// The mask `t < lengths[b]` (a prefix per row; lengths clamped to `0...maxTime`), as Keras is given lengths.
    public init(lengths: [Int], maxTime: Int) {
        let t = max(0, maxTime)
        self.batchSize = lengths.count
        self.maxTime = t
        self.valid = lengths.flatMap { l in (0..<t).map { $0 < l } }
    }

    /// Whether step `t` of example `b` is valid.
    @inline(__always)
    public func isValid(example b: Int, step t: Int) -> Bool { valid[b * maxTime + t] }

    /// Example `b`'s valid steps, in increasing order.
    public func validSteps(example b: Int) -> [Int] { (0..<maxTime).filter { isValid(example: b, step: $0) } }

    /// Example `b`'s masked steps, in increasing order.
    public func maskedSteps(example b: Int) -> [Int] { (0..<maxTime).filter { !isValid(example: b, step: $0) } }

    /// The last valid step of example `b` before step `t` (nil when none): the output a Keras layer repeats at a
    /// masked step `t` (`MaskedOutputRule.repeatLastValid`).
    public func lastValidStep(example b: Int, before t: Int) -> Int? {
        stride(from: min(t, maxTime) - 1, through: 0, by: -1).first { isValid(example: b, step: $0) }
    }

    /// Whether example `b` is valid exactly on its first steps (`t < n`): what a length expresses.
    public func isPrefix(example b: Int) -> Bool {
        var ended = false
        for t in 0..<maxTime {
            if !isValid(example: b, step: t) { ended = true } else if ended { return false }
        }
        return true
    }

    /// The lengths (`mask.sum(axis=1)`) when every row is a prefix, nil otherwise.
    public var prefixLengths: [Int]? {
        guard (0..<batchSize).allSatisfy(isPrefix) else { return nil }
        return (0..<batchSize).map { validSteps(example: $0).count }
    }

    /// The first example (lowest index) whose mask is not a prefix, and its masked steps; nil when every row is one.
    public var firstNonPrefix: (example: Int, maskedSteps: [Int])? {
        guard let b = (0..<batchSize).first(where: { !isPrefix(example: $0) }) else { return nil }
        return (b, maskedSteps(example: b))
    }

    /// The mask read from the last step to the first (Keras' `go_backwards` reverses it with the inputs).
    public func reversedInTime() -> StepMask {
        var out = valid
        for b in 0..<batchSize {
            for t in 0..<maxTime { out[b * maxTime + t] = valid[b * maxTime + maxTime - 1 - t] }
        }
        return StepMask(unchecked: out, batchSize: batchSize, maxTime: maxTime)
    }

    /// Keras' `Masking(mask_value=value)` on `inputs` (`[batch, time, depth]`, or time-major): step t of example b
    /// is masked where every feature equals `value` in the inputs' scalar type (`any(inputs != value, axis=-1)`).
    public static func masking<Scalar: RNNScalar>(_ inputs: Tensor<Scalar>, value: Scalar, timeMajor: Bool) throws -> StepMask {
        guard inputs.rank == 3 else { throw RNNError.inputRankTooLow(path: "inputs", shape: inputs.shape) }
        let (time, batch, depth) = timeMajor ? (inputs.shape[0], inputs.shape[1], inputs.shape[2])
                                             : (inputs.shape[1], inputs.shape[0], inputs.shape[2])
        var out = [Bool](repeating: false, count: batch * time)
        for b in 0..<batch {
            for t in 0..<time {
                let o = stepOffset(t, b, time: time, batch: batch, width: depth, timeMajor: timeMajor)
                out[b * time + t] = (0..<depth).contains { inputs.scalars[o + $0] != value }
            }
        }
        return StepMask(unchecked: out, batchSize: batch, maxTime: time)
    }

    private init(unchecked valid: [Bool], batchSize: Int, maxTime: Int) {
        self.batchSize = batchSize
        self.maxTime = maxTime
        self.valid = valid
    }
}

/// The offset of step `t` of example `b` in a `[batch, time, width]` array (`[time, batch, width]` when time-major).
@inline(__always)
func stepOffset(_ t: Int, _ b: Int, time: Int, batch: Int, width: Int, timeMajor: Bool) -> Int {
    timeMajor ? (t * batch + b) * width : (b * time + t) * width
}

/// A Keras run under a mask that is not a prefix, as a run under lengths. A masked step leaves the state as it was
/// and its input is never read, so each row's valid steps moved to its front (`gather`) run exactly as a row of
/// that many steps; the outputs go back to the valid steps (`scatter`), and masked steps emit what the
/// convention's rule says (the previous valid step's output, or zeros). Both maps are linear: their adjoints
/// carry the gradients.
struct MaskCompaction: Sendable {
    /// Per example, its valid steps in increasing order.
    let steps: [[Int]]
    let maxTime: Int

    init(_ mask: StepMask) {
        steps = (0..<mask.batchSize).map(mask.validSteps)
        maxTime = mask.maxTime
    }

    /// Each example's number of valid steps: the lengths of the compacted run.
    var lengths: [Int] { steps.map(\.count) }

    /// The source of each step of `example` in the compacted run: `k` for the k-th valid step; for a masked step,
    /// the previous valid step's `k` under `repeatLastValid`, nil (zeros) before it or under `zeros`.
    func sources(example b: Int, rule: MaskedOutputRule) -> [Int?] {
        var out = [Int?](repeating: nil, count: maxTime)
        var k = 0, last: Int?
        for t in 0..<maxTime {
            if k < steps[b].count, steps[b][k] == t {
                out[t] = k
                last = k
                k += 1
            } else if rule == .repeatLastValid {
                out[t] = last
            }
        }
        return out
    }

    /// `x` with each row's valid steps moved to its front (in order) and zeros after them.
    func gather<S: RNNScalar>(_ x: Tensor<S>, timeMajor: Bool) -> Tensor<S> {
        map(x, timeMajor: timeMajor) { b in
            (0..<maxTime).map { k in k < steps[b].count ? steps[b][k] : nil }
        }
    }

    /// The compacted run's outputs `y` back at the steps they belong to, masked steps as `rule` says.
    func scatter<S: RNNScalar>(_ y: Tensor<S>, timeMajor: Bool, rule: MaskedOutputRule) -> Tensor<S> {
        map(y, timeMajor: timeMajor) { sources(example: $0, rule: rule) }
    }

    /// The adjoint of `scatter`: a cotangent of the scattered outputs as one of the compacted run's (a repeated
    /// output's cotangent added to the step it copies; masked steps under `zeros` pass nothing on).
    func pullBack<S: RNNScalar>(_ cotangent: Tensor<S>, timeMajor: Bool, rule: MaskedOutputRule) -> Tensor<S> {
        guard cotangent.rank == 3 else { return cotangent }
        let (time, batch, width) = dims(cotangent.shape, timeMajor: timeMajor)
        var out = [S](repeating: 0, count: cotangent.count)
        for b in 0..<batch {
            for (t, k) in sources(example: b, rule: rule).enumerated() where t < time {
                guard let k else { continue }
                let d = stepOffset(k, b, time: time, batch: batch, width: width, timeMajor: timeMajor)
                let s = stepOffset(t, b, time: time, batch: batch, width: width, timeMajor: timeMajor)
                for i in 0..<width { out[d + i] += cotangent.scalars[s + i] }
            }
        }
        return Tensor(unchecked: cotangent.shape, scalars: out)
    }

    /// Each step `t` of row `b` of the result is step `source(b)[t]` of `x`'s row (zeros where nil).
    private func map<S: RNNScalar>(_ x: Tensor<S>, timeMajor: Bool, source: (Int) -> [Int?]) -> Tensor<S> {
        guard x.rank == 3 else { return x }
        let (time, batch, width) = dims(x.shape, timeMajor: timeMajor)
        var out = [S](repeating: 0, count: x.count)
        for b in 0..<batch {
            for (t, s) in source(b).enumerated() where t < time {
                guard let s else { continue }
                let d = stepOffset(t, b, time: time, batch: batch, width: width, timeMajor: timeMajor)
                let o = stepOffset(s, b, time: time, batch: batch, width: width, timeMajor: timeMajor)
                for i in 0..<width { out[d + i] = x.scalars[o + i] }
            }
        }
        return Tensor(unchecked: x.shape, scalars: out)
    }

    private func dims(_ shape: [Int], timeMajor: Bool) -> (time: Int, batch: Int, width: Int) {
        timeMajor ? (shape[0], shape[1], shape[2]) : (shape[1], shape[0], shape[2])
    }
}

/// How a model runs under a step mask: the inputs read backwards (Keras' `go_backwards`), then either lengths (a
/// prefix mask, the same run as `sequence_length`) or Keras' compaction of any other mask.
struct MaskedRun: Sendable {
    /// Whether the layer reads the steps from last to first and returns its outputs in that order.
    let backwards: Bool
    /// The lengths the run is given (the prefix mask's, or the compacted rows').
    let lengths: [Int]?
    let compaction: MaskCompaction?
    let timeMajor: Bool

    /// The inputs the run reads: reversed in time when `backwards`, compacted under a mask that is not a prefix.
    func inputs<S: RNNScalar>(_ x: Tensor<S>) throws -> Tensor<S> {
        let read = backwards ? try reverseSequence(x, lengths: nil, timeMajor: timeMajor) : x
        return compaction?.gather(read, timeMajor: timeMajor) ?? read
    }

    /// A direction's outputs as the layer returns them (in reading order: `go_backwards` does not flip them back).
    func outputs<S: RNNScalar>(_ y: Tensor<S>, rule: MaskedOutputRule) -> Tensor<S> {
        compaction?.scatter(y, timeMajor: timeMajor, rule: rule) ?? y
    }

    /// `∂L/∂inputs` from the run's input gradient: zero at masked steps, back in the inputs' time order.
    func inputGradient<S: RNNScalar>(_ g: Tensor<S>) throws -> Tensor<S> {
        let spread = compaction?.scatter(g, timeMajor: timeMajor, rule: .zeros) ?? g
        return backwards ? try reverseSequence(spread, lengths: nil, timeMajor: timeMajor) : spread
    }

    /// A loss on the returned outputs as a loss on the compacted run's.
    func loss<S: RNNScalar>(_ loss: RNNLoss<S>, rule: MaskedOutputRule, batch: Int, width: Int) -> RNNLoss<S> {
        guard let c = compaction else { return loss }
        let shape = timeMajor ? [c.maxTime, batch, width] : [batch, c.maxTime, width]
        switch loss {
        case let .cotangents(outputs?, state):
            return .cotangents(outputs: c.pullBack(outputs, timeMajor: timeMajor, rule: rule), state: state)
        case .sumOfOutputs:
            return .cotangents(outputs: c.pullBack(Tensor(repeating: 1, shape: shape), timeMajor: timeMajor, rule: rule), state: nil)
        case let .outputUnit(example, step, unit):
            guard c.steps.indices.contains(example), step >= 0, step < c.maxTime,
                  let k = c.sources(example: example, rule: rule)[step] else { return .cotangents(outputs: nil, state: nil) }
            return .outputUnit(example: example, step: k, unit: unit)
        case .cotangents(nil, _), .finalState:
            return loss
        }
    }
}

extension RNNModel {
    /// Whether a layer reads its steps backwards (Keras' `go_backwards`; `validate` allows it under keras, outside
    /// `Bidirectional`).
    public var goesBackwards: Bool {
        directions.contains { cell(for: $0).layers.contains { $0.unwrappedLayer?.goBackwards == true } }
    }

    /// Whether the outputs come in reverse time order: the top layer reads its steps backwards.
    public var outputsReversed: Bool { cell.layers.last?.unwrappedLayer?.goBackwards == true }

    /// How the model runs under `mask` (`[batch, max_time]` of the inputs): lengths when the mask (read in the
    /// layer's order) is a prefix, Keras' compaction otherwise; tf and torch refuse any other mask in one line.
    func maskedRun(_ mask: StepMask?, inputShape: [Int], timeMajor: Bool) throws -> MaskedRun {
        guard inputShape.count == 3 else { throw RNNError.inputRankTooLow(path: "inputs", shape: inputShape) }
        let (time, batch) = timeMajor ? (inputShape[0], inputShape[1]) : (inputShape[1], inputShape[0])
        if let m = mask, m.batchSize != batch || m.maxTime != time {
            throw RNNError.badMask("shape [\(m.batchSize), \(m.maxTime)], expected [batch, max_time] = [\(batch), \(time)] (batch-major, from the inputs)")
        }
        let backwards = goesBackwards
        guard let read = backwards ? mask?.reversedInTime() : mask else {
            return MaskedRun(backwards: backwards, lengths: nil, compaction: nil, timeMajor: timeMajor)
        }
        if let lengths = read.prefixLengths {
            if convention.refusesEmptySequences, let b = lengths.firstIndex(of: 0) {
                throw RNNError.badMask("example \(b) has no valid step: a row of length 0, which PyTorch's pack_padded_sequence refuses (the tf and keras conventions accept it)")
            }
            return MaskedRun(backwards: backwards, lengths: lengths, compaction: nil, timeMajor: timeMajor)
        }
        guard convention.takesAnyMask else {
            let (example, masked) = read.firstNonPrefix ?? (0, [])
            throw RNNError.badMask(convention.maskRefusal(example: example, maskedSteps: masked))
        }
        let c = MaskCompaction(read)
        return MaskedRun(backwards: backwards, lengths: c.lengths, compaction: c, timeMajor: timeMajor)
    }

    /// Runs the model under a step mask (nil: every step valid) as the convention's framework would: a prefix mask
    /// is the run `sequence_length` gives; Keras runs any mask (a masked step carries the state and repeats the
    /// layer's previous output, zeros before the first valid step; both directions emit zeros inside
    /// `Bidirectional`; a `go_backwards` layer returns its outputs in the order it read the steps).
    public func run<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, mask: StepMask?,
        initialStates: [Nest<Tensor<Scalar>>?] = [], timeMajor: Bool = false, parallelIterations: Int = 32,
        swapMemory: Bool = false
    ) throws -> ModelResult<Scalar> {
        try validate()
        if runsLayerByLayer {
            return try layerByLayer(store: store, inputs: inputs, mask: mask, initialStates: initialStates, timeMajor: timeMajor,
                                    parallelIterations: parallelIterations, swapMemory: swapMemory, losses: nil).result
        }
        let plan = try maskedRun(mask, inputShape: inputs.shape, timeMajor: timeMajor)
        let r = try runReadingForward(store: store, inputs: try plan.inputs(inputs), sequenceLength: plan.lengths,
                                      initialStates: initialStates, timeMajor: timeMajor, parallelIterations: parallelIterations,
                                      swapMemory: swapMemory, rulesOnly: false)
        let rule = convention.maskedOutput(bidirectional: bidirectional)
        return ModelResult(model: self, outputs: r.outputs.map { plan.outputs($0, rule: rule) }, states: r.states)
    }

    /// The gradients of `losses` (one per direction, against the outputs `run(store:inputs:mask:)` returns) under a
    /// step mask: the compaction's adjoints around `gradients(sequenceLength:)`; `∂L/∂inputs` is zero at masked steps.
    public func gradients<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, mask: StepMask?,
        initialStates: [Nest<Tensor<Scalar>>?] = [], timeMajor: Bool = false, losses: [RNNLoss<Scalar>]
    ) throws -> ModelGradients<Scalar> {
        try validate()
        if runsLayerByLayer {
            let r = try layerByLayer(store: store, inputs: inputs, mask: mask, initialStates: initialStates, timeMajor: timeMajor,
                                     parallelIterations: 32, swapMemory: false, losses: losses)
            guard let g = r.gradients else { throw RNNError.invalidArgument("gradients: the backward pass did not finish") }
            return g
        }
        let plan = try maskedRun(mask, inputShape: inputs.shape, timeMajor: timeMajor)
        let rule = convention.maskedOutput(bidirectional: bidirectional)
        let batch = inputs.shape[timeMajor ? 1 : 0]
        let compacted = losses.enumerated().map { d, loss in
            plan.loss(loss, rule: rule, batch: batch, width: cell(for: d == 0 ? .forward : .backward).outputSize)
        }
        var g = try gradientsReadingForward(store: store, inputs: try plan.inputs(inputs), sequenceLength: plan.lengths,
                                            initialStates: initialStates, timeMajor: timeMajor, losses: compacted)
        g.result = ModelResult(model: self, outputs: g.result.outputs.map { plan.outputs($0, rule: rule) }, states: g.result.states)
        g.inputs = try plan.inputGradient(g.inputs)
        return g
    }
}

extension RNNModel {
    /// Whether the model runs one layer after the other: a Keras stack with a `go_backwards` layer, whose outputs
    /// (in its reading order) the next layer reads under the mask in input order, as Keras passes it.
    var runsLayerByLayer: Bool { convention == .keras && !bidirectional && cell.layers.count > 1 && goesBackwards }

    /// A Keras stack run layer by layer, each layer under the mask (read in its own order) with Keras' rule for a
    /// plain layer, and with `losses` the gradients, from the top layer down: each layer's input gradient is the
    /// cotangent of the outputs of the layer below.
    func layerByLayer<Scalar: RNNScalar>(
        store: VariableStore<Scalar>, inputs: Tensor<Scalar>, mask: StepMask?, initialStates: [Nest<Tensor<Scalar>>?],
        timeMajor: Bool, parallelIterations: Int, swapMemory: Bool, losses: [RNNLoss<Scalar>]?
    ) throws -> (result: ModelResult<Scalar>, gradients: ModelGradients<Scalar>?) {
        guard inputs.rank == 3 else { throw RNNError.inputRankTooLow(path: "inputs", shape: inputs.shape) }
        let layers = self.layers(inputDepth: inputs.shape[2])
        let initial = initialStates.first.flatMap { $0 }.map { stackLayers($0, count: layers.count) }
        let rule = convention.maskedOutput(bidirectional: false)
        let batch = inputs.shape[timeMajor ? 1 : 0], maxTime = inputs.shape[timeMajor ? 0 : 1]
        func plan(_ l: Int, _ x: Tensor<Scalar>) throws -> MaskedRun {
            try RNNModel(cell: layers[l].spec, convention: convention).maskedRun(mask, inputShape: x.shape, timeMajor: timeMajor)
        }
        var layerInputs = [inputs], states: [Nest<Tensor<Scalar>>] = []
        for (l, layer) in layers.enumerated() {
            let p = try plan(l, layerInputs[l])
            let r = try dynamicRNN(cell: try layer.spec.makeCell(store: store), inputs: .leaf(try p.inputs(layerInputs[l])),
                                   sequenceLength: p.lengths, initialState: initial?[l], dtype: Scalar.dtype,
                                   parallelIterations: parallelIterations, swapMemory: swapMemory, timeMajor: timeMajor, scope: layer.scope)
            layerInputs.append(p.outputs(rule.apply(to: r.outputs, sequenceLength: p.lengths, timeMajor: timeMajor), rule: rule))
            states.append(r.state)
        }
        let result = ModelResult(model: self, outputs: [layerInputs[layers.count]], states: [.tuple(states)])
        guard let losses else { return (result, nil) }
        guard losses.count == 1 else {
            throw RNNError.invalidArgument("gradients: \(losses.count) losses for 1 direction; give one per direction")
        }
        let split = try LayerwiseLoss(losses[0], spec: cell, batch: batch)
        var fromAbove: Tensor<Scalar>?
        var weights: [String: Tensor<Scalar>] = [:], names: [[String]] = Array(repeating: [], count: layers.count)
        var initialGradients: [Nest<Tensor<Scalar>>] = []
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let p = try plan(l, layerInputs[l])
            let loss = fromAbove.map { RNNLoss.cotangents(outputs: $0, state: split.stateCotangents[l]) } ?? split.topLayerLoss(layer: l)
            let width = layers[l].spec.outputSize
            let pulled = rule.pullBack(p.loss(loss, rule: rule, batch: batch, width: width), sequenceLength: p.lengths,
                                       batch: batch, maxTime: maxTime, width: width, timeMajor: timeMajor)
            let g = try dynamicRNNGradients(cell: try layers[l].spec.makeCell(store: store), inputs: try p.inputs(layerInputs[l]),
                                            sequenceLength: p.lengths, initialState: initial?[l], dtype: Scalar.dtype,
                                            timeMajor: timeMajor, scope: layers[l].scope, loss: pulled)
            fromAbove = try p.inputGradient(g.inputs)
            weights.merge(g.weights) { a, _ in a }
            names[l] = g.weightNames
            initialGradients.insert(g.initialState, at: 0)
        }
        guard let dx = fromAbove else { throw RNNError.invalidArgument("gradients: the backward pass did not finish") }
        return (result, ModelGradients(result: result, inputs: dx, initialStates: [.tuple(initialGradients)],
                                       weights: weights, weightNames: names.flatMap { $0 }))
    }
}
