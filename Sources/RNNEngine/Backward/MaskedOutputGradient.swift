extension MaskedOutputRule {
    /// The vector-Jacobian product of `apply`: a cotangent of the outputs as the convention emits them, turned into
    /// one of the outputs `dynamicRNN` computes. With `repeatLastValid` (Keras) a masked step's output is a copy of
    /// the row's last valid output, so its cotangent is added to that step's; a row of length 0 emits zeros and
    /// passes nothing on. With `zeros` (or without lengths) the cotangent is unchanged.
    public func pullBack<Scalar: RNNScalar>(_ cotangent: Tensor<Scalar>, sequenceLength: [Int]?, timeMajor: Bool) -> Tensor<Scalar> {
        guard self == .repeatLastValid, let lengths = sequenceLength, cotangent.rank == 3 else { return cotangent }
        var out = cotangent.scalars
        let width = cotangent.shape[2]
        Self.forEachRepeat(shape: cotangent.shape, lengths: lengths, timeMajor: timeMajor) { at, source in
            for k in 0..<width {
                if let source { out[source + k] += out[at + k] }
                out[at + k] = 0
            }
        }
        return Tensor(unchecked: cotangent.shape, scalars: out)
    }

    /// A loss on the convention's outputs as a loss on `dynamicRNN`'s (`pullBack` for its output part):
    /// `maxTime`, `batch` and `width` give the outputs' shape for a built-in loss that has to become cotangents.
    public func pullBack<Scalar: RNNScalar>(_ loss: RNNLoss<Scalar>, sequenceLength: [Int]?, batch: Int, maxTime: Int,
                                            width: Int, timeMajor: Bool) -> RNNLoss<Scalar> {
        guard self == .repeatLastValid, let lengths = sequenceLength else { return loss }
        switch loss {
        case let .cotangents(outputs?, state):
            return .cotangents(outputs: pullBack(outputs, sequenceLength: lengths, timeMajor: timeMajor), state: state)
        case .sumOfOutputs:
            let ones = Tensor<Scalar>(repeating: 1, shape: timeMajor ? [maxTime, batch, width] : [batch, maxTime, width])
            return .cotangents(outputs: pullBack(ones, sequenceLength: lengths, timeMajor: timeMajor), state: nil)
        case let .outputUnit(example, step, unit):
            let length = lengths.indices.contains(example) ? min(max(lengths[example], 0), maxTime) : maxTime
            if step < length { return loss }
            return length > 0 ? .outputUnit(example: example, step: length - 1, unit: unit) : .cotangents(outputs: nil, state: nil)
        case .cotangents(nil, _), .finalState:
            return loss
        }
    }
}
