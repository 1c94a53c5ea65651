import CRNNKernels

// The fused, layer-wise forward pass behind `UnrolledLoop.run()` when no step is observed.
//
// For each chunk of `parallelIterations` time steps and each layer in turn, the input projections
// `x·W_x + b` of the whole chunk are one packed product with `m = chunk·batch`; per step only the
// recurrent product `h·W_h` (`m = batch`) and the element-wise part (C, rnn_fused.h) remain. A lower
// layer hands the next one its unmasked outputs for the chunk; the top layer writes its (masked)
// outputs straight into the result's layout. Every buffer is allocated once per run and is
// O(parallel_iterations · batch · units), independent of max_time.

// MARK: - Scalar dispatch to the C kernels

@inline(__always)
func rebound<S, T>(_ p: UnsafeMutablePointer<S>) -> UnsafeMutablePointer<T> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func rebound<S, T>(_ p: UnsafePointer<S>) -> UnsafePointer<T> {
    UnsafeRawPointer(p).assumingMemoryBound(to: T.self)
}

@inline(__always)
func reboundOrNil<S, T>(_ p: UnsafeMutablePointer<S>?) -> UnsafeMutablePointer<T>? {
    p.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: T.self) }
}

@inline(__always)
func reboundOrNil<S, T>(_ p: UnsafePointer<S>?) -> UnsafePointer<T>? {
    p.map { UnsafeRawPointer($0).assumingMemoryBound(to: T.self) }
}

extension Activation {
    /// The code `rnn_fused.h` uses for this activation.
    var fusedCode: Int32 {
        switch self {
        case .tanh: return 0
        case .relu: return 1
        case .sigmoid: return 2
        case .softsign: return 3
        case .elu: return 4
        }
    }
}

/// Element-wise kernels for `Float` and `Double` (`rnn_fused.h`).
enum Fused {
    /// Whether `S` is `Float` (else it must be `Double`: the kernels exist for those two only).
    @inline(__always)
    static func isFloat<S>(_: S.Type) -> Bool {
        if S.self == Float.self { return true }
        precondition(S.self == Double.self, "the engine's kernels support Float and Double only")
        return false
    }

    @inline(__always)
    static func act<S: RNNScalar>(_ n: Int, _ x: UnsafeMutablePointer<S>, _ act: Int32) {
        if isFloat(S.self) { rk_sact(n, rebound(x), act) } else { rk_dact(n, rebound(x), act) }
    }

    @inline(__always)
    static func add<S: RNNScalar>(_ n: Int, _ a: UnsafePointer<S>, _ b: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>) {
        if isFloat(S.self) { rk_sadd(n, rebound(a), rebound(b), rebound(y)) } else { rk_dadd(n, rebound(a), rebound(b), rebound(y)) }
    }

    @inline(__always)
    static func clip<S: RNNScalar>(_ n: Int, _ x: UnsafeMutablePointer<S>, _ limit: Double) {
        if isFloat(S.self) { rk_sclip(n, rebound(x), Float(limit)) } else { rk_dclip(n, rebound(x), limit) }
    }

    /// One LSTM element-wise step (see `rk_slstm_step`). `cellClip < 0` means no clipping.
    @inline(__always)
    static func lstmStep<S: RNNScalar>(batch: Int, units: Int, gates: UnsafePointer<S>, ldg: Int, cPrev: UnsafePointer<S>,
                                       forgetBias: Double, wi: UnsafePointer<S>?, wf: UnsafePointer<S>?, wo: UnsafePointer<S>?,
                                       cellClip: Double, act: Int32, cOut: UnsafeMutablePointer<S>,
                                       hOut: UnsafeMutablePointer<S>, ldh: Int,
                                       gi: UnsafeMutablePointer<S>? = nil, gj: UnsafeMutablePointer<S>? = nil,
                                       gf: UnsafeMutablePointer<S>? = nil, go: UnsafeMutablePointer<S>? = nil,
                                       scratch: UnsafeMutablePointer<S>) {
        if isFloat(S.self) {
            rk_slstm_step(batch, units, rebound(gates), ldg, rebound(cPrev), Float(forgetBias), reboundOrNil(wi), reboundOrNil(wf),
                          reboundOrNil(wo), Float(cellClip), act, rebound(cOut), rebound(hOut), ldh,
                          reboundOrNil(gi), reboundOrNil(gj), reboundOrNil(gf), reboundOrNil(go), rebound(scratch))
        } else {
            rk_dlstm_step(batch, units, rebound(gates), ldg, rebound(cPrev), forgetBias, reboundOrNil(wi), reboundOrNil(wf),
                          reboundOrNil(wo), cellClip, act, rebound(cOut), rebound(hOut), ldh,
                          reboundOrNil(gi), reboundOrNil(gj), reboundOrNil(gf), reboundOrNil(go), rebound(scratch))
        }
    }

    @inline(__always)
    static func gruGates<S: RNNScalar>(batch: Int, units: Int, gates: UnsafeMutablePointer<S>, ldg: Int,
                                       h: UnsafePointer<S>, rh: UnsafeMutablePointer<S>) {
        if isFloat(S.self) {
            rk_sgru_gates(batch, units, rebound(gates), ldg, rebound(h), rebound(rh))
        } else {
            rk_dgru_gates(batch, units, rebound(gates), ldg, rebound(h), rebound(rh))
        }
    }

    @inline(__always)
    static func gruFinish<S: RNNScalar>(batch: Int, units: Int, gates: UnsafePointer<S>, ldg: Int,
                                        cand: UnsafeMutablePointer<S>, h: UnsafePointer<S>,
                                        hOut: UnsafeMutablePointer<S>, act: Int32) {
        if isFloat(S.self) {
            rk_sgru_finish(batch, units, rebound(gates), ldg, rebound(cand), rebound(h), rebound(hOut), act)
        } else {
            rk_dgru_finish(batch, units, rebound(gates), ldg, rebound(cand), rebound(h), rebound(hOut), act)
        }
    }
}

// MARK: - The plan: one entry per layer

/// One layer of a stack the fused path can run: a built-in cell, possibly inside a `ResidualWrapper` and
/// identity `DropoutWrapper`s.
final class FastLayer<Scalar: RNNScalar> {
    enum Kind { case rnn, lstm, gru }
    let kind: Kind
    let units: Int
    /// Output (and `h`) depth.
    let outWidth: Int
    let inDepth: Int
    let residual: Bool
    let act: Int32
    /// The gates product (LSTM `4u`, RNN `u`, GRU `r, u`: `2u`).
    let linear: ConcatLinear<Scalar>
    /// GRU candidate product.
    let candidate: ConcatLinear<Scalar>?
    let forgetBias: Double
    /// Peephole diagonals `w_i, w_f, w_o` (owned copies) or nil.
    let wi: UnsafeMutablePointer<Scalar>?, wf: UnsafeMutablePointer<Scalar>?, wo: UnsafeMutablePointer<Scalar>?
    let cellClip: Double
    let projection: PackedMatrix<Scalar>?
    let projClip: Double?

    var gateWidth: Int { linear.width }
    var candidateWidth: Int { candidate?.width ?? 0 }

    init(kind: Kind, units: Int, outWidth: Int, residual: Bool, act: Activation, linear: ConcatLinear<Scalar>,
         candidate: ConcatLinear<Scalar>? = nil, forgetBias: Double = 0, peepholes: Peepholes<Scalar>? = nil,
         cellClip: Double? = nil, projection: PackedMatrix<Scalar>? = nil, projClip: Double? = nil) {
        self.kind = kind
        self.units = units
        self.outWidth = outWidth
        self.inDepth = linear.inputDepth
        self.residual = residual
        self.act = act.fusedCode
        self.linear = linear
        self.candidate = candidate
        self.forgetBias = forgetBias
        if let p = peepholes {
            func copy(_ a: [Scalar]) -> UnsafeMutablePointer<Scalar> {
                let q = UnsafeMutablePointer<Scalar>.allocate(capacity: max(1, a.count))
                _ = UnsafeMutableBufferPointer(start: q, count: a.count).initialize(from: a)
                return q
            }
            (wi, wf, wo) = (copy(p.wi), copy(p.wf), copy(p.wo))
        } else {
            (wi, wf, wo) = (nil, nil, nil)
        }
        self.cellClip = cellClip ?? -1
        self.projection = projection
        self.projClip = projClip
    }

    deinit {
        wi?.deallocate(); wf?.deallocate(); wo?.deallocate()
    }

    /// The layer for `cell`, or nil when the fused path cannot run it.
    static func make(_ cell: any RNNCell<Scalar>, residual: Bool = false) -> FastLayer? {
        if let d = cell as? DropoutWrapper<Scalar> {
            let o = d.options
            guard o.inputKeepProb == 1, o.outputKeepProb == 1, o.stateKeepProb == 1 else { return nil }
            return make(d.cell, residual: residual)
        }
        if let r = cell as? ResidualWrapper<Scalar> {
            guard !residual else { return nil }
            return make(r.cell, residual: true)
        }
        if let c = cell as? BasicRNNCell<Scalar>, let l = c.linear, l.width == c.numUnits {
            return FastLayer(kind: .rnn, units: c.numUnits, outWidth: c.numUnits, residual: residual,
                             act: c.activation, linear: l)
        }
        if let c = cell as? BasicLSTMCell<Scalar>, let l = c.linear, l.width == 4 * c.numUnits, l.stateDepth == c.numUnits {
            return FastLayer(kind: .lstm, units: c.numUnits, outWidth: c.numUnits, residual: residual,
                             act: c.activation, linear: l, forgetBias: c.forgetBias)
        }
        if let c = cell as? LSTMCell<Scalar>, let l = c.linear, l.width == 4 * c.numUnits {
            let o = c.options
            let hDepth = o.numProj ?? c.numUnits
            guard l.stateDepth == hDepth, o.usePeepholes == (c.peepholes != nil), (o.numProj != nil) == (c.projection != nil)
            else { return nil }
            return FastLayer(kind: .lstm, units: c.numUnits, outWidth: hDepth, residual: residual, act: o.activation,
                             linear: l, forgetBias: o.forgetBias, peepholes: c.peepholes, cellClip: o.cellClip,
                             projection: c.projection, projClip: o.projClip)
        }
        if let c = cell as? GRUCell<Scalar>, let g = c.gatesLinear, let cand = c.candidateLinear,
           g.width == 2 * c.numUnits, cand.width == c.numUnits, g.inputDepth == cand.inputDepth {
            return FastLayer(kind: .gru, units: c.numUnits, outWidth: c.numUnits, residual: residual,
                             act: c.activation, linear: g, candidate: cand)
        }
        return nil
    }
}

/// The layers of a stack the fused path runs, and whether the state is a `MultiRNNCell` tuple.
struct FastPlan<Scalar: RNNScalar> {
    let layers: [FastLayer<Scalar>]
    let isMulti: Bool

    init?(cell: any RNNCell<Scalar>, inputDepth: Int) {
        var cells: [any RNNCell<Scalar>]
        if let m = cell as? MultiRNNCell<Scalar> {
            cells = m.cells
            isMulti = true
        } else {
            cells = [cell]
            isMulti = false
        }
        var layers: [FastLayer<Scalar>] = []
        var depth = inputDepth
        for c in cells {
            guard let l = FastLayer.make(c), l.inDepth == depth else { return nil }
            if l.residual && l.outWidth != depth { return nil }
            layers.append(l)
            depth = l.outWidth
        }
        guard !layers.isEmpty else { return nil }
        self.layers = layers
    }
}

// MARK: - The run

/// The raw working buffers of a fused run. A run asks for its buffers in the same order every time, so
/// a loop keeps its arena between runs and later runs reuse the memory (no fresh pages to fault in).
final class Arena<Scalar> {
    private var blocks: [(pointer: UnsafeMutablePointer<Scalar>, capacity: Int)] = []
    private var next = 0
    /// Scalars requested since the last `reset()`.
    private(set) var total = 0

    /// Starts a run: the next `make` calls hand out the same blocks again.
    func reset() {
        next = 0
        total = 0
    }

    func make(_ count: Int) -> UnsafeMutablePointer<Scalar> {
        let n = max(1, count)
        total += n
        defer { next += 1 }
        if next < blocks.count {
            if blocks[next].capacity >= n { return blocks[next].pointer }
            blocks[next].pointer.deallocate()
            blocks[next] = (UnsafeMutablePointer<Scalar>.allocate(capacity: n), n)
            return blocks[next].pointer
        }
        blocks.append((UnsafeMutablePointer<Scalar>.allocate(capacity: n), n))
        return blocks[next].pointer
    }

    deinit { for b in blocks { b.pointer.deallocate() } }
}

extension UnrolledLoop {
    /// The fused plan for this loop, or nil when it must run step by step.
    func makeFastPlan() -> FastPlan<Scalar>? {
        guard allowsFastPath, Scalar.self == Float.self || Scalar.self == Double.self, batchSize > 0, maxTime > 0, loopBound > 0 else { return nil }
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
