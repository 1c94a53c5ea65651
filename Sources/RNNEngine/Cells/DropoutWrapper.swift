/// Keep probabilities of a `DropoutWrapper` (each in (0, 1]; 1 means no dropout there).
public struct DropoutOptions: Sendable, Equatable {
    public var inputKeepProb: Double
    public var outputKeepProb: Double
    public var stateKeepProb: Double
    public var seed: UInt64?

    public init(inputKeepProb: Double = 1, outputKeepProb: Double = 1, stateKeepProb: Double = 1, seed: UInt64? = nil) {
        self.inputKeepProb = inputKeepProb
        self.outputKeepProb = outputKeepProb
        self.stateKeepProb = stateKeepProb
        self.seed = seed
    }
}

/// TF's `DropoutWrapper`: dropout on the input, the new state (all of it but an `LSTMStateTuple`'s `c`,
/// TF's default filter) and the output, each `x / keep · floor(keep + U[0,1))`. A keep probability of 1.0 is
/// the identity. Masks come from the engine's own generator, seeded by `seed`, the time step and the tensor,
/// so a run is reproducible (TensorFlow's random streams cannot be reproduced outside TensorFlow).
public final class DropoutWrapper<Scalar: RNNScalar>: RNNCell {
    public let cell: any RNNCell<Scalar>
    public let options: DropoutOptions
    private var salt: UInt64 = 0

    public init(_ cell: any RNNCell<Scalar>, options: DropoutOptions) throws {
        for (label, p) in [("input_keep_prob", options.inputKeepProb), ("output_keep_prob", options.outputKeepProb),
                           ("state_keep_prob", options.stateKeepProb)] where !(p > 0 && p <= 1) {
            throw RNNError.invalidCell("DropoutWrapper: \(label) must be in (0, 1], got \(p)")
        }
        self.cell = cell
        self.options = options
    }

    public var name: String { cell.name }
    public var stateSize: Nest<Int> { cell.stateSize }
    public var outputSize: Int { cell.outputSize }

    public func build(inputDepth: Int, scope: String) throws {
        salt = fnv1a(scope)
        try cell.build(inputDepth: inputDepth, scope: scope)
    }

    public func call(_ input: Nest<Tensor<Scalar>>, state: Nest<Tensor<Scalar>>,
                     context: StepContext<Scalar>) throws -> (output: Tensor<Scalar>, state: Nest<Tensor<Scalar>>) {
        var x = input
        if options.inputKeepProb < 1 {
            x = input.map { dropout($0, keep: options.inputKeepProb, stream: 1, time: context.time) }
        }
        var (out, newState) = try cell.call(x, state: state, context: context)
        if options.stateKeepProb < 1 {
            newState = dropState(newState, stream: 2, time: context.time)
        }
        if options.outputKeepProb < 1 {
            out = dropout(out, keep: options.outputKeepProb, stream: 3, time: context.time)
            context.recorder?.record("output after dropout", out)
        }
        return (out, newState)
    }

    func dropState(_ s: Nest<Tensor<Scalar>>, stream: UInt64, time: Int) -> Nest<Tensor<Scalar>> {
        switch s {
        case let .leaf(t): return .leaf(dropout(t, keep: options.stateKeepProb, stream: stream, time: time))
        case let .lstm(c, h): return .lstm(c: c, h: dropout(h, keep: options.stateKeepProb, stream: stream, time: time))
        case let .tuple(items):
            return .tuple(items.enumerated().map { dropState($1, stream: stream &* 31 &+ UInt64($0), time: time) })
        }
    }

    func dropout(_ t: Tensor<Scalar>, keep: Double, stream: UInt64, time: Int) -> Tensor<Scalar> {
        var rng = SplitMix64(seed: (options.seed ?? 0) ^ salt ^ (stream &* 0x9e37_79b9) ^ (UInt64(truncatingIfNeeded: time) &* 0x85eb_ca6b))
        let k = Scalar(keep)
        var out = t
        for i in out.scalars.indices {
            let mask = (keep + rng.nextUniform()).rounded(.down)
            out.scalars[i] = out.scalars[i] / k * Scalar(mask)
        }
        return out
    }
}
