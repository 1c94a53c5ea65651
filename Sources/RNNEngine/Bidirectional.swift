/// What `bidirectionalDynamicRNN` returns: `(output_fw, output_bw)` and `(state_fw, state_bw)`.
public struct BidirectionalResult<Scalar: RNNScalar>: Sendable {
    public var outputsForward: Tensor<Scalar>
    /// The backward outputs, reversed back into the inputs' time order.
    public var outputsBackward: Tensor<Scalar>
    public var stateForward: Nest<Tensor<Scalar>>
    public var stateBackward: Nest<Tensor<Scalar>>
}

/// `tf.nn.bidirectional_dynamic_rnn`: a forward pass under `scope/fw` and a backward pass under `scope/bw`
/// over each row reversed within its own length (`reverse_sequence`; a full reverse without lengths).
public func bidirectionalDynamicRNN<Scalar: RNNScalar>(
    cellForward: any RNNCell<Scalar>, cellBackward: any RNNCell<Scalar>, inputs: Nest<Tensor<Scalar>>,
    sequenceLength: [Int]? = nil, initialStateForward: Nest<Tensor<Scalar>>? = nil,
    initialStateBackward: Nest<Tensor<Scalar>>? = nil, dtype: DType? = nil, parallelIterations: Int = 32,
    swapMemory: Bool = false, timeMajor: Bool = false, scope: String = VariableScope.bidirectionalRNN
) throws -> BidirectionalResult<Scalar> {
    let fw = try dynamicRNN(cell: cellForward, inputs: inputs, sequenceLength: sequenceLength,
                            initialState: initialStateForward, dtype: dtype, parallelIterations: parallelIterations,
                            swapMemory: swapMemory, timeMajor: timeMajor, scope: VariableScope.scope(scope, for: .forward))
    let reversed = try inputs.map { try reverseSequence($0, lengths: sequenceLength, timeMajor: timeMajor) }
    let bw = try dynamicRNN(cell: cellBackward, inputs: reversed, sequenceLength: sequenceLength,
                            initialState: initialStateBackward, dtype: dtype, parallelIterations: parallelIterations,
                            swapMemory: swapMemory, timeMajor: timeMajor, scope: VariableScope.scope(scope, for: .backward))
    let outBw = try reverseSequence(bw.outputs, lengths: sequenceLength, timeMajor: timeMajor)
    return BidirectionalResult(outputsForward: fw.outputs, outputsBackward: outBw,
                               stateForward: fw.state, stateBackward: bw.state)
}

/// Where step `t` of a row of `length` steps goes under `reverse_sequence` (and comes from: the map is its own
/// inverse): `length - 1 - t` inside the length, `t` past it; without a length the whole row is reversed.
/// The backward pass of `bidirectional_dynamic_rnn` reads input step `reversedTimeIndex(t)` at its step `t`
/// and writes its output there.
public func reversedTimeIndex(_ t: Int, length: Int?, maxTime: Int) -> Int {
    let n = min(max(0, length ?? maxTime), maxTime)
    return t < n ? n - 1 - t : t
}

/// TF's `reverse_sequence` along the time axis: row `b` has its first `lengths[b]` steps reversed and the rest
/// left in place; without lengths, every row is reversed whole. Lengths must lie in `0...max_time`.
public func reverseSequence<Scalar: RNNScalar>(_ x: Tensor<Scalar>, lengths: [Int]?, timeMajor: Bool) throws -> Tensor<Scalar> {
    guard x.rank >= 3 else { throw RNNError.inputRankTooLow(path: "", shape: x.shape) }
    let (time, batch) = timeMajor ? (x.shape[0], x.shape[1]) : (x.shape[1], x.shape[0])
    let width = x.shape.dropFirst(2).reduce(1, *)
    if let lengths {
        guard lengths.count == batch else {
            throw RNNError.badSequenceLength("sequence_length must be a vector of length batch_size (\(batch)), got \(lengths.count) values")
        }
        for (b, l) in lengths.enumerated() where l < 0 || l > time {
            throw RNNError.badSequenceLength(
                "reverse_sequence: sequence_length[\(b)] = \(l) must lie in 0...\(time) (max_time)")
        }
    }
    var out = x.scalars
    for b in 0..<batch {
        let n = lengths?[b] ?? time
        for t in 0..<n {
            let src = t, dst = reversedTimeIndex(t, length: n, maxTime: time)
            let s = timeMajor ? (src * batch + b) * width : (b * time + src) * width
            let d = timeMajor ? (dst * batch + b) * width : (b * time + dst) * width
            for k in 0..<width { out[d + k] = x.scalars[s + k] }
        }
    }
    return Tensor(unchecked: x.shape, scalars: out)
}
