/// TF's `MultiRNNCell`: cells applied in sequence, each layer's output the next one's input.
/// State is a tuple with one entry per layer; variables live under `multi_rnn_cell/cell_<i>/`.
public final class MultiRNNCell<Scalar: RNNScalar>: RNNCell {
    public let cells: [any RNNCell<Scalar>]

    public init(_ cells: [any RNNCell<Scalar>]) throws {
        guard !cells.isEmpty else { throw RNNError.invalidCell("MultiRNNCell: must specify at least one cell") }
        self.cells = cells
    }

    public var name: String { "multi_rnn_cell" }
    public var stateSize: Nest<Int> { .tuple(cells.map(\.stateSize)) }
    public var outputSize: Int { cells[cells.count - 1].outputSize }

    public func build(inputDepth: Int, scope: String) throws {
        var depth = inputDepth
        for (i, cell) in cells.enumerated() {
            try cell.build(inputDepth: depth, scope: multiRNNCellLayerScope(scope, layer: i))
            depth = cell.outputSize
        }
    }

    /// The per-layer states of a stack's state (or of its gradient), or an error naming the structure.
    func layerStates(_ state: Nest<Tensor<Scalar>>, what: String = "states") throws -> [Nest<Tensor<Scalar>>] {
        guard case let .tuple(states) = state, states.count == cells.count else {
            throw RNNError.badInitialState(
                "MultiRNNCell with \(cells.count) cells expects a tuple of \(cells.count) \(what), got \(state.structureDescription)")
        }
        return states
    }

    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let states = try layerStates(state)
        let recorder = context.recorder
        let opensLayers = recorder.map { $0.enterMulti() && !$0.isInsideLayer } ?? false
        defer { recorder?.exitMulti() }
        var current = input
        var newStates: [Nest<Tensor<Scalar>>] = []
        var output: Tensor<Scalar>?
        for (i, cell) in cells.enumerated() {
            if opensLayers, let rec = recorder, case let .leaf(x) = current {
                rec.beginLayer(i, cellName: cell.name, input: x, state: states[i])
            }
            let (o, s) = try cell.call(current, state: states[i], context: context)
            if opensLayers { recorder?.endLayer(output: o, state: s) }
            newStates.append(s)
            output = o
            current = .leaf(o)
        }
        guard let out = output else { throw RNNError.invalidCell("MultiRNNCell: must specify at least one cell") }
        return (out, .tuple(newStates))
    }
}

/// The variable scope of layer `i` of a `MultiRNNCell` built under `scope` (`scope/multi_rnn_cell/cell_i`).
public func multiRNNCellLayerScope(_ scope: String, layer i: Int) -> String { "\(scope)/multi_rnn_cell/cell_\(i)" }
