import CRNNKernels

// The fused, layer-wise forward pass behind `UnrolledLoop.run()` when no step is observed.
//
// For each chunk of `parallelIterations` time steps and each layer in turn, the input projections
// `x·W_x + b` of the whole chunk are one packed product with `m = chunk·batch`; per step only the
// recurrent product `h·W_h` (`m = batch`) and the element-wise part (C, rnn_fused.h) remain. A lower
// layer hands the next one its unmasked outputs for the chunk; the top layer writes its (masked)
// outputs straight into the result's layout. Every buffer is allocated once per run and is
// O(parallel_iterations · batch · units), independent of max_time.

extension UnrolledLoop {
    /// The fused plan for this loop, or nil when it must run step by step.
    func makeFastPlan() -> FastPlan<Scalar>? {
        guard allowsFastPath, batchSize > 0, maxTime > 0, loopBound > 0 else { return nil }
        guard case let .leaf(x) = inputs.tensors, x.rank == 3 else { return nil }
        guard let plan = FastPlan(cell: cell, inputDepth: inputs.depth) else { return nil }
        // The initial state must have the plan's structure (checked against the cell at init).
        let states: [Nest<Tensor<Scalar>>]
        if plan.isMulti {
            guard case let .tuple(items) = initialState, items.count == plan.layers.count else { return nil }
            states = items
        } else {
            states = [initialState]
        }
        for (l, s) in zip(plan.layers, states) {
            switch (l.kind, s) {
            case (.lstm, .lstm), (.rnn, .leaf), (.gru, .leaf): continue
            default: return nil
            }
        }
        return plan
    }

    private func takeArena() -> Arena<Scalar> {
        arenaLock.lock()
        defer { arenaLock.unlock() }
        if let a = cachedArena as? Arena<Scalar> {
            cachedArena = nil
            return a
        }
        return Arena<Scalar>()
    }

    private func returnArena(_ a: Arena<Scalar>) {
        arenaLock.lock()
        cachedArena = a
        arenaLock.unlock()
    }

    /// Runs the whole pass with the fused kernels (see the comment at the top of FastPath.swift).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func runFast(_ plan: FastPlan<Scalar>) -> RNNResult<Scalar> {
        let B = batchSize, T = maxTime, W = outputSize
        var outputs = [Scalar](repeating: 0, count: B * T * W)
        let state = outputs.withUnsafeMutableBufferPointer { o in
            runFastSegment(plan, from: initialState, steps: 0..<loopBound, chunk: parallelIterations,
                           into: o.baseAddress!, outputTimeMajor: inputs.timeMajor, afterChunk: nil).state
        }
        let shape = inputs.timeMajor ? [T, B, W] : [B, T, W]
        return RNNResult(outputs: Tensor(unchecked: shape, scalars: outputs), state: state)
    }

    /// Runs steps `steps` (within the loop bound) from `state` with the fused kernels, `chunk` steps at a time,
    /// writing each emitted output into `out` (`[max_time, batch, output_size]` when `outputTimeMajor`, else
    /// `[batch, max_time, output_size]`). After each chunk `afterChunk` gets the step reached and a way to read
    /// the state there; returning false stops the run. Returns the state and the step reached.
    ///
    /// Without `afterChunk`, a stack of at least as many layers as the kernels have threads runs its layers
    /// side by side, a chunk apart (a wavefront): while layer `l` runs chunk `k`, layer `l + 1` runs chunk
    /// `k - 1`, each on its own thread with every step's product whole, so the threads meet once per chunk
    /// instead of once per step of every layer (`layersSideBySide`). The arithmetic of every element is the
    /// same either way.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func runFastSegment(_ plan: FastPlan<Scalar>, from startState: Nest<Tensor<Scalar>>, steps: Range<Int>, chunk: Int,
                        into out: UnsafeMutablePointer<Scalar>, outputTimeMajor: Bool,
                        afterChunk: ((Int, () -> Nest<Tensor<Scalar>>) -> Bool)?) -> (state: Nest<Tensor<Scalar>>, reached: Int) {
        let B = batchSize, bound = min(steps.upperBound, loopBound)
        let total = max(1, bound - steps.lowerBound)
        let layers = plan.layers, L = layers.count
        let (lanes, P) = afterChunk == nil ? layersSideBySide(plan, steps: total, chunk: chunk) : (1, max(1, min(chunk, total)))
        var chunkStarts = Array(stride(from: steps.lowerBound, to: bound, by: P))
        if lanes > 1 {
            // Chunks of equal length (within one step), so that the layers side by side take as long as each
            // other: 100 steps by 8 are nine chunks of 8 and four of 7, not twelve of 8 and one of 4.
            let count = chunkStarts.count
            chunkStarts = (0..<count).map { steps.lowerBound + $0 * (total / count) + min($0, total % count) }
        }
        let chunkEnds = Array(chunkStarts.dropFirst()) + [bound]
        guard case let .leaf(xTensor) = inputs.tensors else { preconditionFailure("fast path needs a single input") }

        // The loop's cached arena when no other run holds it, else a fresh one.
        let arena = takeArena()
        defer { returnArena(arena) }
        arena.reset()
        let buffers = FusedBuffers(arena: arena, layers: layers, chunk: P, batch: B, inputDepth: inputs.depth,
                                   timeMajor: inputs.timeMajor, lanes: lanes)
        var states = FusedLayerStates(arena: arena, plan: plan, batch: B, start: startState)
        let segment = FusedSegment(batch: B, maxTime: maxTime, inputDepth: inputs.depth, outputWidth: outputSize,
                                   lengths: sequenceLength ?? [], minLength: sequenceLength?.min() ?? Int.max,
                                   buffers: buffers, out: out, outputTimeMajor: outputTimeMajor)

        // The order of (layer, chunk) pieces: groups that run side by side (one piece: alone, on every thread).
        var groups: [[(layer: Int, chunk: Int)]] = []
        if lanes == 1 {
            for k in chunkStarts.indices { for l in 0..<L { groups.append([(l, k)]) } }
        } else {
            for wave in 0..<(chunkStarts.count + L - 1) {
                let active = Array(max(0, wave - chunkStarts.count + 1)...min(L - 1, wave))
                for g in stride(from: 0, to: active.count, by: lanes) {
                    groups.append(active[g..<min(g + lanes, active.count)].map { ($0, wave - $0) })
                }
            }
        }
        var reached = steps.lowerBound
        var swapped = [Bool](repeating: false, count: lanes)
        xTensor.scalars.withUnsafeBufferPointer { xBuffer in
            let x = xBuffer.baseAddress!
            for group in groups {
                // Each piece's input rows and their projections, on every thread, before the pieces run.
                let pieces = group.map { (l, k) -> FusedSegment<Scalar>.Piece in
                    let t0 = chunkStarts[k], n = chunkEnds[k] - t0
                    let input = l == 0 ? (rows: segment.chunkInputs(x, from: t0, steps: n), ld: inputs.depth)
                        : (rows: UnsafePointer(buffers.handOff(from: l - 1, chunk: k)), ld: layers[l - 1].outWidth)
                    segment.projectInputs(layers[l], lane: buffers.lane(of: l), steps: n, input: input.rows, ld: input.ld)
                    return .init(layer: layers[l], top: l == L - 1, t0: t0, n: n, input: input.rows, ld: input.ld,
                                 lane: buffers.lane(of: l), handOff: l < L - 1 ? buffers.handOff(from: l, chunk: k) : nil,
                                 h: states.h[l], c: states.c[l])
                }
                if pieces.count == 1 {
                    swapped[0] = segment.run(pieces[0])
                } else {
                    swapped.withUnsafeMutableBufferPointer { result in
                        Kernels.runTasks(pieces.count) { i in result[i] = segment.run(pieces[i]) }
                    }
                }
                for (i, (l, k)) in group.enumerated() {
                    if swapped[i] {
                        states.h[l].swapAt(0, 1)
                        if layers[l].kind == .lstm { states.c[l].swapAt(0, 1) }
                    }
                    if l == L - 1 { reached = chunkEnds[k] }
                }
                if lanes == 1, let afterChunk, group[0].layer == L - 1,
                   !afterChunk(reached, { states.snapshot(plan, batch: B) }) { break }
            }
        }
        lastRunWorkingScalars = arena.total
        lastRunLanes = lanes
        return (states.snapshot(plan, batch: B), reached)
    }

    /// How many layers run side by side (`runFastSegment`) and the longest chunk: the kernels' thread count
    /// when the stack has at least that many layers, more than one chunk, and every layer's chunk is worth a
    /// hand-off (`handOffMACs` of recurrent products); else 1 and `chunk` (`parallel_iterations`). Side by
    /// side, the chunk is the shortest worth a hand-off (at most `chunk`) but at least
    /// `sideBySideSteps`: while the first chunk fills the wavefront and the last drains it, only one layer
    /// runs, so shorter chunks leave the threads less of the pass apart (the medium 2×LSTM(256) pass, 100
    /// steps, is 3% faster with chunks of 8 steps than of 25).
    private func layersSideBySide(_ plan: FastPlan<Scalar>, steps total: Int, chunk: Int) -> (lanes: Int, chunk: Int) {
        let alone = (1, max(1, min(chunk, total)))
        let threads = Kernels.threads
        guard runsLayersSideBySide, threads > 1, plan.layers.count >= threads else { return alone }
        let smallest = plan.layers.map { batchSize * $0.outWidth * ($0.gateWidth + $0.candidateWidth) }.min() ?? 0
        guard smallest > 0 else { return alone }
        let worth = (handOffMACs + smallest - 1) / smallest // steps (no product of a caller's chunk: it may be huge)
        guard chunk >= worth else { return alone }
        let P = min(chunk, max(Self.sideBySideSteps, worth))
        return total > P ? (threads, P) : alone
    }

    /// The shortest chunk of layers side by side (`layersSideBySide`), measured: 4 to 16 steps ran alike.
    static var sideBySideSteps: Int { 8 }
}

/// The parts of a fused segment, for one run's sizes, lengths, buffers and output array: a chunk's inputs, its
/// input projections, a layer's chunk of steps, one step of a layer, where the step's output goes, and the rows
/// that keep their state.
private struct FusedSegment<Scalar: RNNScalar> {
    let batch: Int, maxTime: Int, inputDepth: Int, outputWidth: Int
    /// `sequence_length` (empty without one) and its smallest value (`Int.max` without one).
    let lengths: [Int], minLength: Int
    let buffers: FusedBuffers<Scalar>
    let out: UnsafeMutablePointer<Scalar>, outputTimeMajor: Bool

    /// The input rows of steps `t0 ..< t0 + n` of `x` (laid out as the loop's inputs), ordered (step, batch row):
    /// in place when time-major, else gathered.
    @inline(__always)
    func chunkInputs(_ x: UnsafePointer<Scalar>, from t0: Int, steps n: Int) -> UnsafePointer<Scalar> {
        let B = batch, T = maxTime, D = inputDepth
        guard let g = buffers.gather else { return x + t0 * B * D }
        for s in 0..<n {
            for b in 0..<B {
                (g + (s * B + b) * D).update(from: x + (b * T + t0 + s) * D, count: D)
            }
        }
        return UnsafePointer(g)
    }

    /// The input projections `x·W_x + b` of a whole chunk of `n` steps for `layer` into `lane`: one product with
    /// `m = n·batch` starting from the bias (the gates, and the GRU's candidate).
    @inline(__always)
    func projectInputs(_ layer: FastLayer<Scalar>, lane: FusedBuffers<Scalar>.Lane, steps n: Int,
                       input: UnsafePointer<Scalar>, ld: Int) {
        let rows = n * batch, G = layer.gateWidth
        chunkProduct(layer.linear.inputBlock, rows: rows, a: input, lda: ld, bias: layer.linear.bias, into: lane.xGates, ldc: G)
        if let cand = layer.candidate {
            chunkProduct(cand.inputBlock, rows: rows, a: input, lda: ld, bias: cand.bias, into: lane.xCand, ldc: layer.units)
        }
    }

    /// One layer's chunk of steps after its input projections: where they run, what they read and write.
    struct Piece {
        let layer: FastLayer<Scalar>
        /// The stack's top layer (its outputs go to the result).
        let top: Bool
        /// Its first step and how many.
        let t0: Int, n: Int
        /// The chunk's input rows (`ld` apart, ordered step, batch row).
        let input: UnsafePointer<Scalar>, ld: Int
        let lane: FusedBuffers<Scalar>.Lane
        /// Where a lower layer's outputs go (the next layer's input rows); nil for the top layer.
        let handOff: UnsafeMutablePointer<Scalar>?
        /// The layer's double-buffered state, current first (`c` empty unless LSTM).
        let h: [UnsafeMutablePointer<Scalar>], c: [UnsafeMutablePointer<Scalar>]
    }

    /// Runs a layer's chunk of steps, touching only its own state, lane, hand-off rows and result rows (pieces
    /// of different layers may run side by side). Returns whether the state ended in the second buffers
    /// (`h[1]`, `c[1]`), which the caller then swaps to the front.
    func run(_ p: Piece) -> Bool {
        let B = batch, layer = p.layer, n = p.n
        // A lower layer without a residual writes each step's h straight into the next layer's input rows
        // (and reads it back from there as the next step's state), instead of copying it.
        let inPlace = !p.top && !layer.residual
        // The top layer of plain LSTMs without lengths writes h straight into the result (its rows
        // `outStride` apart) and reads it back from there.
        let intoOutput = p.top && !layer.residual && layer.kind == .lstm && layer.projection == nil && lengths.isEmpty
        let outStride = outputTimeMajor ? outputWidth : maxTime * outputWidth
        let hw = B * layer.outWidth, ow = layer.outWidth
        var cur = 0
        for s in 0..<n {
            let t = p.t0 + s
            let h: (cur: UnsafeMutablePointer<Scalar>, next: UnsafeMutablePointer<Scalar>)
            var ld = (cur: ow, next: ow)
            if inPlace, let dst = p.handOff {
                h = (cur: s > 0 ? dst + (s - 1) * hw : p.h[cur], next: dst + s * hw)
            } else if intoOutput {
                h = (cur: s > 0 ? outputRow(step: t - 1) : p.h[cur], next: outputRow(step: t))
                ld = (cur: s > 0 ? outStride : ow, next: outStride)
            } else {
                h = (cur: p.h[cur], next: p.h[1 - cur])
            }
            let c = layer.kind == .lstm ? (cur: p.c[cur], next: p.c[1 - cur]) : nil
            step(layer, lane: p.lane, at: s, h: h, c: c, ld: ld)
            let xRow = p.input + s * B * p.ld
            if p.top && !intoOutput {
                emitMasked(layer, step: t, h: h.next, input: xRow, ld: p.ld)
            } else if !p.top && !inPlace, let dst = p.handOff {
                emit(layer, at: s, h: h.next, input: xRow, into: dst)
            }
            if t >= minLength { keepFinishedRows(layer, step: t, h: h, c: c) }
            cur = 1 - cur
        }
        if inPlace, let dst = p.handOff { p.h[cur].update(from: dst + (n - 1) * hw, count: hw) }
        if intoOutput {
            let last = outputRow(step: p.t0 + n - 1)
            for b in 0..<B { (p.h[cur] + b * ow).update(from: last + b * outStride, count: ow) }
        }
        return cur == 1
    }

    /// Step `s` of the chunk for `layer`, every batch row: the recurrent product `h·W_h` onto the step's
    /// projected inputs and the cell's element-wise part from `h.cur` (and `c.cur`) to `h.next` (and `c.next`),
    /// as one kernel call split by units across the threads (rnn_fused.h).
    @inline(__always)
    func step(_ layer: FastLayer<Scalar>, lane: FusedBuffers<Scalar>.Lane, at s: Int,
              h: (cur: UnsafeMutablePointer<Scalar>, next: UnsafeMutablePointer<Scalar>),
              c: (cur: UnsafeMutablePointer<Scalar>, next: UnsafeMutablePointer<Scalar>)?,
              ld: (cur: Int, next: Int)) {
        let B = batch, G = layer.gateWidth, u = layer.units, ow = layer.outWidth
        let g = lane.xGates + s * B * G
        switch layer.kind {
        case .lstm:
            guard let c else { preconditionFailure("an LSTM layer has a c state") }
            let target = layer.projection == nil ? h.next : lane.mBuf
            Scalar.lstmRecurrent(wh: layer.recurrent, batch: B, hPrev: h.cur, ldhp: ld.cur, gates: g, ldg: G, units: u,
                                 cPrev: c.cur, forgetBias: layer.forgetBias, wi: layer.wi.map { UnsafePointer($0) },
                                 wf: layer.wf.map { UnsafePointer($0) }, wo: layer.wo.map { UnsafePointer($0) },
                                 cellClip: layer.cellClip, act: layer.act, cOut: c.next, hOut: target,
                                 ldh: layer.projection == nil ? ld.next : u,
                                 gi: nil, gj: nil, gf: nil, go: nil)
            if let proj = layer.projection {
                proj.multiply(rows: B, a: lane.mBuf, lda: u, into: h.next, ldc: ow, accumulate: false)
                if let clip = layer.projClip { Fused.clip(B * ow, h.next, clip) }
            }
        case .gru:
            guard let wc = layer.candidateRecurrent else { preconditionFailure("a GRU layer has a candidate") }
            Scalar.gruRecurrent(wg: layer.recurrent, wc: wc, batch: B, hPrev: h.cur, gates: g, ldg: G,
                                cand: lane.xCand + s * B * u, rh: lane.rh, units: u, act: layer.act, hOut: h.next)
        case .rnn:
            Scalar.rnnRecurrent(wh: layer.recurrent, batch: B, hPrev: h.cur, ldhp: ow, gates: g, ldg: G, units: u,
                                act: layer.act, hOut: h.next, ldh: ow)
        }
    }

    /// Where the top layer's output row 0 of step `t` goes in the result (rows `output_size` apart when
    /// time-major, `max_time · output_size` apart when batch-major).
    @inline(__always)
    func outputRow(step t: Int) -> UnsafeMutablePointer<Scalar> {
        out + (outputTimeMajor ? t * batch : t) * outputWidth
    }

    /// A lower layer's output at step `s` of the chunk (unmasked; plus the input when residual), as the next
    /// layer's input row block.
    @inline(__always)
    func emit(_ layer: FastLayer<Scalar>, at s: Int, h: UnsafeMutablePointer<Scalar>, input xRow: UnsafePointer<Scalar>,
              into chunkDst: UnsafeMutablePointer<Scalar>) {
        let ow = layer.outWidth
        let dst = chunkDst + s * batch * ow
        if layer.residual {
            Fused.add(batch * ow, h, xRow, dst)
        } else {
            dst.update(from: h, count: batch * ow)
        }
    }

    /// The top layer's output at step `t` (plus the input when residual) into the result, for the rows still
    /// within their length (the others stay zero).
    @inline(__always)
    func emitMasked(_ layer: FastLayer<Scalar>, step t: Int, h: UnsafeMutablePointer<Scalar>,
                    input xRow: UnsafePointer<Scalar>, ld inLd: Int) {
        let B = batch, T = maxTime, W = outputWidth
        for b in 0..<B where t < minLength || t < lengths[b] {
            let dst = out + (outputTimeMajor ? (t * B + b) : (b * T + t)) * W
            if layer.residual {
                Fused.add(W, h + b * W, xRow + b * inLd, dst)
            } else {
                dst.update(from: h + b * W, count: W)
            }
        }
    }

    /// Rows past their length at step `t` keep their previous state: `h.next` (and `c.next`) get `h.cur`'s rows back.
    @inline(__always)
    func keepFinishedRows(_ layer: FastLayer<Scalar>, step t: Int,
                          h: (cur: UnsafeMutablePointer<Scalar>, next: UnsafeMutablePointer<Scalar>),
                          c: (cur: UnsafeMutablePointer<Scalar>, next: UnsafeMutablePointer<Scalar>)?) {
        copyFinishedRows(lengths: lengths, batch: batch, at: t, width: layer.outWidth, from: h.cur, to: h.next)
        if let c { copyFinishedRows(lengths: lengths, batch: batch, at: t, width: layer.units, from: c.cur, to: c.next) }
    }
}

/// The rows (`width` apart) of the examples past their length at step `t` copied from `src` to `dst`: a finished
/// example keeps its state (the fused forward passes and the gradient run's taped forward).
@inline(__always)
func copyFinishedRows<Scalar>(lengths: [Int], batch: Int, at t: Int, width: Int, from src: UnsafePointer<Scalar>,
                              to dst: UnsafeMutablePointer<Scalar>) {
    guard !lengths.isEmpty else { return }
    for b in 0..<batch where t >= lengths[b] { (dst + b * width).update(from: src + b * width, count: width) }
}

/// The multiply-adds worth handing to other threads: a smaller chunk product stays on the calling thread
/// (`chunkProduct`), and layers run side by side only in chunks with this many of each layer's recurrent
/// products (`layersSideBySide`).
private let handOffMACs = 1 << 20

/// `c = bias + a·w` for a chunk's input rows. A tiny product (under a million multiply-adds, as in small
/// teaching models) is issued in row blocks small enough to stay on the calling thread: handing a few
/// microseconds of work to the kernels' worker pool gains nothing, and when the machine is busy a worker
/// that is not scheduled stalls the whole pass for a scheduler time slice.
@inline(__always)
private func chunkProduct<Scalar: RNNScalar>(_ w: PackedMatrix<Scalar>, rows m: Int, a: UnsafePointer<Scalar>, lda: Int,
                                             bias: [Scalar]?, into c: UnsafeMutablePointer<Scalar>, ldc: Int) {
    let perRow = max(1, w.rows * w.cols)
    guard m * perRow < handOffMACs else {
        w.multiply(rows: m, a: a, lda: lda, into: c, ldc: ldc, startingFrom: bias)
        return
    }
    let block = max(1, (1 << 16) / perRow)
    var r = 0
    while r < m {
        let k = min(block, m - r)
        w.multiply(rows: k, a: a + r * lda, lda: lda, into: c + r * ldc, ldc: ldc, startingFrom: bias)
        r += k
    }
}
