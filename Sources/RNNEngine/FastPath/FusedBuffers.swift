/// The working memory of one fused run, taken from the loop's arena in the same order every run (so a
/// later run reuses the blocks), sized for chunks of `chunk` steps: O(chunk · batch · units).
struct FusedBuffers<Scalar: RNNScalar> {
    /// A chunk's gate pre-activations (`chunk·batch` rows of the widest layer's gates) and GRU candidates.
    let xGates: UnsafeMutablePointer<Scalar>, xCand: UnsafeMutablePointer<Scalar>
    /// The unmasked outputs a lower layer hands the next one, alternating between two buffers.
    let chunkOut: [UnsafeMutablePointer<Scalar>]
    /// A chunk's input rows gathered in (step, batch row) order; nil when the inputs are time-major already.
    let gather: UnsafeMutablePointer<Scalar>?
    /// The un-projected LSTM output `m`, and the GRU's `r·h`.
    let mBuf: UnsafeMutablePointer<Scalar>, rh: UnsafeMutablePointer<Scalar>

    init(arena: Arena<Scalar>, layers: [FastLayer<Scalar>], chunk P: Int, batch B: Int, inputDepth D: Int, timeMajor: Bool) {
        let maxGate = layers.map(\.gateWidth).max() ?? 0
        let maxCand = layers.map(\.candidateWidth).max() ?? 0
        let maxUnits = layers.map(\.units).max() ?? 0
        xGates = arena.make(P * B * maxGate)
        xCand = arena.make(P * B * maxCand)
        let maxInner = layers.dropLast().map(\.outWidth).max() ?? 0 // outputs handed from layer to layer
        chunkOut = [arena.make(P * B * maxInner), arena.make(P * B * maxInner)]
        gather = timeMajor ? nil : arena.make(P * B * D)
        mBuf = arena.make(B * maxUnits)
        rh = arena.make(B * maxUnits)
    }
}

/// Every layer's state during a fused run, double-buffered: `h[l][0]` is layer `l`'s current `h` and
/// `h[l][1]` the next step's (`c` likewise, for LSTM layers only; empty for the others).
struct FusedLayerStates<Scalar: RNNScalar> {
    var h: [[UnsafeMutablePointer<Scalar>]] = []
    var c: [[UnsafeMutablePointer<Scalar>]] = []

    /// Buffers from `arena` holding `start`, which has the plan's structure (checked by `makeFastPlan`).
    init(arena: Arena<Scalar>, plan: FastPlan<Scalar>, batch B: Int, start: Nest<Tensor<Scalar>>) {
        let initial: [Nest<Tensor<Scalar>>]
        if plan.isMulti, case let .tuple(items) = start { initial = items } else { initial = [start] }
        for (l, layer) in plan.layers.enumerated() {
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
            self.h.append(h)
            self.c.append(c)
        }
    }

    /// The current state, structured as the loop's state.
    func snapshot(_ plan: FastPlan<Scalar>, batch B: Int) -> Nest<Tensor<Scalar>> {
        var finals: [Nest<Tensor<Scalar>>] = []
        for (l, layer) in plan.layers.enumerated() {
            let h = Tensor<Scalar>(unchecked: [B, layer.outWidth],
                                   scalars: Array(UnsafeBufferPointer(start: self.h[l][0], count: B * layer.outWidth)))
            if layer.kind == .lstm {
                let c = Tensor<Scalar>(unchecked: [B, layer.units],
                                       scalars: Array(UnsafeBufferPointer(start: self.c[l][0], count: B * layer.units)))
                finals.append(.lstm(c: c, h: h))
            } else {
                finals.append(.leaf(h))
            }
        }
        return plan.isMulti ? .tuple(finals) : finals[0]
    }
}
