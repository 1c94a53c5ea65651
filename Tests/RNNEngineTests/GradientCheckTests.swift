import XCTest
@testable import RNNEngine

/// The backward pass against central finite differences in float64, independently of TensorFlow: for small
/// stacks of every cell kind, option, wrapper and activation, with masking, time-major layouts, initial states
/// and bidirectional runs, the gradient of a random-cotangent loss with respect to EVERY input, initial-state
/// and weight element must match `(L(p + ε) − L(p − ε)) / 2ε`.
final class GradientCheckTests: XCTestCase {
    /// One configuration to check.
    struct Case {
        var name: String
        var cell: CellSpec
        var cellBackward: CellSpec? = nil
        var batch = 3, time = 4, depth = 2
        var lengths: [Int]? = nil
        var timeMajor = false
        var initialState = false
        var loss: Loss = .random
        enum Loss { case random, sum, unit(Int, Int, Int), state(String?) }
    }

    func testEveryCellKindOptionAndActivation() throws {
        let lstmAll = LSTMOptions(usePeepholes: true, cellClip: 0.3, numProj: 2, projClip: 0.25, forgetBias: 0.7)
        let cases: [Case] = [
            Case(name: "basic_rnn tanh, masked, initial state", cell: .basicRNN(numUnits: 3, activation: .tanh),
                 lengths: [3, 0, 2], initialState: true),
            Case(name: "basic_rnn relu, time-major", cell: .basicRNN(numUnits: 3, activation: .relu), timeMajor: true),
            Case(name: "basic_rnn sigmoid", cell: .basicRNN(numUnits: 2, activation: .sigmoid), lengths: [4, 1, 2]),
            Case(name: "basic_rnn softsign", cell: .basicRNN(numUnits: 3, activation: .softsign), initialState: true),
            Case(name: "basic_rnn elu", cell: .basicRNN(numUnits: 3, activation: .elu), lengths: [2, 4, 3]),
            Case(name: "basic_lstm forget_bias, softsign, masked", cell: .basicLSTM(numUnits: 3, forgetBias: 0.3, activation: .softsign),
                 lengths: [4, 2, 0], initialState: true),
            Case(name: "lstm every option, masked, initial state", cell: .lstm(numUnits: 3, options: lstmAll),
                 lengths: [4, 1, 3], initialState: true),
            Case(name: "lstm elu, time-major", cell: .lstm(numUnits: 3, options: LSTMOptions(activation: .elu)), timeMajor: true),
            Case(name: "lstm relu, cell_clip only", cell: .lstm(numUnits: 2, options: LSTMOptions(cellClip: 0.2, activation: .relu))),
            Case(name: "lstm sigmoid, projection without clip", cell: .lstm(numUnits: 3, options: LSTMOptions(numProj: 2, activation: .sigmoid)),
                 lengths: [1, 4, 2]),
            Case(name: "gru relu, time-major, initial state", cell: .gru(numUnits: 3, activation: .relu), lengths: [2, 4, 1],
                 timeMajor: true, initialState: true),
            Case(name: "gru sigmoid", cell: .gru(numUnits: 2, activation: .sigmoid)),
            Case(name: "gru reset_after tanh, masked, initial state", cell: .gruResetAfter(numUnits: 3, activation: .tanh),
                 lengths: [4, 0, 2], initialState: true),
            Case(name: "gru reset_after relu, time-major", cell: .gruResetAfter(numUnits: 2, activation: .relu), timeMajor: true),
            Case(name: "stack gru reset_after softsign / lstm, bidirectional reset_after", cell: .multi([.gruResetAfter(numUnits: 2, activation: .softsign),
                                                                                                       .lstm(numUnits: 2, options: LSTMOptions())]),
                 cellBackward: .gruResetAfter(numUnits: 3, activation: .elu), lengths: [3, 4, 1], initialState: true),
            Case(name: "gru softsign, elu stack", cell: .multi([.gru(numUnits: 2, activation: .softsign), .gru(numUnits: 3, activation: .elu)])),
            Case(name: "stack lstm(proj) gru residual(rnn)", cell: .multi([.lstm(numUnits: 3, options: lstmAll), .gru(numUnits: 3, activation: .tanh),
                                                                          .residual(.basicRNN(numUnits: 3, activation: .tanh))]),
                 lengths: [3, 4, 0], initialState: true),
            Case(name: "dropout everywhere", cell: .dropout(.lstm(numUnits: 3, options: LSTMOptions(usePeepholes: true)),
                                                           DropoutOptions(inputKeepProb: 0.7, outputKeepProb: 0.8, stateKeepProb: 0.6, seed: 3)),
                 lengths: [4, 2, 3], initialState: true),
            Case(name: "dropout around a stack", cell: .dropout(.multi([.gru(numUnits: 2, activation: .tanh), .basicLSTM(numUnits: 2, forgetBias: 1, activation: .tanh)]),
                                                               DropoutOptions(inputKeepProb: 0.6, outputKeepProb: 1, stateKeepProb: 0.5, seed: 9)),
                 initialState: true),
            Case(name: "residual around a stack", cell: .residual(.multi([.gru(numUnits: 2, activation: .tanh), .basicRNN(numUnits: 2, activation: .tanh)])),
                 lengths: [2, 3, 4]),
            Case(name: "nested stacks", cell: .multi([.multi([.basicRNN(numUnits: 2, activation: .tanh), .lstm(numUnits: 2, options: LSTMOptions())]),
                                                     .dropout(.gru(numUnits: 2, activation: .tanh), DropoutOptions(outputKeepProb: 0.7, seed: 1))]),
                 lengths: [4, 0, 2], initialState: true),
            Case(name: "bidirectional lstm/gru, masked, time-major, initial states", cell: .lstm(numUnits: 2, options: lstmAll),
                 cellBackward: .gru(numUnits: 3, activation: .tanh), lengths: [3, 1, 4], timeMajor: true, initialState: true),
            Case(name: "bidirectional without lengths", cell: .basicRNN(numUnits: 2, activation: .tanh),
                 cellBackward: .basicLSTM(numUnits: 2, forgetBias: 1, activation: .tanh)),
            Case(name: "every length 0 (one masked step runs)", cell: .lstm(numUnits: 2, options: LSTMOptions()), lengths: [0, 0, 0],
                 initialState: true),
            Case(name: "lengths above max_time and negative", cell: .gru(numUnits: 2, activation: .tanh), lengths: [9, -1, 2],
                 initialState: true),
        ]
        for c in cases { try check(c) }
    }

    /// No time steps: nothing flows to the weights, the initial state's gradient is the state cotangent.
    func testZeroTimeSteps() throws {
        let store = VariableStore<Double>(missing: .initialize(seed: 2))
        let cell = try CellSpec.lstm(numUnits: 2, options: LSTMOptions()).makeCell(store: store)
        let s0: Nest<Tensor<Double>> = randomState(cell.stateSize, batch: 3, seed: 1)
        let g = try dynamicRNNGradients(cell: cell, inputs: Tensor(zeros: [3, 0, 2]), initialState: s0, loss: .finalState(path: "h"))
        XCTAssertEqual(g.inputs.shape, [3, 0, 2])
        XCTAssertEqual(g.initialState, .lstm(c: Tensor(zeros: [3, 2]), h: Tensor(repeating: 1, shape: [3, 2])))
        XCTAssertTrue(g.weights.values.allSatisfy { $0.scalars.allSatisfy { $0 == 0 } })
        XCTAssertEqual(Set(g.weights.keys), ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"])
    }

    /// Random small stacks (seeded): any cell kind, activation, option, wrapper, length and layout.
    func testRandomStacks() throws {
        var rng = SplitMix64(seed: 2024)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        for round in 0..<8 {
            let depth = 2
            var layers: [CellSpec] = []
            var inDepth = depth
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let units = 2 + Int(rng.next() % 2)
                let act = pick(Activation.allCases)
                var cell: CellSpec
                switch rng.next() % 5 {
                case 0: cell = .basicRNN(numUnits: units, activation: act)
                case 1: cell = .basicLSTM(numUnits: units, forgetBias: 0.5, activation: act)
                case 2:
                    let o = LSTMOptions(usePeepholes: rng.next() % 2 == 0, cellClip: rng.next() % 2 == 0 ? 0.4 : nil,
                                        numProj: rng.next() % 2 == 0 ? 2 : nil, projClip: rng.next() % 2 == 0 ? 0.3 : nil,
                                        forgetBias: 0.8, activation: act)
                    cell = .lstm(numUnits: units, options: o)
                case 3: cell = .gru(numUnits: units, activation: act)
                default: cell = .gruResetAfter(numUnits: units, activation: act)
                }
                if cell.outputSize == inDepth && rng.next() % 2 == 0 { cell = .residual(cell) }
                if rng.next() % 3 == 0 {
                    cell = .dropout(cell, DropoutOptions(inputKeepProb: 0.75, outputKeepProb: 0.8, stateKeepProb: 0.7, seed: rng.next() % 100))
                }
                layers.append(cell)
                inDepth = cell.outputSize
            }
            let lengths: [Int]? = rng.next() % 2 == 0 ? (0..<3).map { _ in Int(rng.next() % 5) } : nil
            let c = Case(name: "random \(round): " + CellSpec.multi(layers).summary, cell: layers.count == 1 ? layers[0] : .multi(layers),
                         cellBackward: rng.next() % 4 == 0 ? .gru(numUnits: 2, activation: .tanh) : nil,
                         depth: depth, lengths: lengths, timeMajor: rng.next() % 2 == 0, initialState: rng.next() % 2 == 0)
            try check(c)
        }
    }

    /// The reset-after GRU's two bias rows: in the `z` and `r` blocks both rows are added before the sigmoid, so
    /// their gradients are the same; in the candidate block `r` multiplies the recurrent row, so they differ. Each
    /// element is checked against central finite differences.
    func testResetAfterGRUBiasRows() throws {
        let units = 3, depth = 2, lengths = [4, 2, 0]
        let spec = CellSpec.gruResetAfter(numUnits: units, activation: .tanh)
        var weights: [String: Tensor<Double>] = [
            "rnn/gru_cell/kernel": randomTensor([depth, 3 * units], seed: 41, scale: 0.6),
            "rnn/gru_cell/recurrent_kernel": randomTensor([units, 3 * units], seed: 42, scale: 0.6),
            "rnn/gru_cell/bias": randomTensor([2, 3 * units], seed: 43, scale: 0.6),
        ]
        let inputs: Tensor<Double> = randomTensor([3, 4, depth], seed: 44)
        let cot: Tensor<Double> = randomTensor([3, 4, units], seed: 45)
        func loss(_ w: [String: Tensor<Double>]) throws -> Double {
            let r = try dynamicRNN(cell: spec.makeCell(store: VariableStore(arrays: w, missing: .fail)), inputs: inputs,
                                   sequenceLength: lengths, dtype: .float64)
            return zip(r.outputs.scalars, cot.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let g = try dynamicRNNGradients(cell: spec.makeCell(store: VariableStore(arrays: weights, missing: .fail)), inputs: inputs,
                                        sequenceLength: lengths, dtype: .float64, loss: .cotangents(outputs: cot, state: nil))
        let bias = try XCTUnwrap(g.weights["rnn/gru_cell/bias"])
        XCTAssertEqual(bias.shape, [2, 3 * units])
        let w = 3 * units, eps = 1e-6
        for j in 0..<w {
            let (input, recurrent) = (bias.scalars[j], bias.scalars[w + j])
            if j < 2 * units {
                XCTAssertEqual(input, recurrent, "z/r block column \(j): both rows are added before the sigmoid")
            } else {
                XCTAssertGreaterThan(abs(input - recurrent), 1e-4, "candidate column \(j): r multiplies only the recurrent row")
            }
            for (k, analytic) in [(j, input), (w + j, recurrent)] {
                weights["rnn/gru_cell/bias"]!.scalars[k] += eps
                let plus = try loss(weights)
                weights["rnn/gru_cell/bias"]!.scalars[k] -= 2 * eps
                let minus = try loss(weights)
                weights["rnn/gru_cell/bias"]!.scalars[k] += eps
                let numeric = (plus - minus) / (2 * eps)
                XCTAssertEqual(analytic, numeric, accuracy: 2e-7 + 2e-6 * abs(numeric), "bias[\(k / w), \(k % w)]")
            }
        }
    }

    /// The built-in losses are the cotangents they stand for.
    func testBuiltInLossesAgreeWithFiniteDifferences() throws {
        let cell = CellSpec.multi([.lstm(numUnits: 3, options: LSTMOptions(numProj: 2)), .gru(numUnits: 2, activation: .tanh)])
        try check(Case(name: "sum of outputs", cell: cell, lengths: [4, 2, 0], loss: .sum))
        try check(Case(name: "one output unit", cell: cell, lengths: [4, 2, 0], loss: .unit(1, 1, 1)))
        try check(Case(name: "one final state array", cell: cell, lengths: [4, 2, 0], loss: .state("0/c")))
        try check(Case(name: "the whole final state", cell: cell, lengths: [3, 2, 1], initialState: true, loss: .state(nil)))
    }

    /// A wrong gradient must fail the check: perturb one weight gradient and the comparison notices.
    func testTheCheckNoticesAWrongGradient() throws {
        let c = Case(name: "lstm", cell: .lstm(numUnits: 2, options: LSTMOptions()))
        let problems = try compare(c, corrupt: true)
        XCTAssertFalse(problems.isEmpty, "a corrupted gradient passed the finite-difference check")
    }

    // MARK: - The check

    private func check(_ c: Case, file: StaticString = #filePath, line: UInt = #line) throws {
        let problems = try compare(c, corrupt: false)
        XCTAssertTrue(problems.isEmpty, "\(c.name): \(problems.prefix(5).joined(separator: "; "))", file: file, line: line)
    }

    /// Differences between the engine's gradients and central finite differences of the forward pass.
    private func compare(_ c: Case, corrupt: Bool) throws -> [String] {
        let bidirectional = c.cellBackward != nil
        let fwScope = bidirectional ? "bidirectional_rnn/fw" : "rnn"
        let bwScope = "bidirectional_rnn/bw"
        // Random weights for every variable the cells ask for.
        let probe = VariableStore<Double>(missing: .initialize(seed: 5))
        let probeLoop = try UnrolledLoop(cell: c.cell.makeCell(store: probe), inputs: .leaf(Tensor(zeros: shape(c))),
                                         sequenceLength: c.lengths, initialState: nil, dtype: .float64, timeMajor: c.timeMajor, scope: fwScope)
        _ = probeLoop
        if let bw = c.cellBackward {
            _ = try UnrolledLoop(cell: bw.makeCell(store: probe), inputs: .leaf(Tensor(zeros: shape(c))), sequenceLength: c.lengths,
                                 initialState: nil, dtype: .float64, timeMajor: c.timeMajor, scope: bwScope)
        }
        var weights: [String: Tensor<Double>] = [:]
        for (k, r) in probe.requests.enumerated() {
            weights[r.name] = randomTensor(r.expectedShape, seed: 100 + UInt64(k), scale: 0.6)
        }
        let inputs: Tensor<Double> = randomTensor(shape(c), seed: 7)
        let s0: Nest<Tensor<Double>>? = c.initialState ? randomState(c.cell.stateSize, batch: c.batch, seed: 11) : nil
        let s0b: Nest<Tensor<Double>>? = c.initialState ? c.cellBackward.map { randomState($0.stateSize, batch: c.batch, seed: 13) } : nil
        // Cotangents.
        let outShape = { (width: Int) in c.timeMajor ? [c.time, c.batch, width] : [c.batch, c.time, width] }
        func losses(_ spec: CellSpec, seed: UInt64) -> RNNLoss<Double> {
            switch c.loss {
            case .random:
                return .cotangents(outputs: randomTensor(outShape(spec.outputSize), seed: seed),
                                   state: randomState(spec.stateSize, batch: c.batch, seed: seed + 1))
            case .sum: return .sumOfOutputs
            case let .unit(b, t, u): return .outputUnit(example: b, step: t, unit: u)
            case let .state(path): return .finalState(path: path)
            }
        }
        let lossFw = losses(c.cell, seed: 21)
        let lossBw = c.cellBackward.map { losses($0, seed: 31) }

        // The scalar loss through the plain forward pass.
        func value(_ w: [String: Tensor<Double>], _ x: Tensor<Double>, _ i0: Nest<Tensor<Double>>?, _ i0b: Nest<Tensor<Double>>?) throws -> Double {
            let store = VariableStore(arrays: w, missing: .fail)
            if let bwSpec = c.cellBackward, let lossBw {
                let r = try bidirectionalDynamicRNN(cellForward: c.cell.makeCell(store: store), cellBackward: bwSpec.makeCell(store: store),
                                                    inputs: .leaf(x), sequenceLength: c.lengths, initialStateForward: i0,
                                                    initialStateBackward: i0b, dtype: .float64, timeMajor: c.timeMajor)
                return lossValue(lossFw, outputs: r.outputsForward, state: r.stateForward, timeMajor: c.timeMajor)
                    + lossValue(lossBw, outputs: r.outputsBackward, state: r.stateBackward, timeMajor: c.timeMajor)
            }
            let r = try dynamicRNN(cell: c.cell.makeCell(store: store), inputs: x, sequenceLength: c.lengths, initialState: i0,
                                   dtype: .float64, timeMajor: c.timeMajor)
            return lossValue(lossFw, outputs: r.outputs, state: r.state, timeMajor: c.timeMajor)
        }

        // The engine's gradients, every segment recomputed from the checkpoints (tape budget 0) and every step's
        // tape kept by the forward pass (unlimited budget).
        var problems: [String] = []
        for budget in [0, Int.max] {
            let store = VariableStore(arrays: weights, missing: .fail)
            var dWeights: [String: Tensor<Double>], dInputs: Tensor<Double>, dS0: Nest<Tensor<Double>>, dS0b: Nest<Tensor<Double>>?
            if let bwSpec = c.cellBackward, let lossBw {
                let g = try bidirectionalDynamicRNNGradients(cellForward: c.cell.makeCell(store: store), cellBackward: bwSpec.makeCell(store: store),
                                                             inputs: inputs, sequenceLength: c.lengths, initialStateForward: s0,
                                                             initialStateBackward: s0b, dtype: .float64, timeMajor: c.timeMajor,
                                                             lossForward: lossFw, lossBackward: lossBw, tapeBudget: budget)
                dWeights = g.forward.weights.merging(g.backward.weights) { a, _ in a }
                dInputs = g.inputs
                (dS0, dS0b) = (g.forward.initialState, g.backward.initialState)
            } else {
                let g = try dynamicRNNGradients(cell: c.cell.makeCell(store: store), inputs: inputs, sequenceLength: c.lengths,
                                                initialState: s0, dtype: .float64, timeMajor: c.timeMajor, loss: lossFw, tapeBudget: budget)
                (dWeights, dInputs, dS0, dS0b) = (g.weights, g.inputs, g.initialState, nil)
            }
            if corrupt, let name = dWeights.keys.sorted().first { dWeights[name]!.scalars[0] += 1e-4 }
            problems += try compare(c, budget: budget, weights: weights, inputs: inputs, s0: s0, s0b: s0b, value: value,
                                    dWeights: dWeights, dInputs: dInputs, dS0: dS0, dS0b: dS0b)
        }
        return problems
    }

    /// Each gradient element against its central finite difference.
    private func compare(_ c: Case, budget: Int, weights: [String: Tensor<Double>], inputs: Tensor<Double>,
                         s0: Nest<Tensor<Double>>?, s0b: Nest<Tensor<Double>>?,
                         value: ([String: Tensor<Double>], Tensor<Double>, Nest<Tensor<Double>>?, Nest<Tensor<Double>>?) throws -> Double,
                         dWeights: [String: Tensor<Double>], dInputs: Tensor<Double>, dS0: Nest<Tensor<Double>>,
                         dS0b: Nest<Tensor<Double>>?) throws -> [String] {
        XCTAssertEqual(Set(dWeights.keys), Set(weights.keys), "\(c.name): a gradient for every weight")
        // Every weight, input and initial-state element, as one set of named tensors.
        var point = weights, gradient = dWeights
        point["inputs"] = inputs
        gradient["inputs"] = dInputs
        for (prefix, state, grad) in [("initial_state/0", s0, Optional(dS0)), ("initial_state/1", s0b, dS0b)] {
            guard let state, let grad else { continue }
            point.merge(namedArrays(of: state, prefix: prefix)) { a, _ in a }
            gradient.merge(namedArrays(of: grad, prefix: prefix)) { a, _ in a }
        }
        return try finiteDifferenceProblems(at: point, gradient: gradient) { p in
            try value(p.filter { weights[$0.key] != nil }, p["inputs"] ?? inputs,
                      s0.map { state($0, from: p, prefix: "initial_state/0") }, s0b.map { state($0, from: p, prefix: "initial_state/1") })
        }.map { "\($0) (tape budget \(budget))" }
    }

    private func shape(_ c: Case) -> [Int] { c.timeMajor ? [c.time, c.batch, c.depth] : [c.batch, c.time, c.depth] }
}
