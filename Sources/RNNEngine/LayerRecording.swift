/// The rule both recorders follow (the forward's `StepRecorder`, the backward's `GradientRecorder`) for which
/// layer a record goes to: the loop opens layer 0 for the whole cell; the outermost `MultiRNNCell` replaces it
/// with one layer per sub-cell; a stack nested inside a layer records into that layer.
struct LayerRecording<Layer> {
    private(set) var layers: [Layer] = []
    private var open: Int?
    private var openIsImplicit = false
    private var multiDepth = 0

    /// Opens `layer` (dropping the whole-cell layer a stack replaces).
    mutating func begin(_ layer: Layer) {
        if openIsImplicit, let i = open, i == layers.count - 1 { layers.removeLast() }
        layers.append(layer)
        open = layers.count - 1
        openIsImplicit = false
    }

    /// Opens layer 0 for the whole cell.
    mutating func beginWholeCell(_ layer: Layer) {
        begin(layer)
        openIsImplicit = true
    }

    /// Closes the whole-cell layer with `finish` if no stack replaced it.
    mutating func endWholeCell(_ finish: (inout Layer) -> Void) {
        if openIsImplicit { end(finish) }
        openIsImplicit = false
    }

    /// Closes the open layer with `finish`.
    mutating func end(_ finish: (inout Layer) -> Void) {
        guard let i = open else { return }
        finish(&layers[i])
        open = nil
    }

    /// Changes the open layer, if any.
    mutating func updateOpen(_ change: (inout Layer) -> Void) {
        guard let i = open else { return }
        change(&layers[i])
    }

    /// Sorts the layers (the backward pass records them top down).
    mutating func sort(by order: (Layer, Layer) -> Bool) { layers.sort(by: order) }

    /// Whether a layer opened by a stack is open (a nested stack records into it instead of opening layers).
    var isInsideLayer: Bool { open != nil && !openIsImplicit }
    /// Enters a `MultiRNNCell`; true for the outermost one.
    mutating func enterMulti() -> Bool { multiDepth += 1; return multiDepth == 1 }
    mutating func exitMulti() { multiDepth -= 1 }
}
