/// TF's `ResidualWrapper`: `output = input + cell(input)`, state unchanged. Adds no variable scope.
/// The cell's output size must equal the input depth (TF raises a ValueError otherwise).
public final class ResidualWrapper<Scalar: RNNScalar>: RNNCell {
    public let cell: any RNNCell<Scalar>

    public init(_ cell: any RNNCell<Scalar>) { self.cell = cell }

    public var name: String { cell.name }
    public var stateSize: Nest<Int> { cell.stateSize }
    public var outputSize: Int { cell.outputSize }

    public func build(inputDepth: Int, scope: String) throws {
        guard inputDepth == cell.outputSize else {
            throw RNNError.residualShapeMismatch(inputDepth: inputDepth, outputDepth: cell.outputSize)
        }
        try cell.build(inputDepth: inputDepth, scope: scope)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        let x = try input.single(for: "ResidualWrapper")
        var (out, newState) = try cell.call(input, state: state, context: context)
        guard out.shape == x.shape else {
            throw RNNError.residualShapeMismatch(inputDepth: x.shape.last ?? 0, outputDepth: out.shape.last ?? 0)
        }
        context.recorder?.record("cell output", out)
        let n = out.count
        out.scalars.withUnsafeMutableBufferPointer { o in
            x.scalars.withUnsafeBufferPointer { xp in
                if n > 0 { Fused.add(n, UnsafePointer(o.baseAddress!), xp.baseAddress!, o.baseAddress!) }
            }
        }
        return (out, newState)
    }
}
