import Foundation

// The fused backward sweep of a segment (what `GradientRun.compute` runs when nobody records frames), for a
// stack of plain LSTM layers (BasicLSTMCell, or LSTMCell without peepholes, clips or projection) and TF GRU
// layers, tanh: the same arithmetic as the step-by-step VJPs (LSTMStepGradient.swift, GRUCell+Backward.swift),
// arranged as cuDNN and oneDNN arrange it.
//
// - Forward (`forward`): per layer, the input projections of the whole segment are one product
//   (`m = steps·batch`); per step one call does the recurrent product and the element-wise part split across
//   the threads, copying out the activated gates; `c` and `h` of every step land in the segment's tape. A
//   gradient run keeps the tapes of the forward pass itself within its budget (GradientRun), and recomputes
//   the others into buffers allocated once per run (nothing is allocated per step).
// - Backward (`backward`), a layer at a time from the top: per step only the element-wise derivatives and
//   `dh_{t-1} = dgates_t·W_hᵀ` (an LSTM does both in one call per step, each thread on its own units; a GRU
//   also `d(r·h) = dc_pre·W_chᵀ`); after the segment's steps, `dW += [x, h₋]ᵀ·dgates` and `db += Σ dgates`
//   as one product over all its rows straight from the tape (GradientStore.addProductNow), and
//   `dx = dgates·W_xᵀ` as one product, which is the output gradient of the layer below (or the input gradient).
//
// Masking is TF's, as the step-by-step sweep does it: a row past its length gets zero gate gradients (so it
// adds nothing to any weight's gradient) and its state gradient passes back unchanged. The forward keeps a
// finished row's state as the plain forward pass does.

/// The fused backward for one loop (nil from `make` when a layer is not a plain tanh LSTM).
final class FusedBackward<Scalar: RNNScalar> {
    struct Layer {
        let fast: FastLayer<Scalar>
        /// `W_xᵀ` (`[G, in]`) and `W_hᵀ` (`[G, u]`) of the gates' kernel packed (`G = 4u`, a GRU's `2u`).
        let inputT: PackedMatrix<Scalar>
        let stateT: PackedMatrix<Scalar>
        /// A GRU's candidate kernel, the same way (`[u, in]`, `[u, u]`).
        let candidateT: (input: PackedMatrix<Scalar>, state: PackedMatrix<Scalar>)?
        var isGRU: Bool { candidateT != nil }
        /// Its state arrays: `c, h` or `h`.
        var stateArrays: Int { isGRU ? 1 : 2 }
    }

    let layers: [Layer]
    let isMulti: Bool
    let batch: Int
    let maxTime: Int
    let inputDepth: Int
    let timeMajor: Bool
    let lengths: [Int]
    private let arena = Arena<Scalar>()
    /// The forward's pre-activations (kept apart from `arena`, which may hold the tape being filled).
    private let forwardArena = Arena<Scalar>()

    /// The fused backward of `loop` for a gradient run, or nil when the step-by-step sweep must run it: the one
    /// the loop's last run handed back (`giveBack`), else a new one.
    static func take(_ loop: UnrolledLoop<Scalar>) -> FusedBackward? {
        guard loop.allowsFastPath else { return nil }
        let cached = loop.arenaLock.withLock { () -> FusedBackward? in
            defer { loop.cachedFusedBackward = nil }
            return loop.cachedFusedBackward as? FusedBackward
        }
        return cached ?? make(loop)
    }

    /// Hands `self` back to `loop` for its next gradient run (the memory it holds stays with the loop).
    func giveBack(to loop: UnrolledLoop<Scalar>) {
        loop.arenaLock.withLock { loop.cachedFusedBackward = self }
    }

    /// The fused backward of `loop`, or nil when the step-by-step sweep must run it.
    static func make(_ loop: UnrolledLoop<Scalar>) -> FusedBackward? {
        guard let plan = loop.makeFastPlan() else { return nil }
        var layers: [Layer] = []
        for l in plan.layers {
            guard l.act == Activation.tanh.fusedCode, !l.residual, l.outWidth == l.units, l.linear.stateDepth == l.units
            else { return nil }
            let blocks = l.linear.transposed.blocks(split: l.linear.inputDepth)
            switch l.kind {
            case .lstm:
                guard l.wi == nil, l.wf == nil, l.wo == nil, l.cellClip < 0, l.projection == nil, l.linear.width == 4 * l.units
                else { return nil }
                layers.append(Layer(fast: l, inputT: blocks.input, stateT: blocks.state, candidateT: nil))
            case .gru:
                guard let cand = l.candidate, l.linear.width == 2 * l.units, cand.width == l.units,
                      cand.inputDepth == l.inDepth, cand.stateDepth == l.units else { return nil }
                let c = cand.transposed.blocks(split: cand.inputDepth)
                layers.append(Layer(fast: l, inputT: blocks.input, stateT: blocks.state, candidateT: (c.input, c.state)))
            case .rnn:
                return nil
            }
        }
        return FusedBackward(layers: layers, isMulti: plan.isMulti, loop: loop)
    }

    private init(layers: [Layer], isMulti: Bool, loop: UnrolledLoop<Scalar>) {
        self.layers = layers
        self.isMulti = isMulti
        batch = loop.batchSize
        maxTime = loop.maxTime
        inputDepth = loop.inputs.depth
        timeMajor = loop.inputs.timeMajor
        lengths = loop.sequenceLength ?? []
    }

    /// State arrays in TF's flatten order: `c`, `h` per LSTM layer, `h` per GRU layer.
    var stateArrays: Int { layers.reduce(0) { $0 + $1.stateArrays } }

    /// What a segment's sweep hands back.
    struct SegmentResult {
        /// `∂L/∂state` at the segment's start.
        let stateGradient: Nest<Tensor<Scalar>>
        /// Scalars of working memory the sweep used.
        let workingScalars: Int
    }

    /// What the backward of steps `start ..< end` reads of their forward pass, per layer: `h` (and an LSTM's `c`)
    /// at the segment's start and after each step, the activated gates of each step (LSTM: `i, j, f, o` blocks of
    /// `[batch, units]`; GRU: rows of `[r | u]`), a GRU's `r·h` and activated candidate; and layer 0's inputs in
    /// (step, row) order. Either carved from the sweep's arena (a recomputation) or owning its memory (kept from
    /// the forward pass until the sweep reaches it).
    final class SegmentTape {
        private(set) var start: Int, end: Int
        let H: [UnsafeMutablePointer<Scalar>], C: [UnsafeMutablePointer<Scalar>], A: [UnsafeMutablePointer<Scalar>]
        let RH: [UnsafeMutablePointer<Scalar>], cand: [UnsafeMutablePointer<Scalar>]
        let x0: UnsafeMutablePointer<Scalar>
        /// Scalars it holds.
        let scalars: Int
        /// Memory taken from `pool` (returned to it when the tape goes), with its capacity; nil: borrowed.
        private let owned: (pointer: UnsafeMutablePointer<Scalar>, capacity: Int)?
        private let pool: FusedBackward?

        /// Where each array of a tape of `n` steps lies (offsets in scalars from its start), and the scalars in all:
        /// per layer `h` (and an LSTM's `c`) for `n + 1` states, the gates of `n` steps, a GRU's `r·h` and
        /// candidate; then layer 0's inputs.
        private static func layout(steps n: Int, layers: [Layer], batch B: Int, inputDepth D: Int)
            -> (h: [Int], c: [Int], a: [Int], rh: [Int], cand: [Int], x0: Int, total: Int) {
            var next = 0
            func carve(_ count: Int) -> Int { defer { next += count }; return next }
            var h: [Int] = [], c: [Int] = [], a: [Int] = [], rh: [Int] = [], cand: [Int] = []
            for l in layers {
                let u = l.fast.units
                h.append(carve((n + 1) * B * u))
                c.append(carve(l.isGRU ? 0 : (n + 1) * B * u))
                a.append(carve(n * B * l.fast.gateWidth))
                rh.append(carve(l.isGRU ? n * B * u : 0))
                cand.append(carve(l.isGRU ? n * B * u : 0))
            }
            let x0 = carve(n * B * D)
            return (h, c, a, rh, cand, x0, next)
        }

        /// The scalars a tape of `n` steps needs for `layers` (batch `B`, input depth `D`).
        static func scalars(steps n: Int, layers: [Layer], batch B: Int, inputDepth D: Int) -> Int {
            layout(steps: n, layers: layers, batch: B, inputDepth: D).total
        }

        /// A tape of steps `start ..< end` in `base` (memory it borrows).
        convenience init(start: Int, end: Int, layers: [Layer], batch B: Int, inputDepth D: Int, base: UnsafeMutablePointer<Scalar>) {
            self.init(start: start, end: end, layers: layers, batch: B, inputDepth: D, memory: { _ in (base, nil) })
        }

        /// A tape of steps `start ..< end` in memory taken from `pool`.
        convenience init(start: Int, end: Int, layers: [Layer], batch B: Int, inputDepth D: Int, pool: FusedBackward) {
            self.init(start: start, end: end, layers: layers, batch: B, inputDepth: D,
                      memory: { n in let block = pool.takeMemory(n); return (block.pointer, (block, pool)) })
        }

        private init(start: Int, end: Int, layers: [Layer], batch B: Int, inputDepth D: Int,
                     memory: (Int) -> (UnsafeMutablePointer<Scalar>,
                                       ((pointer: UnsafeMutablePointer<Scalar>, capacity: Int), FusedBackward)?)) {
            self.start = start
            self.end = end
            let at = SegmentTape.layout(steps: end - start, layers: layers, batch: B, inputDepth: D)
            scalars = at.total
            let (base, taken) = memory(at.total)
            (owned, pool) = (taken?.0, taken?.1)
            (H, C, A) = (at.h.map { base + $0 }, at.c.map { base + $0 }, at.a.map { base + $0 })
            (RH, cand, x0) = (at.rh.map { base + $0 }, at.cand.map { base + $0 }, base + at.x0)
        }

        /// The same memory for the same number of steps from `start` (a scratch tape reused for the next segment).
        func move(to start: Int) {
            end = start + (end - self.start)
            self.start = start
        }

        deinit {
            if let owned, let pool { pool.returnMemory(owned) }
        }
    }

    /// Tape memory returned by tapes that are gone, for the next ones (a run's tapes are the same sizes as the
    /// last run's): fresh memory would be faulted in page by page on every pass.
    private var freeTapeMemory: [(pointer: UnsafeMutablePointer<Scalar>, capacity: Int)] = []
    private let poolLock = NSLock()

    /// The smallest free block of at least `scalars`, or a new one.
    fileprivate func takeMemory(_ scalars: Int) -> (pointer: UnsafeMutablePointer<Scalar>, capacity: Int) {
        let n = max(1, scalars)
        return poolLock.withLock {
            let fits = freeTapeMemory.indices.filter { freeTapeMemory[$0].capacity >= n }
            if let best = fits.min(by: { freeTapeMemory[$0].capacity < freeTapeMemory[$1].capacity }) {
                return freeTapeMemory.remove(at: best)
            }
            return (largeArray(n), n)
        }
    }

    fileprivate func returnMemory(_ block: (pointer: UnsafeMutablePointer<Scalar>, capacity: Int)) {
        poolLock.withLock { freeTapeMemory.append(block) }
    }

    deinit { for b in freeTapeMemory { freeLargeArray(b.pointer) } }

    /// The scalars a kept tape of steps `start ..< end` holds.
    func tapeScalars(from start: Int, to end: Int) -> Int {
        SegmentTape.scalars(steps: end - start, layers: layers, batch: batch, inputDepth: inputDepth)
    }

    /// A tape of steps `start ..< end` with memory of its own (to keep from the forward pass for the sweep).
    func makeTape(from start: Int, to end: Int) -> SegmentTape {
        SegmentTape(start: start, end: end, layers: layers, batch: batch, inputDepth: inputDepth, pool: self)
    }

    /// Runs the forward pass of `tape`'s steps from `state` (the state at its start) with the forward's own fused
    /// kernels, filling the tape: per layer the input projections of the whole segment as one product, then per
    /// step one call for the recurrent product and the element-wise part, split across the threads, which also
    /// copies out the activated gates. Rows past their length keep their state (as the forward does), so the
    /// tape's states are the forward's and `state(_:at:)` can hand them on as checkpoints.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func forward(_ tape: SegmentTape, state: Nest<Tensor<Scalar>>, x: UnsafePointer<Scalar>) {
        let B = batch, D = inputDepth, n = tape.end - tape.start, start = tape.start
        let maxU = layers.map(\.fast.units).max() ?? 0
        let hasLSTM = layers.contains { !$0.isGRU }
        forwardArena.reset()
        let gates = hasLSTM ? forwardArena.make(n * B * 4 * maxU) : nil
        let starts: [Nest<Tensor<Scalar>>]
        if isMulti, case let .tuple(s) = state { starts = s } else { starts = [state] }
        for l in 0..<layers.count {
            let u = layers[l].fast.units
            switch starts[l] {
            case let .lstm(c0, h0):
                c0.scalars.withUnsafeBufferPointer { tape.C[l].update(from: $0.baseAddress!, count: B * u) }
                h0.scalars.withUnsafeBufferPointer { tape.H[l].update(from: $0.baseAddress!, count: B * u) }
            case let .leaf(h0):
                h0.scalars.withUnsafeBufferPointer { tape.H[l].update(from: $0.baseAddress!, count: B * u) }
            default:
                preconditionFailure("the state's structure is checked by makeFastPlan")
            }
        }
        for s in 0..<n {
            for b in 0..<B {
                let src = timeMajor ? ((start + s) * B + b) * D : (b * maxTime + start + s) * D
                (tape.x0 + (s * B + b) * D).update(from: x + src, count: D)
            }
        }
        for l in 0..<layers.count {
            let f = layers[l].fast, u = f.units, G = f.gateWidth, rows = n * B, nu = B * u
            let input = layerInput(l, tape)
            if let cl = f.candidate, let wc = f.candidateRecurrent {
                f.linear.inputBlock.multiply(rows: rows, a: input, lda: f.inDepth, into: tape.A[l], ldc: G, startingFrom: f.linear.bias)
                cl.inputBlock.multiply(rows: rows, a: input, lda: f.inDepth, into: tape.cand[l], ldc: u, startingFrom: cl.bias)
                for s in 0..<n {
                    Scalar.gruRecurrent(wg: f.recurrent, wc: wc, batch: B, hPrev: tape.H[l] + s * nu, gates: tape.A[l] + s * B * G,
                                        ldg: G, cand: tape.cand[l] + s * nu, rh: tape.RH[l] + s * nu, units: u, act: f.act,
                                        hOut: tape.H[l] + (s + 1) * nu)
                    keepFinishedRows(at: start + s, units: u, h: tape.H[l] + s * nu, c: nil)
                }
            } else if let gates {
                f.linear.inputBlock.multiply(rows: rows, a: input, lda: f.inDepth, into: gates, ldc: G, startingFrom: f.linear.bias)
                for s in 0..<n {
                    let a = tape.A[l] + s * 4 * nu
                    Scalar.lstmRecurrent(wh: f.recurrent, batch: B, hPrev: tape.H[l] + s * nu, ldhp: u, gates: gates + s * B * G,
                                         ldg: G, units: u, cPrev: tape.C[l] + s * nu, forgetBias: f.forgetBias, wi: nil, wf: nil,
                                         wo: nil, cellClip: -1, act: f.act, cOut: tape.C[l] + (s + 1) * nu,
                                         hOut: tape.H[l] + (s + 1) * nu, ldh: u, gi: a, gj: a + nu, gf: a + 2 * nu, go: a + 3 * nu)
                    keepFinishedRows(at: start + s, units: u, h: tape.H[l] + s * nu, c: tape.C[l] + s * nu)
                }
            }
        }
    }

    /// Rows past their length at step `t` keep the state before it: the rows of `h + B·u` (and `c + B·u`) get
    /// those of `h` (and `c`) back.
    @inline(__always)
    private func keepFinishedRows(at t: Int, units u: Int, h: UnsafeMutablePointer<Scalar>, c: UnsafeMutablePointer<Scalar>?) {
        copyFinishedRows(lengths: lengths, batch: batch, at: t, width: u, from: h, to: h + batch * u)
        if let c { copyFinishedRows(lengths: lengths, batch: batch, at: t, width: u, from: c, to: c + batch * u) }
    }

    /// Layer `l`'s inputs over the tape's steps, in (step, row) order.
    private func layerInput(_ l: Int, _ tape: SegmentTape) -> UnsafePointer<Scalar> {
        l == 0 ? UnsafePointer(tape.x0) : UnsafePointer(tape.H[l - 1] + batch * layers[l - 1].fast.units)
    }

    /// The state after step `tape.start + s` (`s` in `1 ... steps`; 0: the state at its start), structured as the
    /// loop's state.
    func state(_ tape: SegmentTape, after s: Int) -> Nest<Tensor<Scalar>> {
        let B = batch
        let items: [Nest<Tensor<Scalar>>] = layers.indices.map { l in
            let u = layers[l].fast.units
            let h = Tensor<Scalar>(unchecked: [B, u], scalars: Array(UnsafeBufferPointer(start: tape.H[l] + s * B * u, count: B * u)))
            if layers[l].isGRU { return .leaf(h) }
            return .lstm(c: Tensor(unchecked: [B, u], scalars: Array(UnsafeBufferPointer(start: tape.C[l] + s * B * u, count: B * u))),
                         h: h)
        }
        return isMulti ? .tuple(items) : items[0]
    }

    /// Writes the emitted outputs of the tape's steps (the top layer's `h`, rows within their length; the others are
    /// left as they are, zero) into `out`, time-major `[max_time, batch, units]`.
    func writeOutputs(_ tape: SegmentTape, into out: UnsafeMutablePointer<Scalar>) {
        let B = batch, top = layers.count - 1, u = layers[top].fast.units
        for t in tape.start..<tape.end {
            let h = tape.H[top] + (t - tape.start + 1) * B * u
            for b in 0..<B where !isFinished(b, t) { (out + (t * B + b) * u).update(from: h + b * u, count: u) }
        }
    }

    /// Sweeps steps `start ..< end` back from `dEnd` (`∂L/∂state` at `end`, structured as the loop's state),
    /// recomputing them first from `state` (the forward's state at `start`) into the arena. See `backward`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func sweep(from start: Int, to end: Int, state: Nest<Tensor<Scalar>>, dEnd: Nest<Tensor<Scalar>>,
               x: UnsafePointer<Scalar>, gradients: GradientStore<Scalar>,
               outputGradient: (Int, UnsafeMutablePointer<Scalar>) -> Bool,
               norms: (Int, Int, UnsafePointer<Double>) -> Void,
               inputGradient: (Int, UnsafePointer<Scalar>) -> Void) -> SegmentResult {
        arena.reset()
        let tape = SegmentTape(start: start, end: end, layers: layers, batch: batch, inputDepth: inputDepth,
                               base: arena.make(tapeScalars(from: start, to: end)))
        forward(tape, state: state, x: x)
        return backward(tape, dEnd: dEnd, gradients: gradients, outputGradient: outputGradient, norms: norms,
                        inputGradient: inputGradient, arenaReset: false)
    }

    /// Walks `tape`'s steps back from `dEnd` (`∂L/∂state` at its end, structured as the loop's state).
    /// `outputGradient(t, p)` writes `∂L/∂output_t` (`[batch, units]`) at `p` and returns false when it is zero;
    /// `norms(t, array, values)` gets `‖∂L/∂state_t‖` of every row (`batch` values) per state array (arriving
    /// from t+1);
    /// `inputGradient(t, p)` gets `∂L/∂x_t` (`[batch, depth]`, zero on finished rows). Weight gradients go to
    /// `gradients`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func backward(_ tape: SegmentTape, dEnd: Nest<Tensor<Scalar>>, gradients: GradientStore<Scalar>,
                  outputGradient: (Int, UnsafeMutablePointer<Scalar>) -> Bool,
                  norms: (Int, Int, UnsafePointer<Double>) -> Void,
                  inputGradient: (Int, UnsafePointer<Scalar>) -> Void, arenaReset: Bool = true) -> SegmentResult {
        let B = batch, n = tape.end - tape.start, start = tape.start, D = inputDepth, L = layers.count
        if arenaReset { arena.reset() }
        let maxU = layers.map(\.fast.units).max() ?? 0
        let maxIn = layers.map(\.fast.inDepth).max() ?? 0
        let (H, C, A, RH, cand) = (tape.H, tape.C, tape.A, tape.RH, tape.cand)
        // Working memory: every layer's gate gradients in turn, a GRU's candidate gradients, output gradients
        // handed down, state gradients, a GRU's saved rows of finished examples, dh₋ scratch and a product's rows.
        let gates = arena.make(n * B * 4 * maxU)
        let dCand = arena.make(n * B * maxU)
        let dOut = [arena.make(n * B * max(maxU, maxIn)), arena.make(n * B * max(maxU, maxIn))]
        let dh = layers.map { arena.make(B * $0.fast.units) }
        let dc = layers.map { arena.make($0.isGRU ? 0 : B * $0.fast.units) }
        let saved = arena.make(B * maxU)
        let tmp = arena.make(B * maxU)
        // The LSTM step's per-chunk sums of squares, and which rows are past their length at a step and the next.
        let normChunks = 64
        let partial = arena.make(normChunks * B * 2)
        // A step's norms of every row, per state array, handed on in one call each.
        let rowNorms = UnsafeMutablePointer<Double>.allocate(capacity: max(1, 2 * B))
        defer { rowNorms.deallocate() }
        var finished = [UInt8](repeating: 0, count: 2 * B)
        let tmpX = arena.make(n * B * maxIn)

        // `∂L/∂state` at the end, per layer.
        let ends: [Nest<Tensor<Scalar>>]
        if isMulti, case let .tuple(e) = dEnd { ends = e } else { ends = [dEnd] }
        for l in 0..<L {
            let u = layers[l].fast.units
            switch ends[l] {
            case let .lstm(dc0, dh0):
                dc0.scalars.withUnsafeBufferPointer { dc[l].update(from: $0.baseAddress!, count: B * u) }
                dh0.scalars.withUnsafeBufferPointer { dh[l].update(from: $0.baseAddress!, count: B * u) }
            case let .leaf(dh0):
                dh0.scalars.withUnsafeBufferPointer { dh[l].update(from: $0.baseAddress!, count: B * u) }
            default:
                preconditionFailure("the state gradient's structure is the loop's state's")
            }
        }

        // The top layer's output gradients (zero on finished rows).
        let top = layers[L - 1].fast.units
        for s in 0..<n {
            let t = start + s, p = dOut[(L - 1) % 2] + s * B * top
            if !outputGradient(t, p) { p.update(repeating: 0, count: B * top) }
            for b in 0..<B where isFinished(b, t) { (p + b * top).update(repeating: 0, count: top) }
        }

        // Backward, a layer at a time from the top.
        var array = stateArrays
        for l in stride(from: L - 1, through: 0, by: -1) {
            let layer = layers[l], f = layer.fast, u = f.units, G = f.gateWidth, nu = B * u
            let dO = dOut[l % 2], dhl = dh[l], dcl = dc[l]
            array -= layer.stateArrays
            if !layer.isGRU {
                // One call per step does the product that finishes dh and this step's derivatives, each thread
                // on its own units (the threads then need no hand-off between the two); one more call after the
                // last step finishes dh at the segment's start.
                let wt = layer.stateT.handle
                finished.withUnsafeMutableBufferPointer { flags in
                    let fin = flags.baseAddress!, finNext = fin + B
                    func flag(_ t: Int, into p: UnsafeMutablePointer<UInt8>) -> Bool {
                        var any = false
                        for b in 0..<B { let f = isFinished(b, t); p[b] = f ? 1 : 0; any = any || f }
                        return any
                    }
                    var nextAny = false
                    for s in stride(from: n - 1, through: 0, by: -1) {
                        let t = start + s, a = A[l] + s * 4 * nu
                        let any = flag(t, into: fin)
                        let chunks = Scalar.lstmBackwardStep(
                            wt: wt, batch: B, units: u, dgNext: s < n - 1 ? UnsafePointer(gates + (s + 1) * B * G) : nil,
                            finNext: nextAny ? UnsafePointer(finNext) : nil, dh: dhl, dhNew: tmp, elementwise: true,
                            fin: any ? UnsafePointer(fin) : nil, dout: dO + s * nu, c: C[l] + (s + 1) * nu, cPrev: C[l] + s * nu,
                            gi: a, gj: a + nu, gf: a + 2 * nu, go: a + 3 * nu, dc: dcl, dg: gates + s * B * G,
                            norms: partial, normChunks: normChunks)
                        for b in 0..<B {
                            var sc: Scalar = 0, sh: Scalar = 0
                            for k in 0..<max(0, chunks) {
                                sc += partial[(k * B + b) * 2]
                                sh += partial[(k * B + b) * 2 + 1]
                            }
                            rowNorms[b] = Double(sc).squareRoot()
                            rowNorms[B + b] = Double(sh).squareRoot()
                        }
                        norms(t, array, rowNorms)
                        norms(t, array + 1, rowNorms + B)
                        finNext.update(from: fin, count: B)
                        nextAny = any
                    }
                    _ = Scalar.lstmBackwardStep(
                        wt: wt, batch: B, units: u, dgNext: UnsafePointer(gates), finNext: nextAny ? UnsafePointer(finNext) : nil,
                        dh: dhl, dhNew: tmp, elementwise: false, fin: nil, dout: nil, c: nil, cPrev: nil, gi: nil, gj: nil,
                        gf: nil, go: nil, dc: nil, dg: nil, norms: nil, normChunks: normChunks)
                }
            }
            // A GRU step by step: the element-wise parts here, the two products split across the threads.
            for s in stride(from: n - 1, through: 0, by: -1) where layer.isGRU {
                guard let ct = layer.candidateT else { break }
                let t = start + s
                for b in 0..<B { rowNorms[b] = norm(dhl + b * u, u) }
                norms(t, array, rowNorms)
                let anyFinished = (0..<B).contains { isFinished($0, t) }
                if anyFinished {
                    for b in 0..<B where isFinished(b, t) {
                        (saved + b * u).update(from: dhl + b * u, count: u)
                        (dhl + b * u).update(repeating: 0, count: u)
                    }
                }
                let dG = gates + s * B * G, dOs = dO + s * nu
                let g = A[l] + s * B * G, h = H[l] + s * nu, c = cand[l] + s * nu, dC = dCand + s * nu
                // dh (the total) → dh₋ so far, du, dc_pre (into dC); then d(r·h) = dc_pre·W_chᵀ; then dr, the gates.
                gruCandidateGradients(batch: B, units: u, dOut: dOs, dh: dhl, gates: g, h: h, c: c, dHPrev: tmp, into: dG, dCPre: dC)
                ct.state.multiply(rows: B, a: dC, lda: u, into: dhl, ldc: u, accumulate: false)
                gruGateGradients(batch: B, units: u, dRH: dhl, gates: g, h: h, dHPrev: tmp, into: dG)
                layer.stateT.multiply(rows: B, a: dG, lda: G, into: dhl, ldc: u, accumulate: false)
                for e in 0..<nu { dhl[e] = tmp[e] + dhl[e] }
                if anyFinished {
                    for b in 0..<B where isFinished(b, t) { (dhl + b * u).update(from: saved + b * u, count: u) }
                }
            }
            // Weight gradients over the segment's rows, then ∂L/∂(layer input) as one product (two for a GRU, added).
            let input = layerInput(l, tape), rows = n * B
            func left(_ h: UnsafePointer<Scalar>) -> [(pointer: UnsafePointer<Scalar>, width: Int)] {
                f.inDepth > 0 ? [(input, f.inDepth), (h, u)] : [(h, u)]
            }
            let below = dOut[(l + 1) % 2]
            if let cl = f.candidate, let ct = layer.candidateT {
                gradients.addProductNow(kernel: cl.kernelName, bias: cl.biasName, left: left(UnsafePointer(RH[l])),
                                        right: dCand, rows: rows, width: u)
                gradients.addProductNow(kernel: f.linear.kernelName, bias: f.linear.biasName, left: left(UnsafePointer(H[l])),
                                        right: gates, rows: rows, width: G)
                if f.inDepth > 0 {
                    layer.inputT.multiply(rows: rows, a: gates, lda: G, into: below, ldc: f.inDepth, accumulate: false)
                    ct.input.multiply(rows: rows, a: dCand, lda: u, into: tmpX, ldc: f.inDepth, accumulate: false)
                    for e in 0..<(rows * f.inDepth) { below[e] += tmpX[e] }
                }
            } else {
                gradients.addProductNow(kernel: f.linear.kernelName, bias: f.linear.biasName, left: left(UnsafePointer(H[l])),
                                        right: gates, rows: rows, width: G)
                layer.inputT.multiply(rows: rows, a: gates, lda: G, into: below, ldc: f.inDepth, accumulate: false)
            }
        }
        if D > 0 {
            for s in 0..<n { inputGradient(start + s, dOut[1] + s * B * D) }
        }

        var results: [Nest<Tensor<Scalar>>] = []
        for l in 0..<L {
            let u = layers[l].fast.units
            let h = Tensor<Scalar>(unchecked: [B, u], scalars: Array(UnsafeBufferPointer(start: dh[l], count: B * u)))
            if layers[l].isGRU {
                results.append(.leaf(h))
            } else {
                results.append(.lstm(c: Tensor(unchecked: [B, u], scalars: Array(UnsafeBufferPointer(start: dc[l], count: B * u))), h: h))
            }
        }
        return SegmentResult(stateGradient: isMulti ? .tuple(results) : results[0], workingScalars: arena.total)
    }

    @inline(__always)
    private func isFinished(_ b: Int, _ t: Int) -> Bool { !lengths.isEmpty && t >= lengths[b] }

    /// `‖row‖` as the step-by-step sweep computes it (the sum of squares in `Scalar`).
    @inline(__always)
    private func norm(_ p: UnsafePointer<Scalar>, _ width: Int) -> Double {
        var sum: Scalar = 0
        for j in 0..<width { sum += p[j] * p[j] }
        return Double(sum).squareRoot()
    }
}

/// The GRU step's VJP up to its candidate (GRUCell+Backward.swift's order and form), for a batch, tanh:
/// from `dh` (the total with `dOut`), `dh₋ = dh·u` into `dHPrev`, `du`'s gate gradient into `dG` (rows of
/// `[r | u]`, `ldg = 2·units`) and `dc_pre = dh·(1 − u)·(1 − c²)` into `dCPre`.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gruCandidateGradients<Scalar: RNNScalar>(batch: Int, units u: Int, dOut: UnsafePointer<Scalar>, dh: UnsafePointer<Scalar>,
                                              gates: UnsafePointer<Scalar>, h: UnsafePointer<Scalar>, c: UnsafePointer<Scalar>,
                                              dHPrev: UnsafeMutablePointer<Scalar>, into dG: UnsafeMutablePointer<Scalar>,
                                              dCPre: UnsafeMutablePointer<Scalar>) {
    for b in 0..<batch {
        for k in 0..<u {
            let e = b * u + k, ug = gates[b * 2 * u + u + k]
            let dhv = dOut[e] + dh[e]
            dHPrev[e] = dhv * ug
            dG[b * 2 * u + u + k] = sigmoidBackward(dhv * (h[e] - c[e]), ug)
            let dC = dhv * (1 - ug)
            dCPre[e] = dC * (1 - c[e] * c[e])
        }
    }
}

/// The rest of the GRU step's VJP before `W_ghᵀ`: from `d(r·h)`, `dh₋ += d(r·h)·r` and `dr`'s gate gradient.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gruGateGradients<Scalar: RNNScalar>(batch: Int, units u: Int, dRH: UnsafePointer<Scalar>, gates: UnsafePointer<Scalar>,
                                         h: UnsafePointer<Scalar>, dHPrev: UnsafeMutablePointer<Scalar>,
                                         into dG: UnsafeMutablePointer<Scalar>) {
    for b in 0..<batch {
        for k in 0..<u {
            let e = b * u + k, r = gates[b * 2 * u + k]
            dHPrev[e] += dRH[e] * r
            dG[b * 2 * u + k] = sigmoidBackward(dRH[e] * h[e], r)
        }
    }
}
