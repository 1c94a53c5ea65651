import XCTest
@testable import RNNEngine

/// `RNNModel.gradients` under the keras and torch conventions against central finite differences of `RNNModel.run`
/// in float64, independently of the frameworks: the loss is written out on the convention's own results (Keras'
/// repeated masked outputs, PyTorch's `output`, `h_n`, `c_n`, layer-wise bidirectional stacks), and the gradient
/// with respect to every weight, input and initial-state element must match `(L(p + ε) − L(p − ε)) / 2ε`.
final class ModelGradientCheckTests: XCTestCase {
    struct Case {
        var name: String
        var model: RNNModel
        var batch = 3, time = 4, depth = 2
        var lengths: [Int]? = nil
        var timeMajor = false
        var initialState = false
        var loss: Loss = .named
        /// `.named`: random cotangents for every result under the framework's names (`ModelResult.namedTensors`),
        /// through `RNNModel.losses(cotangents:)`; `.perDirection`: given losses on each direction's results.
        enum Loss { case named, perDirection([RNNLoss<Double>]) }
    }

    func testKerasConvention() throws {
        let lstm = CellSpec.lstm(numUnits: 3, options: LSTMOptions(forgetBias: 0))
        let cases: [Case] = [
            Case(name: "keras lstm, masked (lengths 0 and above max_time): repeats take their cotangents to the last valid step",
                 model: RNNModel(cell: lstm, convention: .keras), lengths: [2, 0, 9], initialState: true),
            Case(name: "keras reset-after gru, time-major", model: RNNModel(cell: .gruResetAfter(numUnits: 3, activation: .tanh), convention: .keras),
                 lengths: [4, 1, 3], timeMajor: true, initialState: true),
            Case(name: "keras stack gru(reset before) / simple rnn relu", model: RNNModel(cell: .multi([.gru(numUnits: 2, activation: .tanh),
                                                                                                       .basicRNN(numUnits: 3, activation: .relu)]),
                                                                                          convention: .keras),
                 lengths: [3, 4, 1]),
            Case(name: "keras bidirectional lstm (Bidirectional zeroes masked outputs)", model: RNNModel(cell: lstm, bidirectional: true, convention: .keras),
                 lengths: [1, 4, 2], initialState: true),
            Case(name: "keras sum of outputs with repeats", model: RNNModel(cell: .gruResetAfter(numUnits: 2, activation: .sigmoid), convention: .keras),
                 lengths: [1, 3, 0], loss: .perDirection([.sumOfOutputs])),
            Case(name: "keras one output unit at a masked step", model: RNNModel(cell: lstm, convention: .keras),
                 lengths: [4, 2, 3], loss: .perDirection([.outputUnit(example: 1, step: 3, unit: 2)])),
        ]
        for c in cases { try check(c) }
    }

    func testTorchConvention() throws {
        let proj = CellSpec.lstm(numUnits: 3, options: LSTMOptions(numProj: 2, forgetBias: 0))
        let gru = CellSpec.gruResetAfter(numUnits: 2, activation: .tanh)
        let cases: [Case] = [
            Case(name: "torch 2-layer bidirectional projected lstm, packed, h_0/c_0",
                 model: RNNModel(cell: .multi([proj, proj]), bidirectional: true, convention: .torch), lengths: [3, 4, 1], initialState: true),
            Case(name: "torch 3-layer bidirectional gru, time-major, no lengths",
                 model: RNNModel(cell: .multi([gru, gru, gru]), bidirectional: true, convention: .torch), timeMajor: true, initialState: true),
            Case(name: "torch one bidirectional layer rnn relu", model: RNNModel(cell: .basicRNN(numUnits: 2, activation: .relu), bidirectional: true,
                                                                                  convention: .torch),
                 lengths: [2, 4, 3]),
            Case(name: "torch 2-layer lstm, packed", model: RNNModel(cell: .multi([proj, proj]), convention: .torch), lengths: [4, 2, 3],
                 initialState: true),
            Case(name: "torch layer-wise stack, one final state array of layer 0",
                 model: RNNModel(cell: .multi([proj, proj]), bidirectional: true, convention: .torch), lengths: [3, 4, 1],
                 loss: .perDirection([.finalState(path: "0/c"), .finalState(path: nil)])),
            Case(name: "torch layer-wise stack, sum of outputs and one unit",
                 model: RNNModel(cell: .multi([gru, gru]), bidirectional: true, convention: .torch), lengths: [2, 4, 3],
                 loss: .perDirection([.sumOfOutputs, .outputUnit(example: 2, step: 0, unit: 1)])),
        ]
        for c in cases { try check(c) }
    }

    /// The same check notices a wrong gradient (one weight's gradient nudged).
    func testTheCheckNoticesAWrongGradient() throws {
        let c = Case(name: "torch", model: RNNModel(cell: .multi([.basicRNN(numUnits: 2, activation: .tanh), .basicRNN(numUnits: 2, activation: .tanh)]),
                                                    bidirectional: true, convention: .torch), lengths: [2, 4, 3])
        XCTAssertFalse(try compare(c, corrupt: true).isEmpty)
    }

    /// A Keras masked step's output is the last valid one: its cotangent lands there, and a row of length 0 passes none.
    func testKerasRepeatsPassTheirCotangentToTheLastValidStep() {
        let cot = Tensor<Double>(unchecked: [2, 3, 1], scalars: [1, 2, 4, 8, 16, 32])
        let pulled = MaskedOutputRule.repeatLastValid.pullBack(cot, sequenceLength: [1, 0], timeMajor: false)
        XCTAssertEqual(pulled.scalars, [7, 0, 0, 0, 0, 0])
        XCTAssertEqual(MaskedOutputRule.zeros.pullBack(cot, sequenceLength: [1, 0], timeMajor: false), cot)
    }

    // MARK: - The check

    private func check(_ c: Case, file: StaticString = #filePath, line: UInt = #line) throws {
        let problems = try compare(c, corrupt: false)
        XCTAssertTrue(problems.isEmpty, "\(c.name): \(problems.prefix(5).joined(separator: "; "))", file: file, line: line)
    }

    private func compare(_ c: Case, corrupt: Bool) throws -> [String] {
        let model = c.model
        let shape = c.timeMajor ? [c.time, c.batch, c.depth] : [c.batch, c.time, c.depth]
        let probe = VariableStore<Double>(missing: .initialize(seed: 5))
        _ = try model.run(store: probe, inputs: Tensor<Double>(zeros: shape), sequenceLength: c.lengths, timeMajor: c.timeMajor)
        var weights: [String: Tensor<Double>] = [:]
        for (k, r) in probe.requests.enumerated() { weights[r.name] = randomTensor(r.expectedShape, seed: 200 + UInt64(k), scale: 0.6) }
        let inputs: Tensor<Double> = randomTensor(shape, seed: 17)
        let initial: [Nest<Tensor<Double>>?] = model.directions.map { d in
            c.initialState ? randomState(model.cell(for: d).stateSize, batch: c.batch, seed: 40 + UInt64(d.rawValue)) : nil
        }
        func run(_ w: [String: Tensor<Double>], _ x: Tensor<Double>, _ s0: [Nest<Tensor<Double>>?]) throws -> ModelResult<Double> {
            try model.run(store: VariableStore(arrays: w, missing: .fail), inputs: x, sequenceLength: c.lengths,
                          initialStates: s0, timeMajor: c.timeMajor)
        }
        // The loss, written out on the results.
        let reference = try run(weights, inputs, initial)
        var cotangents: [String: Tensor<Double>] = [:]
        for (k, r) in try reference.namedTensors().enumerated() { cotangents[r.name] = randomTensor(r.tensor.shape, seed: 60 + UInt64(k)) }
        func value(_ w: [String: Tensor<Double>], _ x: Tensor<Double>, _ s0: [Nest<Tensor<Double>>?]) throws -> Double {
            let r = try run(w, x, s0)
            switch c.loss {
            case .named:
                return try r.namedTensors().reduce(0) { total, named in
                    total + zip(named.tensor.scalars, cotangents[named.name]?.scalars ?? []).reduce(0) { $0 + $1.0 * $1.1 }
                }
            case let .perDirection(losses):
                return zip(losses, zip(r.outputs, r.states)).reduce(0) { $0 + lossValue($1.0, outputs: $1.1.0, state: $1.1.1, timeMajor: c.timeMajor) }
            }
        }
        let losses: [RNNLoss<Double>]
        switch c.loss {
        case .named: losses = try model.losses(cotangents: cotangents, batch: c.batch, maxTime: c.time, inputDepth: c.depth, timeMajor: c.timeMajor)
        case let .perDirection(l): losses = l
        }
        let g = try model.gradients(store: VariableStore(arrays: weights, missing: .fail), inputs: inputs, sequenceLength: c.lengths,
                                    initialStates: initial, timeMajor: c.timeMajor, losses: losses)
        var dWeights = g.weights
        if corrupt, let name = dWeights.keys.sorted().first { dWeights[name]!.scalars[0] += 1e-4 }
        // The forward results come back too.
        for (a, b) in zip(g.result.outputs + g.result.states.flatMap(\.flattened), reference.outputs + reference.states.flatMap(\.flattened)) {
            XCTAssertEqual(a, b, "\(c.name): results")
        }

        XCTAssertEqual(Set(dWeights.keys), Set(weights.keys), "\(c.name): a gradient for every weight")
        XCTAssertEqual(Set(g.weightNames), Set(weights.keys), "\(c.name): every weight named once")
        // Every weight, input and initial-state element, as one set of named tensors.
        var point = weights, gradient = dWeights
        point["inputs"] = inputs
        gradient["inputs"] = g.inputs
        for (d, s0) in initial.enumerated() {
            guard let s0 else { continue }
            point.merge(namedArrays(of: s0, prefix: "initial_state/\(d)")) { a, _ in a }
            gradient.merge(namedArrays(of: g.initialStates[d], prefix: "initial_state/\(d)")) { a, _ in a }
        }
        return try finiteDifferenceProblems(at: point, gradient: gradient) { p in
            let s0 = initial.enumerated().map { d, s in s.map { state($0, from: p, prefix: "initial_state/\(d)") } }
            return try value(p.filter { weights[$0.key] != nil }, p["inputs"] ?? inputs, s0)
        }
    }
}
