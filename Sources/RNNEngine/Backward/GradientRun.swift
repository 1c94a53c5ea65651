import Foundation

/// The backward pass of a `dynamic_rnn` (checkpointed back-propagation through time): gradients of a loss
/// with respect to the inputs, the initial state and every weight.
///
/// The forward pass (a `RecordedRun`) keeps the state only at checkpoints. The sweep goes over segments of
/// `segmentLength` steps from the end: it recomputes a segment's steps forward from the checkpoint at its
/// start, keeping each step's tape, then walks them backward, handing the state's gradient from one segment to
/// the one before. Memory: the forward's outputs and checkpoints, one segment of tapes, the input gradient and
/// the weight gradients, plus one state gradient per segment (kept so that `frames` can replay any window);
/// nothing grows with `max_time` except the inputs, outputs and their gradients. When the run computes its own
/// forward pass and `tapeBudget` allows, that pass keeps the tapes of the last segments (as many as fit in
/// the budget), so those are not recomputed. `compute` may run on a background thread while another asks for
/// the frames of the segments already swept.
public final class GradientRun<Scalar: RNNScalar>: @unchecked Sendable {
    /// The forward pass the gradients go through.
    public let forward: RecordedRun<Scalar>
    /// Steps recomputed and swept together (a multiple of the forward's checkpoint interval).
    public let segmentLength: Int
    /// Scalars of step tapes the forward pass may keep (for the last segments) to spare recomputing them;
    /// 0 keeps none. Used only when `compute` runs the forward pass itself.
    public let tapeBudget: Int
    public var loop: UnrolledLoop<Scalar> { forward.loop }

    private let cell: any DifferentiableCell<Scalar>
    private let loss: ResolvedLoss<Scalar>
    private let lossScalars: Int
    /// Scalars of the loop's inputs and of one state (`heldScalars`, counted per segment).
    private let inputScalars: Int, stateScalars: Int
    private let gradients: GradientStore<Scalar>
    private let lock = NSLock()
    /// `∂L/∂state` at the end of each segment, once the sweep has reached it.
    private var incoming: [Nest<Tensor<Scalar>>?]
    private var inputGradient: [Scalar]
    /// Steps at and after this one are swept.
    private var sweptFrom: Int
    private var stateGradient: Nest<Tensor<Scalar>>
    private var failure: Error?
    private var peak = 0
    /// `‖∂L/∂state_t‖` per step, example and state array (flattened `[t][b][array]`), filled as the sweep goes.
    private var norms: [Double]
    private let stateArrays: Int
    /// Tapes the forward pass kept, by segment; segments up to `tapesDroppedThrough` were evicted (or not kept).
    private var keptTapes: [Int: [StepTape<Scalar>]] = [:]
    /// The fused forward's kept tapes, by segment (see `computeTapedForward`).
    private var fusedTapes: [Int: FusedBackward<Scalar>.SegmentTape] = [:]
    private var keptScalars = 0
    private var tapesDroppedThrough = -1
    /// Segments `compute` recomputed from their checkpoints (the others used the forward pass's tapes).
    private(set) var recomputedSegments = 0
    /// The fused sweep (FusedBackward.swift) when every layer is one it runs; nil: the step-by-step sweep.
    private let fused: FusedBackward<Scalar>?
    /// Whether `compute` runs the fused sweep.
    var sweepsFused: Bool { fused != nil }

    /// A backward pass through `forward` (computed first by `compute` if it is not complete yet, keeping up to
    /// `tapeBudget` scalars of step tapes when it starts from step 0).
    public init(forward: RecordedRun<Scalar>, loss: RNNLoss<Scalar>, tapeBudget: Int = 0) throws {
        self.forward = forward
        self.tapeBudget = max(0, tapeBudget)
        let loop = forward.loop
        guard case .leaf = loop.inputs.tensors else {
            throw RNNError.invalidArgument("gradients: nested inputs are not supported (the built-in cells take one input tensor)")
        }
        cell = try loop.cell.differentiable()
        self.loss = try ResolvedLoss(loss, loop: loop)
        if case let .cotangents(o, s) = loss {
            lossScalars = (o?.count ?? 0) + (s?.flattened.reduce(0) { $0 + $1.count } ?? 0)
        } else {
            lossScalars = 0
        }
        let interval = forward.checkpointInterval
        let target = max(1, Int(Double(max(1, loop.loopBound)).squareRoot().rounded(.up)))
        segmentLength = interval * max(1, Int((Double(target) / Double(interval)).rounded()))
        gradients = GradientStore(rowsPerProduct: min(max(segmentLength * loop.batchSize, 64), 1 << 13))
        cell.registerGradients(in: gradients)
        let segments = (loop.loopBound + segmentLength - 1) / segmentLength
        incoming = Array(repeating: nil, count: segments)
        inputGradient = []
        sweptFrom = loop.loopBound
        stateGradient = self.loss.stateCotangent
        let arrays = loop.cell.stateSize.flattened.count
        inputScalars = loop.inputs.tensors.flattened.reduce(0) { $0 + $1.count }
        stateScalars = loop.cell.stateSize.flattened.reduce(0) { $0 + $1 } * loop.batchSize
        stateArrays = arrays
        norms = []
        fused = FusedBackward.take(loop).flatMap { $0.stateArrays == arrays ? $0 : nil }
    }

    deinit {
        lock.withLock { fusedTapes = [:] }
        fused?.giveBack(to: loop)
    }

    /// A backward pass through a forward pass over `loop` that keeps states every √max_time steps, and step
    /// tapes within `tapeBudget` (by default `defaultTapeBudget`).
    public convenience init(loop: UnrolledLoop<Scalar>, loss: RNNLoss<Scalar>, tapeBudget: Int? = nil) throws {
        try self.init(forward: RecordedRun(loop: loop, swapMemory: true), loss: loss,
                      tapeBudget: tapeBudget ?? GradientRun.defaultTapeBudget(for: loop))
    }

    /// Bytes of step tapes a run may always keep, however small its inputs and outputs (128 MiB): enough for
    /// every step of a 1024-unit LSTM over 50 steps of 64 examples, so that such a pass recomputes nothing.
    public static var minimumTapeBytes: Int { 128 << 20 }

    /// What a run over `loop` keeps of step tapes by default: half the scalars of its inputs and outputs, and at
    /// least `minimumTapeBytes`' worth. A constant beyond the inputs and outputs, so memory still grows with
    /// `√max_time` (the checkpoints), not `max_time`, once the tapes of a long sequence no longer fit.
    public static func defaultTapeBudget(for loop: UnrolledLoop<Scalar>) -> Int {
        let half = (loop.inputs.tensors.flattened.reduce(0) { $0 + $1.count } + loop.maxTime * loop.batchSize * loop.outputSize) / 2
        return max(half, minimumTapeBytes / MemoryLayout<Scalar>.stride)
    }

    /// Steps swept so far, counted from the end (of `loop.maxTime`; steps past the loop bound need no work).
    public var completedSteps: Int { lock.withLock { loop.maxTime - sweptFrom } }
    public var isComplete: Bool { lock.withLock { sweptFrom == 0 && failure == nil } }
    /// The error that stopped `compute`, if any.
    public var error: Error? { lock.withLock { failure } }
    /// The most scalars held at once by the forward pass (inputs, outputs, checkpoints) and the backward pass
    /// (segment tapes, state gradients, input and weight gradients, collection buffers, the loss's arrays).
    public var peakScalars: Int { lock.withLock { peak } }

    /// Runs the forward pass if needed (do not run `forward.compute` on another thread meanwhile), then the
    /// backward sweep to step 0. `shouldStop` is polled between
    /// segments (and between the forward pass's chunks); a later call continues where it stopped.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func compute(shouldStop: () -> Bool = { false }) {
        if !forward.isComplete {
            if let fused, tapeBudget > 0, forward.completedSteps == 0 {
                computeTapedForward(fused, shouldStop: shouldStop)
            } else if fused == nil && tapeBudget > 0 && forward.completedSteps == 0 && budgetHoldsASegment() {
                forward.compute(until: nil, shouldStop: shouldStop, fused: false) { state, t in
                    let r = try self.loop.tapedStep(self.cell, from: state, at: t)
                    self.lock.withLock { self.keep(r.tape, at: t) }
                    return (r.output, r.state)
                }
            } else {
                forward.compute(shouldStop: shouldStop)
            }
        }
        if let e = forward.error { return lock.withLock { failure = e } }
        guard forward.isComplete else { return }
        let loop = self.loop
        lock.withLock {
            if inputGradient.isEmpty { inputGradient = Array(repeating: 0, count: loop.inputs.tensors.flattened[0].count) }
            if norms.isEmpty {
                norms = Array(repeating: 0, count: loop.maxTime * loop.batchSize * stateArrays)
                // Past the loop bound the state gradient is the loss's state cotangent, unchanged.
                for t in loop.loopBound..<loop.maxTime { storeNorms(stateGradient, at: t) }
            }
        }
        var k = incoming.count - 1
        while k >= 0 {
            let segmentStart = k * segmentLength
            if lock.withLock({ sweptFrom <= segmentStart }) { k -= 1; continue }
            if shouldStop() { return }
            let dEnd = lock.withLock { () -> Nest<Tensor<Scalar>> in
                incoming[k] = stateGradient
                return stateGradient
            }
            if let fused {
                guard let start = forward.checkpoint(segmentStart / forward.checkpointInterval) else {
                    lock.withLock { failure = RNNError.invalidArgument("gradients: the forward pass kept no state at step \(segmentStart)") }
                    return
                }
                let end = min(loop.loopBound, segmentStart + segmentLength)
                let x = loop.inputs.tensors.flattened[0]
                let kept = lock.withLock { fusedTapes.removeValue(forKey: k) }
                let outputGradient = { (t: Int, p: UnsafeMutablePointer<Scalar>) in self.loss.outputCotangent(at: t, into: p) }
                let norms = { (t: Int, a: Int, values: UnsafePointer<Double>) in
                    self.lock.withLock {
                        let B = loop.batchSize, arrays = self.stateArrays
                        for b in 0..<B { self.norms[(t * B + b) * arrays + a] = values[b] }
                    }
                }
                let inputGradient = { (t: Int, p: UnsafePointer<Scalar>) in self.storeInputGradient(p, at: t) }
                let swept: FusedBackward<Scalar>.SegmentResult
                if let kept {
                    swept = fused.backward(kept, dEnd: dEnd, gradients: gradients, outputGradient: outputGradient, norms: norms,
                                           inputGradient: inputGradient)
                } else {
                    swept = x.scalars.withUnsafeBufferPointer { xp in
                        fused.sweep(from: segmentStart, to: end, state: start, dEnd: dEnd, x: xp.baseAddress!, gradients: gradients,
                                    outputGradient: outputGradient, norms: norms, inputGradient: inputGradient)
                    }
                }
                lock.withLock {
                    stateGradient = swept.stateGradient
                    sweptFrom = segmentStart
                    if kept == nil { recomputedSegments += 1 }
                    peak = max(peak, heldScalars() + keptScalars + swept.workingScalars)
                    keptScalars -= kept?.scalars ?? 0
                }
                k -= 1
                continue
            }
            do {
                let kept = lock.withLock { () -> [StepTape<Scalar>]? in
                    defer { keptTapes[k] = nil }
                    return keptTapes[k]
                }
                if kept == nil { lock.withLock { recomputedSegments += 1 } }
                let swept = try sweep(segment: k, from: dEnd, gradients: gradients, recording: nil, tapes: kept) { t, dx, dState in
                    self.lock.withLock { self.storeNorms(dState, at: t) }
                    self.storeInputGradient(dx, at: t)
                }
                lock.withLock {
                    stateGradient = swept.stateGradient
                    sweptFrom = segmentStart
                    keptScalars -= kept?.reduce(0) { $0 + $1.scalarCount } ?? 0
                    peak = max(peak, heldScalars() + keptScalars + swept.tapeScalars)
                }
            } catch {
                lock.withLock { failure = error }
                return
            }
            k -= 1
        }
        gradients.flush()
        lock.withLock { peak = max(peak, heldScalars()) }
    }

    /// The gradients, or nil until `compute` has finished.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func result() -> RNNGradients<Scalar>? {
        guard isComplete, let r = forward.result() else { return nil }
        return lock.withLock {
            let x = loop.inputs.tensors.flattened[0]
            return RNNGradients(result: r, inputs: Tensor(unchecked: x.shape, scalars: inputGradient),
                                initialState: stateGradient, weights: gradients.all(), weightNames: gradients.names)
        }
    }

    /// Gradient frames for steps `range` (clamped to `0..<max_time`), recomputed from the checkpoints; only
    /// steps already swept are returned.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func frames(_ range: Range<Int>) throws -> [GradientFrame<Scalar>] {
        let loop = self.loop
        let lower = max(0, range.lowerBound), upper = min(range.upperBound, loop.maxTime)
        guard lower < upper else { return [] }
        var frames: [GradientFrame<Scalar>] = []
        let replay = GradientStore<Scalar>()
        replay.collecting = false
        var k = lower / segmentLength
        while k * segmentLength < min(upper, loop.loopBound) {
            guard let dEnd = lock.withLock({ incoming.indices.contains(k) ? incoming[k] : nil }) else { k += 1; continue }
            let lo = max(lower, k * segmentLength), hi = min(upper, (k + 1) * segmentLength)
            frames += try sweep(segment: k, from: dEnd, gradients: replay, recording: lo..<hi).frames.reversed()
            k += 1
        }
        if upper > loop.loopBound {
            // Past the loop bound nothing ran: the state gradient passes back unchanged.
            let zeroX = Tensor<Scalar>(zeros: [loop.batchSize, loop.inputs.depth])
            let zeroOut = Tensor<Scalar>(zeros: [loop.batchSize, loop.outputSize])
            for t in max(lower, loop.loopBound)..<upper {
                frames.append(GradientFrame(time: t, masked: Array(repeating: true, count: loop.batchSize), ran: false, layers: [],
                                            outputGradient: zeroOut, stateGradient: loss.stateCotangent, inputGradient: zeroX,
                                            previousStateGradient: loss.stateCotangent))
            }
        }
        return frames
    }

    /// `‖∂L/∂state_t‖` for example `b` (the state after step `t`, as the gradient arriving from step t+1 gives it),
    /// one norm per state array in TF's flatten order (`c`, `h`, `0/c`, ...); nil until the sweep reached `t`.
    /// Kept for every step as the sweep goes (`max_time · batch · arrays` numbers), for a trace over time.
    public func stateGradientNorms(at t: Int, example b: Int) -> [Double]? {
        lock.withLock {
            guard t >= sweptFrom, t < loop.maxTime, (0..<loop.batchSize).contains(b), !norms.isEmpty else { return nil }
            let o = (t * loop.batchSize + b) * stateArrays
            return Array(norms[o..<(o + stateArrays)])
        }
    }

    /// One frame, or nil when step `t` is not swept yet.
    public func frame(at t: Int) throws -> GradientFrame<Scalar>? {
        try frames(t..<(t + 1)).first
    }

    // MARK: - The sweep

    /// Whether `tapeBudget` holds the tapes of one whole segment (one step's tape, taken from the initial state,
    /// times the segment's length). Only then does keeping tapes spare a recomputation; otherwise the forward
    /// pass takes the fused path, which is faster than stepping with tapes. Always true when the loop has no
    /// fused path (its forward pass steps anyway).
    private func budgetHoldsASegment() -> Bool {
        let loop = self.loop
        guard loop.loopBound > 0, loop.makeFastPlan() != nil else { return true }
        guard let probe = try? loop.tapedStep(cell, from: loop.initialState, at: 0) else { return true }
        return probe.tape.scalarCount * min(segmentLength, loop.loopBound) <= tapeBudget
    }

    /// The forward pass through the fused sweep's own forward, a segment at a time from step 0, keeping the tapes
    /// of the last segments that fit in `tapeBudget` (a kept segment is not recomputed by the sweep) and handing
    /// every checkpoint, the emitted outputs and the final state to `forward`. The others are filled in scratch
    /// memory and recomputed later. When not even the last segment fits, `forward.compute`'s own fused path is the
    /// forward pass. `shouldStop` is polled between segments; a later `compute` continues from where this stopped.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func computeTapedForward(_ fused: FusedBackward<Scalar>, shouldStop: () -> Bool) {
        let loop = self.loop, interval = forward.checkpointInterval
        let segments = incoming.count
        // The last segments whose tapes fit, counted from the end.
        var firstKept = segments, held = 0
        while firstKept > 0 {
            let start = (firstKept - 1) * segmentLength, end = min(loop.loopBound, start + segmentLength)
            let size = fused.tapeScalars(from: start, to: end)
            guard held + size <= tapeBudget else { break }
            held += size
            firstKept -= 1
        }
        guard firstKept < segments else { return forward.compute(shouldStop: shouldStop) }
        let x = loop.inputs.tensors.flattened[0]
        x.scalars.withUnsafeBufferPointer { xp in
            guard let xBase = xp.baseAddress else { return }
            var scratch: FusedBackward<Scalar>.SegmentTape?
            for k in 0..<segments {
                if k > 0 && shouldStop() { return }
                let start = k * segmentLength, end = min(loop.loopBound, start + segmentLength)
                guard let state = forward.checkpoint(start / interval) else { return }
                let tape: FusedBackward<Scalar>.SegmentTape
                if k >= firstKept {
                    tape = fused.makeTape(from: start, to: end)
                } else if let s = scratch, s.end - s.start == end - start {
                    // Every segment before the kept ones has the same length: one scratch tape serves them all.
                    s.move(to: start)
                    tape = s
                } else {
                    tape = fused.makeTape(from: start, to: end)
                    scratch = tape
                }
                fused.forward(tape, state: state, x: xBase)
                forward.record(through: end, outputs: { fused.writeOutputs(tape, into: $0) },
                               state: { fused.state(tape, after: $0 - start) })
                if k >= firstKept {
                    lock.withLock {
                        fusedTapes[k] = tape
                        keptScalars += tape.scalars
                        peak = max(peak, heldScalars() + keptScalars)
                    }
                }
            }
        }
        // Past the loop bound nothing runs: `compute` marks those steps done.
        if forward.completedSteps >= loop.loopBound { forward.compute(shouldStop: shouldStop) }
    }

    /// Keeps the tape of step `t` (called under the lock while the forward pass runs), evicting the earliest
    /// segments' tapes beyond the budget: the sweep starts from the end, so the latest are worth keeping.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func keep(_ tape: StepTape<Scalar>, at t: Int) {
        let k = t / segmentLength
        guard tapeBudget > 0, k > tapesDroppedThrough else { return }
        keptTapes[k, default: []].append(tape)
        keptScalars += tape.scalarCount
        while keptScalars > tapeBudget, let first = keptTapes.keys.min() {
            keptScalars -= keptTapes[first]?.reduce(0) { $0 + $1.scalarCount } ?? 0
            keptTapes[first] = nil
            tapesDroppedThrough = first
        }
        peak = max(peak, heldScalars() + keptScalars)
    }

    /// Recomputes segment `k` forward from its checkpoint (or takes the forward pass's `tapes` of it), then walks it backward from `dEnd` (`∂L/∂state` at its
    /// end). Returns `∂L/∂state` at its start, the frames of the steps in `recording` (last step first) and the
    /// scalars its tapes held; `emit` gets each step's `∂L/∂x_t` and `∂L/∂state_t` (arriving from t+1).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func sweep(segment k: Int, from dEnd: Nest<Tensor<Scalar>>, gradients: GradientStore<Scalar>,
                       recording: Range<Int>?, tapes kept: [StepTape<Scalar>]? = nil,
                       emit: ((Int, Tensor<Scalar>, Nest<Tensor<Scalar>>) -> Void)? = nil) throws
        -> (stateGradient: Nest<Tensor<Scalar>>, frames: [GradientFrame<Scalar>], tapeScalars: Int) {
        let loop = self.loop
        let start = k * segmentLength, end = min(loop.loopBound, start + segmentLength)
        let batch = loop.batchSize, width = loop.outputSize
        var tapes: [StepTape<Scalar>] = []
        if let kept, kept.count == end - start {
            tapes = kept
        } else {
            // Forward over the segment from its checkpoint, keeping each step's tape.
            guard var state = forward.checkpoint(start / forward.checkpointInterval) else {
                throw RNNError.invalidArgument("gradients: the forward pass kept no state at step \(start)")
            }
            for t in start..<end {
                let r = try loop.tapedStep(cell, from: state, at: t)
                state = r.state
                tapes.append(r.tape)
            }
        }
        let tapeScalars = tapes.reduce(0) { $0 + $1.scalarCount }
        // Backward over the segment.
        var dState = dEnd
        var frames: [GradientFrame<Scalar>] = []
        var dOut = [Scalar](repeating: 0, count: batch * width)
        for t in stride(from: end - 1, through: start, by: -1) {
            let masked = (0..<batch).map { loop.isMasked(row: $0, time: t) }
            let anyMasked = masked.contains(true)
            let nonzero = dOut.withUnsafeMutableBufferPointer { loss.outputCotangent(at: t, into: $0.baseAddress!) }
            if !nonzero { for i in dOut.indices { dOut[i] = 0 } }
            var outGrad = Tensor<Scalar>(unchecked: [batch, width], scalars: dOut)
            var cellStateGrad = dState
            if anyMasked {
                outGrad = zeroRows(outGrad, masked)
                cellStateGrad = dState.map { zeroRows($0, masked) }
            }
            let recorder = recording?.contains(t) == true ? GradientRecorder<Scalar>() : nil
            recorder?.beginWholeCell(cellName: cell.name, outputGradient: outGrad, nextStateGradient: cellStateGrad)
            let context = BackwardContext(gradients: gradients, time: t, recorder: recorder)
            let r = try cell.backward(tapes[t - start], outputGradient: outGrad, stateGradient: cellStateGrad, context: context)
            recorder?.endWholeCell(inputGradient: r.inputGradient, previousStateGradient: r.stateGradient)
            let dPrev = anyMasked ? try r.stateGradient.zip(dState) { copyRows($0, from: $1, masked) } : r.stateGradient
            let dx = anyMasked ? zeroRows(r.inputGradient, masked) : r.inputGradient
            emit?(t, dx, dState)
            if let recorder {
                frames.append(GradientFrame(time: t, masked: masked, ran: true, layers: recorder.layers, outputGradient: outGrad,
                                            stateGradient: dState, inputGradient: dx, previousStateGradient: dPrev))
            }
            dState = dPrev
            tapes[t - start] = StepTape()
        }
        return (dState, frames, tapeScalars)
    }

    /// Writes `∂L/∂x_t` (`[batch, depth]`) into the input gradient in the inputs' layout.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func storeInputGradient(_ dx: Tensor<Scalar>, at t: Int) {
        dx.scalars.withUnsafeBufferPointer { src in
            if let s = src.baseAddress { storeInputGradient(s, at: t) }
        }
    }

    /// Writes `∂L/∂x_t` (`[batch, depth]` at `s`) into the input gradient in the inputs' layout.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func storeInputGradient(_ s: UnsafePointer<Scalar>, at t: Int) {
        let loop = self.loop
        let batch = loop.batchSize, time = loop.maxTime, depth = loop.inputs.depth
        lock.withLock {
            inputGradient.withUnsafeMutableBufferPointer { out in
                guard depth > 0, let o = out.baseAddress else { return }
                for b in 0..<batch {
                    let at = loop.inputs.timeMajor ? (t * batch + b) * depth : (b * time + t) * depth
                    (o + at).update(from: s + b * depth, count: depth)
                }
            }
        }
    }

    /// Records the norms of `dState` (`∂L/∂state_t`) per example and array (called under the lock).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func storeNorms(_ dState: Nest<Tensor<Scalar>>, at t: Int) {
        let batch = loop.batchSize
        for (a, array) in dState.flattened.enumerated() {
            let width = batch > 0 ? array.count / batch : 0
            for b in 0..<batch {
                var sum: Scalar = 0
                array.scalars.withUnsafeBufferPointer { p in
                    for j in 0..<width { sum += p[b * width + j] * p[b * width + j] }
                }
                norms[(t * batch + b) * stateArrays + a] = Double(sum).squareRoot()
            }
        }
    }

    /// Scalars held now, besides a segment's tapes (called under the lock).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func heldScalars() -> Int {
        let kept = incoming.count * stateScalars // every segment's, counted from the start
        return inputScalars + forward.memoryFootprint / MemoryLayout<Scalar>.stride
            + inputGradient.count + gradients.scalarsHeld + kept + stateScalars + lossScalars
            + norms.count * MemoryLayout<Double>.stride / MemoryLayout<Scalar>.stride
    }
}
