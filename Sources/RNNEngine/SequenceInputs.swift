/// Validated inputs of `dynamic_rnn`: one or more `[batch, time, depth]` (or time-major) tensors,
/// read one time step at a time without transposing the whole array.
public struct SequenceInputs<Scalar: RNNScalar>: Sendable {
    /// The inputs as given (batch-major or time-major).
    public let tensors: Nest<Tensor<Scalar>>
    public let timeMajor: Bool
    public let maxTime: Int
    public let batchSize: Int

    /// Checks ranks and that every input agrees on time and batch, as `dynamic_rnn` does.
    public init(_ inputs: Nest<Tensor<Scalar>>, timeMajor: Bool) throws {
        let flat = inputs.flattenedWithPaths
        guard let first = flat.first else { throw RNNError.emptyInputs }
        for (path, t) in flat where t.rank < 3 {
            throw RNNError.inputRankTooLow(path: path, shape: t.shape)
        }
        let (timeAxis, batchAxis) = timeMajor ? (0, 1) : (1, 0)
        let maxTime = first.value.shape[timeAxis], batch = first.value.shape[batchAxis]
        for (path, t) in flat.dropFirst() {
            if t.shape[timeAxis] != maxTime {
                throw RNNError.mismatchedInputs("Time steps is not the same for all the elements in the input in a batch: input \(path) has \(t.shape[timeAxis]), expected \(maxTime)")
            }
            if t.shape[batchAxis] != batch {
                throw RNNError.mismatchedInputs("Batch_size is not the same for all the elements in the input: input \(path) has \(t.shape[batchAxis]), expected \(batch)")
            }
        }
        self.tensors = inputs
        self.timeMajor = timeMajor
        self.maxTime = maxTime
        self.batchSize = batch
    }

    /// The depth of a single input (its trailing dimensions' product), for building the cell.
    public var depth: Int {
        guard case let .leaf(t) = tensors else { return 0 }
        return t.shape.dropFirst(2).reduce(1, *)
    }

    /// Every input's depth (trailing dimensions' product), in the inputs' structure.
    public var depths: Nest<Int> { tensors.map { $0.shape.dropFirst(2).reduce(1, *) } }

    /// The input at time `t`, each leaf `[batch, ...]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func slice(at t: Int) -> Nest<Tensor<Scalar>> {
        tensors.map { x in
            let inner = Array(x.shape.dropFirst(2))
            let width = inner.reduce(1, *)
            var out = [Scalar](repeating: 0, count: batchSize * width)
            x.scalars.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    guard width > 0, let d = dst.baseAddress, let sp = src.baseAddress else { return }
                    if timeMajor {
                        d.update(from: sp + t * batchSize * width, count: batchSize * width)
                        return
                    }
                    for b in 0..<batchSize {
                        (d + b * width).update(from: sp + (b * maxTime + t) * width, count: width)
                    }
                }
            }
            return Tensor(unchecked: [batchSize] + inner, scalars: out)
        }
    }
}
