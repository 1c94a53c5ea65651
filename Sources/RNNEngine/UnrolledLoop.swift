import Foundation

/// The loop `dynamic_rnn` unrolls, as a value a caller can drive one step at a time:
/// the built cell, validated inputs, lengths and initial state, and the loop bound.
///
/// At step `t` the cell runs on every row; rows with `t >= sequence_length[b]` then keep their previous
/// state (copied through) and emit zeros. The loop stops after `max(1, max(sequence_length))` steps
/// (or `max_time` without lengths); later outputs are zero and the state stays as it was.
public final class UnrolledLoop<Scalar: RNNScalar> {
    public let cell: any RNNCell<Scalar>
    public let inputs: SequenceInputs<Scalar>
    public let sequenceLength: [Int]?
    /// A step mask of any pattern (Keras' `mask`), in the order the loop reads the steps; nil: `sequenceLength`
    /// alone says which steps are masked. A masked step runs as one past the row's length: state copied through,
    /// output zeroed (what the run emits there is the convention's rule: `MaskedOutputRule`).
    public let stepMask: StepMask?
    public let initialState: Nest<Tensor<Scalar>>
    /// Number of steps the loop runs.
    public let loopBound: Int

    public var maxTime: Int { inputs.maxTime }
    public var batchSize: Int { inputs.batchSize }
    public var outputSize: Int { cell.outputSize }

    /// TF's `parallel_iterations`: how many time steps `run()` projects together. On the fused path the input
    /// products `x·W_x + b` of that many steps are one matrix product with `m = parallelIterations · batch`,
    /// and the buffers it needs scale with it (not with `max_time`). Results do not depend on it.
    public var parallelIterations: Int = 32
    /// Whether `run()` may use the fused, layer-wise path (when no step is observed and every layer is a
    /// built-in cell). Turn it off to time or debug the step-by-step path.
    public var allowsFastPath = true
    /// Whether the fused path may run a stack's layers side by side, a chunk apart (see `runFastSegment`);
    /// off, the layers take turns within each chunk. Results are the same either way (tests compare them).
    var runsLayersSideBySide = true
    /// Whether the last `run()` took the fused path. (Runs may overlap on several threads: the record of the
    /// last one is kept under `lastRunLock`.)
    public internal(set) var lastRunUsedFastPath: Bool {
        get { lastRunLock.withLock { lastRunFastPathRecord } }
        set { lastRunLock.withLock { lastRunFastPathRecord = newValue } }
    }
    /// Scalars of working buffers (chunk products, states, scratch) the last fused run allocated: bounded by
    /// `parallelIterations · batch · units`-sized terms, independent of `max_time`.
    var lastRunWorkingScalars: Int {
        get { lastRunLock.withLock { lastRunWorkingScalarsRecord } }
        set { lastRunLock.withLock { lastRunWorkingScalarsRecord = newValue } }
    }
    /// How many layers the last fused run ran side by side (1: one after another; see `runFastSegment`).
    var lastRunLanes: Int {
        get { lastRunLock.withLock { lastRunLanesRecord } }
        set { lastRunLock.withLock { lastRunLanesRecord = newValue } }
    }
    private var lastRunFastPathRecord = false
    private var lastRunWorkingScalarsRecord = 0
    private var lastRunLanesRecord = 1
    private let lastRunLock = NSLock()
    /// Working buffers kept between fused runs (an `Arena<Scalar>`), taken under `arenaLock` while a run uses them.
    var cachedArena: AnyObject?
    let arenaLock = NSLock()
    /// The fused backward of the last gradient run over this loop (a `FusedBackward<Scalar>`: its transposed
    /// weights, working buffers and tape memory), handed to the next run under `arenaLock`.
    var cachedFusedBackward: AnyObject?

    /// Validates everything `dynamic_rnn` validates and builds the cell under `scope`.
    public init(cell: any RNNCell<Scalar>, inputs: Nest<Tensor<Scalar>>, sequenceLength: [Int]?,
                initialState: Nest<Tensor<Scalar>>?, dtype: DType?, timeMajor: Bool, scope: String,
                stepMask: StepMask? = nil) throws {
        if initialState == nil && dtype == nil { throw RNNError.missingDType }
        if let d = dtype, d != Scalar.dtype {
            throw RNNError.dtypeMismatch("dtype \(d.rawValue) was given, but the inputs are \(Scalar.dtype.rawValue)")
        }
        let seq = try SequenceInputs(inputs, timeMajor: timeMajor)
        if let lengths = sequenceLength, lengths.count != seq.batchSize {
            throw RNNError.badSequenceLength(
                "sequence_length must be a vector of length batch_size (\(seq.batchSize)), got \(lengths.count) values")
        }
        if let m = stepMask, m.batchSize != seq.batchSize || m.maxTime != seq.maxTime {
            throw RNNError.badMask("shape [\(m.batchSize), \(m.maxTime)], expected [batch, max_time] = [\(seq.batchSize), \(seq.maxTime)] (batch-major, from the inputs)")
        }
        if stepMask != nil && sequenceLength != nil {
            throw RNNError.badMask("give a step mask or sequence_length, not both")
        }
        try cell.build(inputDepths: seq.depths, scope: scope)
        let state: Nest<Tensor<Scalar>>
        if let given = initialState {
            try UnrolledLoop.check(state: given, sizes: cell.stateSize, batch: seq.batchSize)
            state = given
        } else {
            state = cell.zeroState(batchSize: seq.batchSize)
        }
        self.cell = cell
        self.inputs = seq
        self.sequenceLength = sequenceLength
        self.stepMask = stepMask
        self.initialState = state
        if let m = stepMask {
            // The cell runs up to the last valid step of any row (at least one step, as with lengths).
            let last = (0..<m.batchSize).compactMap { m.validSteps(example: $0).last }.max() ?? 0
            loopBound = min(seq.maxTime, max(1, last + 1))
            // The fused path knows lengths only: a step mask runs step by step.
            allowsFastPath = false
        } else if let lengths = sequenceLength {
            loopBound = min(seq.maxTime, max(1, lengths.max() ?? 0))
        } else {
            loopBound = seq.maxTime
        }
    }

    static func check(state: Nest<Tensor<Scalar>>, sizes: Nest<Int>, batch: Int) throws {
        guard state.sameStructure(as: sizes) else {
            throw RNNError.badInitialState(
                "initial_state has structure \(state.structureDescription), the cell's state is \(sizes.structureDescription)")
        }
        let given = state.flattenedWithPaths, wanted = sizes.flattened
        for ((path, t), size) in zip(given, wanted) where t.shape != [batch, size] {
            let name = path.isEmpty ? "initial_state" : "initial_state/" + path
            throw RNNError.badInitialState("\(name): expected shape \(formatShape([batch, size])), got \(formatShape(t.shape))")
        }
    }

    /// Whether row `b` is masked (copied through) at time `t`.
    @inline(__always)
    public func isMasked(row b: Int, time t: Int) -> Bool {
        if let m = stepMask { return !m.isValid(example: b, step: t) }
        guard let lengths = sequenceLength else { return false }
        return t >= lengths[b]
    }

    /// Runs step `t` from `state`. Returns the emitted (masked) output, the next state, and, when `record`
    /// is true, the full frame.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func step(from state: Nest<Tensor<Scalar>>, at t: Int, record: Bool = false) throws
        -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, frame: Frame<Scalar>?) {
        let batch = batchSize
        let masked = (0..<batch).map { isMasked(row: $0, time: t) }
        guard t < loopBound else {
            let zero = Tensor<Scalar>(zeros: [batch, outputSize])
            let frame = record ? Frame(time: t, masked: Array(repeating: true, count: batch), ran: false,
                                       layers: [], output: zero, state: state) : nil
            return (zero, state, frame)
        }
        let x = inputs.slice(at: t)
        let recorder = record ? StepRecorder<Scalar>() : nil
        if let rec = recorder, case let .leaf(xt) = x {
            rec.beginWholeCell(cellName: cell.name, input: xt, state: state)
        }
        var (output, newState) = try cell.call(x, state: state, context: StepContext(time: t, recorder: recorder))
        recorder?.endWholeCell(output: output, state: newState)
        if masked.contains(true) {
            output = zeroRows(output, masked)
            newState = try newState.zip(state) { new, old in copyRows(new, from: old, masked) }
        }
        var frame: Frame<Scalar>?
        if let rec = recorder {
            let layers = try rec.layers.map { l -> LayerFrame<Scalar> in
                let computed = l.stateAfter ?? l.stateBefore
                let after = try computed.zip(l.stateBefore) { new, old in copyRows(new, from: old, masked) }
                var frame = LayerFrame(layer: l.layer, cellName: l.cellName, input: l.input, gates: l.gates,
                                       stateBefore: l.stateBefore, computedState: computed, stateAfter: after,
                                       cellOutput: l.output ?? Tensor(zeros: [batch, 0]))
                frame.terms = l.terms
                return frame
            }
            frame = Frame(time: t, masked: masked, ran: true, layers: layers, output: output, state: newState)
        }
        return (output, newState, frame)
    }
}

/// Rows of `t` where `mask` is true set to zero.
@_specialize(where S == Float)
@_specialize(where S == Double)
func zeroRows<S: RNNScalar>(_ t: Tensor<S>, _ mask: [Bool]) -> Tensor<S> {
    var out = t
    let width = t.shape.count > 1 ? t.count / max(t.shape[0], 1) : 1
    out.scalars.withUnsafeMutableBufferPointer { o in
        for (b, m) in mask.enumerated() where m { (o.baseAddress! + b * width).update(repeating: 0, count: width) }
    }
    return out
}

/// `where(mask, old, new)` by row.
@_specialize(where S == Float)
@_specialize(where S == Double)
func copyRows<S: RNNScalar>(_ new: Tensor<S>, from old: Tensor<S>, _ mask: [Bool]) -> Tensor<S> {
    var out = new
    let width = new.shape.count > 1 ? new.count / max(new.shape[0], 1) : 1
    out.scalars.withUnsafeMutableBufferPointer { o in
        old.scalars.withUnsafeBufferPointer { s in
            for (b, m) in mask.enumerated() where m {
                (o.baseAddress! + b * width).update(from: s.baseAddress! + b * width, count: width)
            }
        }
    }
    return out
}
