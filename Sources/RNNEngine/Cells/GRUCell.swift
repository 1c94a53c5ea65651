/// TF's `GRUCell`: `r, u = split(σ([x, h]·Wg + bg), 2)`, `c = act([x, r·h]·Wc + bc)`, `h' = u·h + (1 − u)·c`.
/// The reset gate multiplies `h` before the candidate product (TF's variant).
/// Variables: `gates/kernel [depth + units, 2·units]`, `gates/bias` (default 1.0), `candidate/kernel [depth + units, units]`,
/// `candidate/bias` (default 0).
public final class GRUCell<Scalar: RNNScalar>: BuiltInCell {
    public let layer: CellLayer
    public let store: VariableStore<Scalar>
    var gatesLinear: ConcatLinear<Scalar>?
    var candidateLinear: ConcatLinear<Scalar>?

    public init(numUnits: Int, activation: Activation = .tanh, store: VariableStore<Scalar>) throws {
        layer = try CellLayer(kind: .gru, numUnits: numUnits, activation: activation).validated()
        self.store = store
    }

    public func build(inputDepth: Int, scope: String) throws {
        let prefix = scope + "/" + name
        // TF creates the gates' variables first, then the candidate's (the order seeded initial values follow).
        gatesLinear = try .fetch(from: store, prefix: prefix + "/gates", inputDepth: inputDepth, stateDepth: numUnits,
                                 width: 2 * numUnits, biasInitializer: .constant(1.0))
        candidateLinear = try .fetch(from: store, prefix: prefix + "/candidate", inputDepth: inputDepth, stateDepth: numUnits,
                                     width: numUnits)
    }
}

extension GRUCell: StepFunctionCell {
    /// What one step computes (each `[batch, units]` unless noted): the one place the step's equations live,
    /// for `call` and for the backward pass's recomputation.
    struct Step: SingleStateStep {
        /// The step's input and previous state.
        var x: [Scalar], h: [Scalar]
        /// `[x, h]·W_g + b_g`, `[batch, 2·units]` (blocks r, u); only for `.record`.
        var gatesPre: [Scalar]
        /// `σ` of it: the reset and update gates, `[batch, 2·units]` (blocks r, u).
        var gates: [Scalar]
        /// `r·h`.
        var rh: [Scalar]
        /// The candidate before (only for `.record` and `.tape`) and after its activation.
        var cPre: [Scalar], c: [Scalar]
        /// The new state (and output).
        var out: [Scalar]

        var scalarCount: Int { RNNEngine.scalarCount(x, h, gatesPre, gates, rh, cPre, c, out) }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func step(_ x: Tensor<Scalar>, state: Nest<Tensor<Scalar>>, for use: StepUse) throws -> Step {
        let h = try state.single(for: "GRUCell state")
        let depth = x.shape.last ?? 0
        let gl = try builtLinear(gatesLinear, inputDepth: depth, cell: "GRUCell")
        let cl = try builtLinear(candidateLinear, inputDepth: depth, cell: "GRUCell")
        let batch = x.shape[0], units = numUnits, n = batch * units
        var gates = gl.apply(x, h).scalars
        let gatesPre = use == .record ? gates : []
        var rh = [Scalar](repeating: 0, count: n)
        gates.withUnsafeMutableBufferPointer { g in
            h.scalars.withUnsafeBufferPointer { hp in
                rh.withUnsafeMutableBufferPointer { r in
                    if n > 0 { Fused.gruGates(batch: batch, units: units, gates: g.baseAddress!, ldg: 2 * units, h: hp.baseAddress!, rh: r.baseAddress!) }
                }
            }
        }
        var c = cl.apply(x, Tensor(unchecked: [batch, units], scalars: rh)).scalars
        let cPre = use == .run ? [] : c
        var out = [Scalar](repeating: 0, count: n)
        c.withUnsafeMutableBufferPointer { cp in
            gates.withUnsafeBufferPointer { g in
                h.scalars.withUnsafeBufferPointer { hp in
                    out.withUnsafeMutableBufferPointer { o in
                        if n > 0 {
                            Fused.gruFinish(batch: batch, units: units, gates: g.baseAddress!, ldg: 2 * units, cand: cp.baseAddress!,
                                            h: hp.baseAddress!, hOut: o.baseAddress!, act: activation.fusedCode)
                        }
                    }
                }
            }
        }
        return Step(x: x.scalars, h: h.scalars, gatesPre: gatesPre, gates: gates, rh: rh, cPre: cPre, c: c, out: out)
    }

    func record(_ s: Step, batch: Int, into rec: StepRecorder<Scalar>) {
        let units = numUnits, shape = [batch, units]
        rec.recordColumnBlocks(["r_pre", "u_pre"], of: Tensor(unchecked: [batch, 2 * units], scalars: s.gatesPre), units: units)
        rec.recordTerm("c_pre", Tensor(unchecked: shape, scalars: s.cPre))
        var r = [Scalar](), u = [Scalar]()
        r.reserveCapacity(batch * units); u.reserveCapacity(batch * units)
        for b in 0..<batch {
            r.append(contentsOf: s.gates[(b * 2 * units)..<(b * 2 * units + units)])
            u.append(contentsOf: s.gates[(b * 2 * units + units)..<((b + 1) * 2 * units)])
        }
        for (gate, values) in zip(GateTable.gru, [r, u, s.c]) {
            rec.record(gate.name, Tensor(unchecked: shape, scalars: values))
        }
    }
}
