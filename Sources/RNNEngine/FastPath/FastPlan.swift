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
