/// The working memory of one fused run, taken from the loop's arena in the same order every run (so a
/// later run reuses the blocks), sized for chunks of `chunk` steps: O(chunk · batch · units) per lane.
struct FusedBuffers<Scalar: RNNScalar> {
    /// What one layer's chunk works in; layers that run side by side each have their own (layer `l` uses
    /// lane `l % lanes.count`).
    struct Lane {
        /// A chunk's gate pre-activations (`chunk·batch` rows of the widest layer's gates) and GRU candidates.
        let xGates: UnsafeMutablePointer<Scalar>, xCand: UnsafeMutablePointer<Scalar>
        /// The un-projected LSTM output `m`, and the GRU's `r·h`.
        let mBuf: UnsafeMutablePointer<Scalar>, rh: UnsafeMutablePointer<Scalar>
    }
    let lanes: [Lane]
    /// The unmasked outputs a lower layer hands the next one (see `handOff(from:chunk:)`).
    private let handOffs: [UnsafeMutablePointer<Scalar>]
    /// A chunk's input rows gathered in (step, batch row) order; nil when the inputs are time-major already.
    let gather: UnsafeMutablePointer<Scalar>?

    /// With one lane the layers run one after another within a chunk; with more, `lanes` consecutive layers
    /// run side by side on different chunks.
    init(arena: Arena<Scalar>, layers: [FastLayer<Scalar>], chunk P: Int, batch B: Int, inputDepth D: Int,
         timeMajor: Bool, lanes: Int = 1) {
        let maxGate = layers.map(\.gateWidth).max() ?? 0
        let maxCand = layers.map(\.candidateWidth).max() ?? 0
        let maxUnits = layers.map(\.units).max() ?? 0
        self.lanes = (0..<max(1, lanes)).map { _ in
            Lane(xGates: arena.make(P * B * maxGate), xCand: arena.make(P * B * maxCand),
                 mBuf: arena.make(B * maxUnits), rh: arena.make(B * maxUnits))
        }
        let maxInner = layers.dropLast().map(\.outWidth).max() ?? 0 // outputs handed from layer to layer
        let count = lanes > 1 ? 2 * max(0, layers.count - 1) : 2
        handOffs = (0..<count).map { _ in arena.make(P * B * maxInner) }
        gather = timeMajor ? nil : arena.make(P * B * D)
    }

    func lane(of layer: Int) -> Lane { lanes[layer % lanes.count] }

    /// Where lower layer `l` writes its outputs for chunk `k`, the next layer's inputs. One after another, the
    /// next layer reads them before layer `l + 2` overwrites them (two buffers, alternating by layer); side by
    /// side, layer `l` writes chunk `k + 1` while the next layer still reads chunk `k` (two per layer,
    /// alternating by chunk).
    func handOff(from l: Int, chunk k: Int) -> UnsafeMutablePointer<Scalar> {
        lanes.count > 1 ? handOffs[2 * l + k % 2] : handOffs[l % 2]
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
