/// A built-in cell: what it is, is its layer (kind, `num_units`, activation, options), and its kind's descriptor
/// answers its TensorFlow name, state structure and output depth, so no cell class repeats them.
public protocol BuiltInCell: RNNCell {
    /// The layer this cell runs (checked when the cell was made: `CellLayer.validated()`).
    var layer: CellLayer { get }
}

extension BuiltInCell {
    public var name: String { layer.descriptor.scopeName }
    public var stateSize: Nest<Int> { layer.descriptor.stateSize(layer) }
    public var outputSize: Int { layer.descriptor.outputSize(layer) }
    /// `num_units`.
    public var numUnits: Int { layer.numUnits }
    /// The cell's activation.
    public var activation: Activation { layer.activation }
    /// The cell's name in messages (`LSTMCell`, ...).
    var label: String { layer.descriptor.cellLabel }
}

extension CellLayer {
    /// This layer, or the error TensorFlow raises when a cell is made with these arguments (named by the cell's
    /// class: `LSTMCell: num_proj must be at least 1, got 0`).
    func validated() throws -> CellLayer {
        let label = descriptor.cellLabel
        guard numUnits >= 1 else { throw RNNError.invalidCell("\(label): num_units must be at least 1, got \(numUnits)") }
        if let p = options.numProj, p < 1 { throw RNNError.invalidCell("\(label): num_proj must be at least 1, got \(p)") }
        if let c = options.cellClip, !(c >= 0) { throw RNNError.invalidCell("\(label): cell_clip must be non-negative, got \(c)") }
        if let c = options.projClip, !(c >= 0) { throw RNNError.invalidCell("\(label): proj_clip must be non-negative, got \(c)") }
        if let c = options.clip, !(c > 0) { throw RNNError.invalidCell("\(label): clip must be positive, got \(c)") }
        let slots = descriptor.defaultActivations.count
        if !options.activations.isEmpty, options.activations.count != slots {
            throw RNNError.invalidCell("\(label): takes \(slots) activations per direction, got \(options.activations.count)")
        }
        return self
    }
}

extension ConcatLinear {
    /// TF's concatenated layout under `prefix`: `prefix/kernel [inputDepth + stateDepth, width]` (Glorot-uniform
    /// when the store creates it) multiplying `[x, h]`, and `prefix/bias [width]` (`biasInitializer`).
    static func fetch(from store: VariableStore<Scalar>, prefix: String, inputDepth: Int, stateDepth: Int, width: Int,
                      biasInitializer: Initializer = .zeros) throws -> ConcatLinear {
        let (kernelName, biasName) = (prefix + "/kernel", prefix + "/bias")
        let kernel = try store.variable(kernelName, shape: [inputDepth + stateDepth, width], initializer: .glorotUniform)
        let bias = try store.variable(biasName, shape: [width], initializer: biasInitializer)
        return ConcatLinear(kernel: kernel, inputDepth: inputDepth, bias: bias, kernelName: kernelName, biasName: biasName)
    }
}
