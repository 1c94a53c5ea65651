/// A named tensor recorded during one step (a gate, a candidate, a dropout mask, ...).
public struct NamedTensor<Scalar: RNNScalar>: Sendable {
    public let name: String
    public let value: Tensor<Scalar>
}

/// What one layer did at one time step, as the cell computed it (before `sequence_length` masking).
public struct LayerStep<Scalar: RNNScalar>: Sendable {
    public var layer: Int
    public var cellName: String
    public var input: Tensor<Scalar>
    public var stateBefore: Nest<Tensor<Scalar>>
    public var gates: [NamedTensor<Scalar>] = []
    /// Values that go into the activations (`f_pre`, `peep_f`, `c_unclipped`, …; see `recordTerm`).
    public var terms: [NamedTensor<Scalar>] = []
    public var output: Tensor<Scalar>?
    public var stateAfter: Nest<Tensor<Scalar>>?
}

/// Collects per-layer values while a cell computes one step. Cells report gates with `record`;
/// `MultiRNNCell` opens one layer per sub-cell. Passing no recorder costs nothing.
public final class StepRecorder<Scalar: RNNScalar> {
    private var recording = LayerRecording<LayerStep<Scalar>>()
    public var layers: [LayerStep<Scalar>] { recording.layers }

    public init() {}

    /// Starts a layer (called by the loop for a single cell, by the outermost `MultiRNNCell` for each layer).
    public func beginLayer(_ index: Int, cellName: String, input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        recording.begin(LayerStep(layer: index, cellName: cellName, input: input, stateBefore: state))
    }

    /// Opens layer 0 for a whole cell; a `MultiRNNCell` inside replaces it with one layer per sub-cell.
    func beginWholeCell(cellName: String, input: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        recording.beginWholeCell(LayerStep(layer: 0, cellName: cellName, input: input, stateBefore: state))
    }

    /// Closes the whole-cell layer if no `MultiRNNCell` replaced it.
    func endWholeCell(output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        recording.endWholeCell { $0.output = output; $0.stateAfter = state }
    }

    /// Ends the open layer with what it produced.
    public func endLayer(output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        recording.end { $0.output = output; $0.stateAfter = state }
    }

    /// Records a named value in the open layer.
    public func record(_ name: String, _ value: Tensor<Scalar>) {
        recording.updateOpen { $0.gates.append(NamedTensor(name: name, value: value)) }
    }

    /// Records a value that goes into an activation (a gate's `W·[x, h] + b`, a peephole term, a value before a
    /// clip) in the open layer, apart from the gates, so a front-end can write out each equation with its numbers.
    public func recordTerm(_ name: String, _ value: Tensor<Scalar>) {
        recording.updateOpen { $0.terms.append(NamedTensor(name: name, value: value)) }
    }

    /// Whether a layer is open (a nested `MultiRNNCell` records into its parent's layer instead of opening one).
    var isInsideLayer: Bool { recording.isInsideLayer }
    func enterMulti() -> Bool { recording.enterMulti() }
    func exitMulti() { recording.exitMulti() }
}

/// What a cell knows about the step it computes: the time index (for reproducible dropout masks)
/// and the recorder to report gates to (nil when nobody is watching).
public struct StepContext<Scalar: RNNScalar> {
    public var time: Int
    public var recorder: StepRecorder<Scalar>?

    public init(time: Int, recorder: StepRecorder<Scalar>? = nil) {
        self.time = time
        self.recorder = recorder
    }
}
