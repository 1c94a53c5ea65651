/// A recurrent cell, as TensorFlow's `RNNCell`: one time step maps `(input, state)` to `(output, new state)`.
///
/// Cells are built lazily, like TF's: `dynamicRNN` calls `build(inputDepth:scope:)` once the input depth is
/// known, and the cell fetches its variables (named `scope/cell_name/kernel`, ...) from its `VariableStore`.
/// Implement this protocol to run your own cell through `dynamicRNN`.
public protocol RNNCell<Scalar>: AnyObject {
    associatedtype Scalar: RNNScalar
    /// The state's structure and per-row sizes (an `LSTMStateTuple` is `.lstm(c:, h:)`).
    var stateSize: Nest<Int> { get }
    /// The depth of the output at each step.
    var outputSize: Int { get }
    /// TensorFlow's name for the cell's variable scope (`lstm_cell`, `gru_cell`, ...); wrappers return their inner cell's.
    var name: String { get }
    /// Creates or fetches the weights for inputs of depth `inputDepth`, under the variable scope `scope`.
    func build(inputDepth: Int, scope: String) throws
    /// Builds for (possibly nested) inputs, given each input's depth in the inputs' structure, as TF hands a
    /// cell the structure of its input shapes. The default calls `build(inputDepth:scope:)` with a single
    /// input's depth (0 for nested inputs); a cell that takes nested inputs implements this instead.
    func build(inputDepths: Nest<Int>, scope: String) throws
    /// One time step for a batch. `input` holds `[batch, depth]` tensors; `context` gives the time and a recorder for gates.
    func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
              context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>)
}

extension RNNCell {
    public func build(inputDepths: Nest<Int>, scope: String) throws {
        if case let .leaf(d) = inputDepths { try build(inputDepth: d, scope: scope) } else { try build(inputDepth: 0, scope: scope) }
    }

    /// The all-zeros state for a batch (TF's `zero_state`).
    public func zeroState(batchSize: Int) -> Nest<Tensor<Scalar>> {
        stateSize.map { Tensor(zeros: [batchSize, $0]) }
    }
}

extension Nest {
    /// The single tensor a built-in cell takes, or a clear error when the input is nested.
    func single<S>(for cell: String) throws -> Tensor<S> where Element == Tensor<S> {
        if case let .leaf(x) = self {
            guard x.rank == 2 else {
                throw RNNError.invalidArgument("\(cell) takes [batch, depth] at each step, got shape \(formatShape(x.shape))")
            }
            return x
        }
        throw RNNError.invalidArgument("\(cell) takes a single input tensor, got a nested input \(structureDescription)")
    }
}

