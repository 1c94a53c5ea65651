/// The scalar loss a backward pass differentiates, as the vector-Jacobian product of `dynamic_rnn`:
/// `L = sum(outputs · outputCotangent) + Σ over state arrays S of sum(S · stateCotangent[S])`.
/// The common losses are cases of their own, so they need no arrays of the outputs' size.
public enum RNNLoss<Scalar: RNNScalar>: Sendable {
    /// Arbitrary cotangents: `outputs` in the outputs' layout (`[batch, time, out]`, or time-major), `state` in
    /// the state's structure; either may be nil (zero).
    case cotangents(outputs: Tensor<Scalar>?, state: Nest<Tensor<Scalar>>?)
    /// The sum of every output.
    case sumOfOutputs
    /// One output unit at one step of one example: `outputs[example, step, unit]`.
    case outputUnit(example: Int, step: Int, unit: Int)
    /// The sum of the final state's arrays: all of them (`path` nil), or the one at `path` (`h`, `c`, `0/h`;
    /// `""` for a single-array state), named as in `state/...`.
    case finalState(path: String?)
}

extension RNNLoss {
    /// One output unit of `example` at its last step within its length (`sequence_length`, clamped to
    /// `max_time`; `max_time − 1` without lengths), or nil when the example has no step (length 0 or no time).
    public static func lastValidOutput(example: Int, unit: Int, maxTime: Int, sequenceLength: [Int]?) -> RNNLoss? {
        let length = min(maxTime, max(0, sequenceLength.map { $0.indices.contains(example) ? $0[example] : 0 } ?? maxTime))
        return length > 0 ? .outputUnit(example: example, step: length - 1, unit: unit) : nil
    }

    /// This loss as the backward direction of a bidirectional run sees it. Its loop runs over the inputs reversed
    /// within each row's length (`reverse_sequence`), so its outputs are the returned backward outputs reversed
    /// the same way; a loss given against the returned outputs (the inputs' time order) maps by that reversal,
    /// its own inverse. State losses are unchanged.
    public func reversedInTime(lengths: [Int]?, maxTime: Int, timeMajor: Bool) throws -> RNNLoss {
        switch self {
        case let .cotangents(outputs?, state):
            return .cotangents(outputs: try reverseSequence(outputs, lengths: lengths, timeMajor: timeMajor), state: state)
        case let .outputUnit(example, step, unit):
            let n = lengths.map { $0.indices.contains(example) ? $0[example] : 0 } ?? maxTime
            return step < n ? .outputUnit(example: example, step: n - 1 - step, unit: unit) : self
        default:
            return self
        }
    }
}

/// A loss checked against one loop: it gives each step's output cotangent and the final state's cotangent.
struct ResolvedLoss<Scalar: RNNScalar> {
    let loss: RNNLoss<Scalar>
    let batch: Int, maxTime: Int, width: Int, timeMajor: Bool
    /// `∂L/∂(final state)`.
    let stateCotangent: Nest<Tensor<Scalar>>

    init(_ loss: RNNLoss<Scalar>, loop: UnrolledLoop<Scalar>) throws {
        self.loss = loss
        batch = loop.batchSize
        maxTime = loop.maxTime
        width = loop.outputSize
        timeMajor = loop.inputs.timeMajor
        let zero = loop.cell.stateSize.map { Tensor<Scalar>(zeros: [loop.batchSize, $0]) }
        let outputShape = timeMajor ? [maxTime, batch, width] : [batch, maxTime, width]
        switch loss {
        case let .cotangents(outputs, state):
            if let o = outputs, o.shape != outputShape {
                throw RNNError.invalidArgument("loss/outputs: expected shape \(formatShape(outputShape)) (the outputs'), got \(formatShape(o.shape))")
            }
            if let s = state {
                guard s.sameStructure(as: zero) else {
                    throw RNNError.invalidArgument("loss/state: structure \(s.structureDescription), the state is \(zero.structureDescription)")
                }
                for ((path, t), z) in zip(s.flattenedWithPaths, zero.flattened) where t.shape != z.shape {
                    let name = path.isEmpty ? "loss/state" : "loss/state/" + path
                    throw RNNError.invalidArgument("\(name): expected shape \(formatShape(z.shape)), got \(formatShape(t.shape))")
                }
                stateCotangent = s
            } else {
                stateCotangent = zero
            }
        case .sumOfOutputs:
            stateCotangent = zero
        case let .outputUnit(example, step, unit):
            for (name, value, limit) in [("example", example, batch), ("step", step, maxTime), ("unit", unit, width)]
            where !(0..<limit).contains(value) {
                throw RNNError.invalidArgument("loss: output \(name) \(value) is out of range 0..<\(limit)")
            }
            stateCotangent = zero
        case let .finalState(path):
            let paths = zero.flattenedWithPaths.map(\.path)
            if let path, !paths.contains(path) {
                let known = paths.map { $0.isEmpty ? "\"\" (the state)" : "\"\($0)\"" }.joined(separator: ", ")
                throw RNNError.invalidArgument("loss: the state has no array \"\(path)\"; its arrays: \(known)")
            }
            var k = 0
            stateCotangent = zero.map { z in
                defer { k += 1 }
                return (path == nil || paths[k] == path) ? Tensor(repeating: 1, shape: z.shape) : z
            }
        }
    }

    /// Writes `∂L/∂output_t` (`[batch, width]`) into `into`; returns false when it is zero (nothing written).
    func outputCotangent(at t: Int, into p: UnsafeMutablePointer<Scalar>) -> Bool {
        switch loss {
        case let .cotangents(outputs?, _):
            outputs.scalars.withUnsafeBufferPointer { src in
                for b in 0..<batch {
                    let o = timeMajor ? (t * batch + b) * width : (b * maxTime + t) * width
                    (p + b * width).update(from: src.baseAddress! + o, count: width)
                }
            }
            return width > 0
        case .sumOfOutputs:
            p.update(repeating: 1, count: batch * width)
            return width > 0
        case let .outputUnit(example, step, unit):
            guard t == step else { return false }
            p.update(repeating: 0, count: batch * width)
            p[example * width + unit] = 1
            return true
        case .cotangents(nil, _), .finalState:
            return false
        }
    }
}
