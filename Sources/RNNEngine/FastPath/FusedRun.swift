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
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func runFastSegment(_ plan: FastPlan<Scalar>, from startState: Nest<Tensor<Scalar>>, steps: Range<Int>, chunk: Int,
                        into out: UnsafeMutablePointer<Scalar>, outputTimeMajor: Bool,
                        afterChunk: ((Int, () -> Nest<Tensor<Scalar>>) -> Bool)?) -> (state: Nest<Tensor<Scalar>>, reached: Int) {
        let B = batchSize, T = maxTime, bound = min(steps.upperBound, loopBound), W = outputSize, D = inputs.depth
        let P = max(1, min(chunk, max(1, bound - steps.lowerBound)))
        let timeMajor = inputs.timeMajor
        let layers = plan.layers
        let lastLayer = layers.count - 1
        let lengths = sequenceLength ?? []
        let minLength = sequenceLength?.min() ?? Int.max
        guard case let .leaf(xTensor) = inputs.tensors else { preconditionFailure("fast path needs a single input") }

        // The loop's cached arena when no other run holds it, else a fresh one.
        let arena = takeArena()
        defer { returnArena(arena) }
        arena.reset()
        let maxGate = layers.map(\.gateWidth).max() ?? 0
        let maxCand = layers.map(\.candidateWidth).max() ?? 0
        let maxUnits = layers.map(\.units).max() ?? 0
        let xGates = arena.make(P * B * maxGate)
        let xCand = arena.make(P * B * maxCand)
        let maxInner = layers.dropLast().map(\.outWidth).max() ?? 0 // outputs handed from layer to layer
        let chunkOut = [arena.make(P * B * maxInner), arena.make(P * B * maxInner)]
        let gather = timeMajor ? nil : arena.make(P * B * D)
        let scratch = arena.make(4 * maxUnits)
        let mBuf = arena.make(B * maxUnits)
        let rh = arena.make(B * maxUnits)

        // Per-layer state, double-buffered: [current, next].
        let initial: [Nest<Tensor<Scalar>>]
        if plan.isMulti, case let .tuple(items) = startState { initial = items } else { initial = [startState] }
        var hBuf: [[UnsafeMutablePointer<Scalar>]] = []
        var cBuf: [[UnsafeMutablePointer<Scalar>]] = []
        for (l, layer) in layers.enumerated() {
            let h = [arena.make(B * layer.outWidth), arena.make(B * layer.outWidth)]
            let c = layer.kind == .lstm ? [arena.make(B * layer.units), arena.make(B * layer.units)] : []
            switch initial[l] {
            case let .lstm(c0, h0):
                c0.scalars.withUnsafeBufferPointer { c[0].update(from: $0.baseAddress!, count: B * layer.units) }
                h0.scalars.withUnsafeBufferPointer { h[0].update(from: $0.baseAddress!, count: B * layer.outWidth) }
            case let .leaf(h0):
                h0.scalars.withUnsafeBufferPointer { h[0].update(from: $0.baseAddress!, count: B * layer.outWidth) }
            case .tuple:
                preconditionFailure("checked by makeFastPlan")
            }
            hBuf.append(h)
            cBuf.append(c)
        }

        func snapshot() -> Nest<Tensor<Scalar>> {
            var finals: [Nest<Tensor<Scalar>>] = []
            for (l, layer) in layers.enumerated() {
                let h = Tensor<Scalar>(unchecked: [B, layer.outWidth],
                                       scalars: Array(UnsafeBufferPointer(start: hBuf[l][0], count: B * layer.outWidth)))
                if layer.kind == .lstm {
                    let c = Tensor<Scalar>(unchecked: [B, layer.units],
                                           scalars: Array(UnsafeBufferPointer(start: cBuf[l][0], count: B * layer.units)))
                    finals.append(.lstm(c: c, h: h))
                } else {
                    finals.append(.leaf(h))
                }
            }
            return plan.isMulti ? .tuple(finals) : finals[0]
        }

        var reached = steps.lowerBound
        do {
            xTensor.scalars.withUnsafeBufferPointer { xBuffer in
                let x = xBuffer.baseAddress!
                var t0 = steps.lowerBound
                while t0 < bound {
                    let n = min(P, bound - t0)
                    // This chunk's input rows, ordered (step, batch row).
                    var inPtr: UnsafePointer<Scalar>
                    if let g = gather {
                        for s in 0..<n {
                            for b in 0..<B {
                                (g + (s * B + b) * D).update(from: x + (b * T + t0 + s) * D, count: D)
                            }
                        }
                        inPtr = UnsafePointer(g)
                    } else {
                        inPtr = x + t0 * B * D
                    }
                    var inLd = D
                    for (l, layer) in layers.enumerated() {
                        let top = l == lastLayer
                        let ow = layer.outWidth, u = layer.units
                        let chunkDst = chunkOut[l % 2]
                        // Input projections of the whole chunk: bias, then one product with m = n·B.
                        let G = layer.gateWidth
                        fillBias(layer.linear.bias, rows: n * B, width: G, into: xGates)
                        chunkProduct(layer.linear.inputBlock, rows: n * B, a: inPtr, lda: inLd, into: xGates, ldc: G)
                        if let cand = layer.candidate {
                            fillBias(cand.bias, rows: n * B, width: u, into: xCand)
                            chunkProduct(cand.inputBlock, rows: n * B, a: inPtr, lda: inLd, into: xCand, ldc: u)
                        }
                        var cur = 0
                        for s in 0..<n {
                            let t = t0 + s
                            let hCur = hBuf[l][cur], hNext = hBuf[l][1 - cur]
                            let g = xGates + s * B * G
                            layer.linear.stateBlock.multiply(rows: B, a: hCur, lda: ow, into: g, ldc: G, accumulate: true)
                            switch layer.kind {
                            case .lstm:
                                let cCur = cBuf[l][cur], cNext = cBuf[l][1 - cur]
                                let target = layer.projection == nil ? hNext : mBuf
                                Fused.lstmStep(batch: B, units: u, gates: g, ldg: G, cPrev: cCur, forgetBias: layer.forgetBias,
                                               wi: layer.wi.map { UnsafePointer($0) }, wf: layer.wf.map { UnsafePointer($0) },
                                               wo: layer.wo.map { UnsafePointer($0) }, cellClip: layer.cellClip, act: layer.act,
                                               cOut: cNext, hOut: target, ldh: u, scratch: scratch)
                                if let proj = layer.projection {
                                    proj.multiply(rows: B, a: mBuf, lda: u, into: hNext, ldc: ow, accumulate: false)
                                    if let clip = layer.projClip { Fused.clip(B * ow, hNext, clip) }
                                }
                            case .gru:
                                let cand = layer.candidate!
                                Fused.gruGates(batch: B, units: u, gates: g, ldg: G, h: hCur, rh: rh)
                                let c = xCand + s * B * u
                                cand.stateBlock.multiply(rows: B, a: rh, lda: u, into: c, ldc: u, accumulate: true)
                                Fused.gruFinish(batch: B, units: u, gates: g, ldg: G, cand: c, h: hCur, hOut: hNext, act: layer.act)
                            case .rnn:
                                Fused.act(B * u, g, layer.act)
                                hNext.update(from: g, count: B * u)
                            }
                            // Emit the (unmasked) output: to the next layer's chunk input, or masked into the result.
                            let xRow = inPtr + s * B * inLd
                            if top {
                                for b in 0..<B where t < minLength || t < lengths[b] {
                                    let dst = out + (outputTimeMajor ? (t * B + b) : (b * T + t)) * W
                                    if layer.residual {
                                        Fused.add(W, hNext + b * W, xRow + b * inLd, dst)
                                    } else {
                                        dst.update(from: hNext + b * W, count: W)
                                    }
                                }
                            } else {
                                let dst = chunkDst + s * B * ow
                                if layer.residual {
                                    Fused.add(B * ow, hNext, xRow, dst)
                                } else {
                                    dst.update(from: hNext, count: B * ow)
                                }
                            }
                            // Rows past their length keep their previous state.
                            if t >= minLength {
                                for b in 0..<B where t >= lengths[b] {
                                    (hNext + b * ow).update(from: hCur + b * ow, count: ow)
                                    if layer.kind == .lstm {
                                        (cBuf[l][1 - cur] + b * u).update(from: cBuf[l][cur] + b * u, count: u)
                                    }
                                }
                            }
                            cur = 1 - cur
                        }
                        if cur == 1 {
                            hBuf[l].swapAt(0, 1)
                            if layer.kind == .lstm { cBuf[l].swapAt(0, 1) }
                        }
                        inPtr = UnsafePointer(chunkDst)
                        inLd = ow
                    }
                    t0 += n
                    reached = t0
                    if let afterChunk, !afterChunk(t0, snapshot) { break }
                }
            }
        }
        lastRunWorkingScalars = arena.total
        return (snapshot(), reached)
    }
}

/// `c += a·w` for a chunk's input rows. A tiny product (under a million multiply-adds, as in small
/// teaching models) is issued in row blocks small enough to stay on the calling thread: handing a few
/// microseconds of work to the kernels' worker pool gains nothing, and when the machine is busy a worker
/// that is not scheduled stalls the whole pass for a scheduler time slice.
@inline(__always)
private func chunkProduct<Scalar: RNNScalar>(_ w: PackedMatrix<Scalar>, rows m: Int, a: UnsafePointer<Scalar>, lda: Int,
                                             into c: UnsafeMutablePointer<Scalar>, ldc: Int) {
    let perRow = max(1, w.rows * w.cols)
    guard m * perRow < 1 << 20 else {
        w.multiply(rows: m, a: a, lda: lda, into: c, ldc: ldc, accumulate: true)
        return
    }
    let block = max(1, (1 << 16) / perRow)
    var r = 0
    while r < m {
        let k = min(block, m - r)
        w.multiply(rows: k, a: a + r * lda, lda: lda, into: c + r * ldc, ldc: ldc, accumulate: true)
        r += k
    }
}

/// Every row of `into` (`rows × width`) set to `bias` (zeros without one).
@inline(__always)
func fillBias<Scalar: RNNScalar>(_ bias: [Scalar]?, rows: Int, width: Int, into p: UnsafeMutablePointer<Scalar>) {
    guard let bias, bias.count == width else {
        p.update(repeating: 0, count: rows * width)
        return
    }
    bias.withUnsafeBufferPointer { b in
        guard let src = b.baseAddress else { return }
        for r in 0..<rows { (p + r * width).update(from: src, count: width) }
    }
}
