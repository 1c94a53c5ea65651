/// What one layer's backward step did at one time step: the cotangents it received and passed on, and each
/// gate's gradient.
public struct LayerGradientFrame<Scalar: RNNScalar>: Sendable {
    /// Index of the layer in the stack (0 for a single cell).
    public var layer: Int
    /// TF's name for the cell (`lstm_cell`, ...); its gates are `GateTable.gates(ofCellNamed:)`.
    public var cellName: String
    /// `∂L/∂output` of this layer at this step: from the loss (the top layer; masked rows zero) or from the
    /// layer above (its input gradient).
    public var outputGradient: Tensor<Scalar>
    /// `∂L/∂state` after this step arriving from step t+1 (masked rows zero: their gradient goes through the copy).
    public var nextStateGradient: Nest<Tensor<Scalar>>
    /// Gradients inside the step, by name: `h` (`∂L/∂h_t` in total), `c` (LSTMs: `∂L/∂c_t` in total, through
    /// the output too), `m` (a projected LSTM's unprojected output), and each gate of the cell's `GateTable`
    /// entry (`i, j, f, o` or `r, u, c`: the gradient with respect to the gate's value after its activation).
    public var gradients: [NamedTensor<Scalar>] = []
    /// `∂L/∂x_t` of this layer's input.
    public var inputGradient: Tensor<Scalar>
    /// `∂L/∂state` before this step, as this layer's step passes it back (before the masked rows' copy).
    public var previousStateGradient: Nest<Tensor<Scalar>>
    /// This step's contributions to the layer's weight gradients, as the step handed them to the gradient store
    /// (summed over the steps they are the weight gradients; `WeightGradientTrace`).
    public var weightGradients: [WeightGradientContribution<Scalar>] = []

    /// The gradient named `name` (`h`, `c`, a gate), or nil.
    public func gradient(_ name: String) -> Tensor<Scalar>? { gradients.first { $0.name == name }?.value }
}

/// Collects per-layer gradients while a cell's backward step runs (as `StepRecorder` does for the forward):
/// the run opens layer 0 for the whole cell, and the outermost `MultiRNNCell` replaces it by one layer per
/// sub-cell. Passing no recorder costs nothing.
public final class GradientRecorder<Scalar: RNNScalar> {
    private var recording = LayerRecording<LayerGradientFrame<Scalar>>()
    public var layers: [LayerGradientFrame<Scalar>] { recording.layers }

    public init() {}

    func beginLayer(_ index: Int, cellName: String, outputGradient: Tensor<Scalar>, nextStateGradient: Nest<Tensor<Scalar>>) {
        recording.begin(layer(index, cellName, outputGradient, nextStateGradient))
    }

    func beginWholeCell(cellName: String, outputGradient: Tensor<Scalar>, nextStateGradient: Nest<Tensor<Scalar>>) {
        recording.beginWholeCell(layer(0, cellName, outputGradient, nextStateGradient))
    }

    func endWholeCell(inputGradient: Tensor<Scalar>, previousStateGradient: Nest<Tensor<Scalar>>) {
        recording.endWholeCell { $0.inputGradient = inputGradient; $0.previousStateGradient = previousStateGradient }
        recording.sort { $0.layer < $1.layer }
    }

    func endLayer(inputGradient: Tensor<Scalar>, previousStateGradient: Nest<Tensor<Scalar>>) {
        recording.end { $0.inputGradient = inputGradient; $0.previousStateGradient = previousStateGradient }
    }

    /// Records a named gradient in the open layer (the first record of a name wins, so the inner cells of a
    /// nested stack do not overwrite what the layer's own cell recorded).
    public func record(_ name: String, _ value: Tensor<Scalar>) {
        recording.updateOpen { layer in
            if !layer.gradients.contains(where: { $0.name == name }) { layer.gradients.append(NamedTensor(name: name, value: value)) }
        }
    }

    /// Records a contribution to a weight's gradient in the open layer.
    func recordWeightGradient(_ contribution: WeightGradientContribution<Scalar>) {
        recording.updateOpen { $0.weightGradients.append(contribution) }
    }

    var isInsideLayer: Bool { recording.isInsideLayer }
    func enterMulti() -> Bool { recording.enterMulti() }
    func exitMulti() { recording.exitMulti() }

    private func layer(_ index: Int, _ cellName: String, _ dOut: Tensor<Scalar>, _ dNext: Nest<Tensor<Scalar>>) -> LayerGradientFrame<Scalar> {
        LayerGradientFrame(layer: index, cellName: cellName, outputGradient: dOut, nextStateGradient: dNext,
                           inputGradient: dOut, previousStateGradient: dNext)
    }
}
