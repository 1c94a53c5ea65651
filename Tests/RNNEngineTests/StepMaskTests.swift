import XCTest
@testable import RNNEngine

/// `StepMask` and the run under a mask: prefixes are `sequence_length`, Keras runs any mask (state carried, the
/// previous output repeated, zeros before the first valid step), tf and torch refuse what is not a prefix, and the
/// gradients match finite differences.
final class StepMaskTests: XCTestCase {
    private func mask(_ rows: [[Int]]) throws -> StepMask {
        try StepMask(valid: rows.flatMap { $0.map { $0 == 1 } }, batchSize: rows.count, maxTime: rows.first?.count ?? 0)
    }

    func testPrefixesAndTheFirstExampleThatIsNotOne() throws {
        XCTAssertEqual(try mask([[1, 1, 0], [0, 0, 0], [1, 1, 1]]).prefixLengths, [2, 0, 3])
        let m = try mask([[1, 0, 0], [1, 0, 1], [0, 1, 1]])
        XCTAssertNil(m.prefixLengths)
        XCTAssertEqual(m.firstNonPrefix?.example, 1)
        XCTAssertEqual(m.firstNonPrefix?.maskedSteps, [1])
        XCTAssertEqual(m.reversedInTime(), try mask([[0, 0, 1], [1, 0, 1], [1, 1, 0]]))
        XCTAssertEqual(StepMask(lengths: [2, 0, 5], maxTime: 3), try mask([[1, 1, 0], [0, 0, 0], [1, 1, 1]]))
        XCTAssertThrowsError(try StepMask(valid: [true], batchSize: 2, maxTime: 1))
    }

    /// Keras' Masking: a step is masked only where every feature equals the value.
    func testMaskingComparesEveryFeature() throws {
        let x = try Tensor<Float>(shape: [2, 2, 2], scalars: [0, 0, 0, 1, 0, 0, 1, 1])
        XCTAssertEqual(try StepMask.masking(x, value: 0, timeMajor: false), try mask([[0, 1], [0, 1]]))
        XCTAssertEqual(try StepMask.masking(x, value: 0, timeMajor: true), try mask([[0, 0], [1, 1]]))
        XCTAssertEqual(try StepMask.masking(x, value: 1, timeMajor: false), try mask([[1, 1], [1, 0]]))
    }

    private func model(_ convention: Convention, bidirectional: Bool = false, goBackwards: Bool = false) -> RNNModel {
        RNNModel(cell: .layer(CellLayer(kind: .gruResetAfter, numUnits: 3, goBackwards: goBackwards)), bidirectional: bidirectional,
                 convention: convention)
    }

    private func inputs(batch: Int = 3, time: Int = 5, depth: Int = 2) -> Tensor<Double> {
        var rng = SplitMix64(seed: 7)
        return try! Tensor(shape: [batch, time, depth], scalars: (0..<(batch * time * depth)).map { _ in rng.nextUniform() * 2 - 1 })
    }

    /// Keras on a mask with holes: each row runs exactly as its valid steps alone would; masked steps repeat the
    /// previous output (zeros before the first), and the final state is the one after the last valid step.
    func testKerasRunsAnyMaskAsTheValidStepsAlone() throws {
        let x = inputs()
        let store = VariableStore<Double>(arrays: [:], missing: .initialize(seed: 3))
        let m = try mask([[0, 1, 0, 1, 1], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]])
        let r = try model(.keras).run(store: store, inputs: x, mask: m)
        for b in 0..<3 {
            let steps = m.validSteps(example: b)
            let row = try Tensor(shape: [1, steps.count, 2], scalars: steps.flatMap { t in (0..<2).map { x[b, t, $0] } })
            var last: [Double] = [0, 0, 0]
            if !steps.isEmpty {
                let alone = try model(.keras).run(store: store, inputs: row)
                var k = 0
                for t in 0..<5 {
                    if k < steps.count, steps[k] == t { last = (0..<3).map { alone.outputs[0][0, k, $0] }; k += 1 }
                    XCTAssertEqual((0..<3).map { r.outputs[0][b, t, $0] }, last, "example \(b) step \(t)")
                }
                XCTAssertEqual(r.states[0].flattened[0].row(b), alone.states[0].flattened[0].row(0))
            } else {
                XCTAssertEqual(r.outputs[0].scalars[(b * 15)..<(b * 15 + 15)].allSatisfy { $0 == 0 }, true)
                XCTAssertEqual(r.states[0].flattened[0].row(b), [0, 0, 0])
            }
        }
        // Inside Bidirectional both directions emit zeros at masked steps.
        let bi = try model(.keras, bidirectional: true).run(store: store, inputs: x, mask: m)
        for d in 0..<2 { XCTAssertEqual((0..<3).map { bi.outputs[d][0, 2, $0] }, [0, 0, 0]) }
        XCTAssertNotEqual((0..<3).map { r.outputs[0][0, 2, $0] }, [0, 0, 0], "a plain layer repeats step 1")
        for d in 0..<2 { XCTAssertNotEqual((0..<3).map { bi.outputs[d][0, 1, $0] }, [0, 0, 0]) }
    }

    /// tf and torch: a prefix mask is the `sequence_length` run (bit for bit); anything else is refused in one line.
    func testTFAndTorchTakeOnlyPrefixes() throws {
        let x = inputs()
        let store = VariableStore<Double>(arrays: [:], missing: .initialize(seed: 3))
        for convention in [Convention.tf, .torch] {
            let prefix = try mask([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]])
            let a = try model(convention, bidirectional: true).run(store: store, inputs: x, mask: prefix)
            let b = try model(convention, bidirectional: true).run(store: store, inputs: x, sequenceLength: [2, 5, 1])
            XCTAssertEqual(a.outputs, b.outputs)
            XCTAssertEqual(a.states, b.states)
            XCTAssertThrowsError(try model(convention).run(store: store, inputs: x, mask: try mask([[1, 1, 0, 0, 0], [1, 0, 1, 0, 0], [0, 1, 1, 1, 1]]))) { e in
                XCTAssertEqual(e as? RNNError, .badMask(convention.maskRefusal(example: 1, maskedSteps: [1, 3, 4])))
            }
        }
        XCTAssertTrue(Convention.tf.maskRefusal(example: 2, maskedSteps: [0]).contains("example 2's mask is not a prefix (masked step 0)"))
        // A row with no valid step is a length of 0: PyTorch refuses it, tf and keras keep the initial state.
        let empty = try mask([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]])
        XCTAssertThrowsError(try model(.torch).run(store: store, inputs: x, mask: empty)) { e in
            XCTAssertEqual(e as? RNNError, .badMask("example 1 has no valid step: a row of length 0, which PyTorch's pack_padded_sequence refuses (the tf and keras conventions accept it)"))
        }
        XCTAssertEqual(try model(.tf).run(store: store, inputs: x, mask: empty).states[0].flattened[0].row(1), [0, 0, 0])
        XCTAssertThrowsError(try model(.keras).run(store: store, inputs: x, mask: try mask([[1, 1]]))) { e in
            XCTAssertTrue("\(e)".contains("expected [batch, max_time] = [3, 5]"), "\(e)")
        }
    }

    /// `go_backwards`: the layer reads the steps reversed and returns its outputs in that order.
    func testGoBackwardsReturnsOutputsInReadingOrder() throws {
        let x = inputs()
        let store = VariableStore<Double>(arrays: [:], missing: .initialize(seed: 3))
        let m = try mask([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 1]])
        let backwards = try model(.keras, goBackwards: true).run(store: store, inputs: x, mask: m)
        let reversed = try reverseSequence(x, lengths: nil, timeMajor: false)
        let forwards = try model(.keras).run(store: store, inputs: reversed, mask: m.reversedInTime())
        XCTAssertEqual(backwards.outputs, forwards.outputs)
        XCTAssertEqual(backwards.states, forwards.states)
        XCTAssertThrowsError(try model(.tf, goBackwards: true).run(store: store, inputs: x, mask: m))
    }

    private func stack(goBackwards: [Bool]) -> RNNModel {
        RNNModel(cell: .multi([.layer(CellLayer(kind: .lstm, numUnits: 3, options: CellOptions(forgetBias: 0), goBackwards: goBackwards[0])),
                               .layer(CellLayer(kind: .gruResetAfter, numUnits: 2, goBackwards: goBackwards[1]))]),
                 convention: .keras)
    }

    /// A Keras stack with a go_backwards layer runs layer by layer: without a mask, a go_backwards first layer is
    /// the stack on the reversed inputs (the next layer reads its outputs in its reading order); run layer by
    /// layer, a stack without one is the whole-stack run, masks with holes included.
    func testAStackWithAGoBackwardsLayerRunsLayerByLayer() throws {
        let x = inputs()
        let store = VariableStore<Double>(arrays: [:], missing: .initialize(seed: 11))
        let backwards = try stack(goBackwards: [true, false]).run(store: store, inputs: x, mask: nil)
        let plain = try stack(goBackwards: [false, false]).run(store: store, inputs: try reverseSequence(x, lengths: nil, timeMajor: false), mask: nil)
        XCTAssertLessThan(backwards.outputs[0].maxAbsDifference(plain.outputs[0]), 1e-14)
        let m = try mask([[0, 1, 0, 1, 1], [1, 1, 1, 1, 0], [0, 0, 0, 0, 0]])
        let whole = try stack(goBackwards: [false, false]).run(store: store, inputs: x, mask: m)
        let layered = try stack(goBackwards: [false, false]).layerByLayer(store: store, inputs: x, mask: m, initialStates: [],
                                                                           timeMajor: false, parallelIterations: 32, swapMemory: false,
                                                                           losses: nil).result
        XCTAssertLessThan(whole.outputs[0].maxAbsDifference(layered.outputs[0]), 1e-14)
        for (a, b) in zip(whole.states[0].flattened, layered.states[0].flattened) { XCTAssertLessThan(a.maxAbsDifference(b), 1e-14) }
        XCTAssertThrowsError(try RNNModel(cell: .layer(CellLayer(kind: .lstm, numUnits: 3, goBackwards: true)), bidirectional: true,
                                          convention: .keras).run(store: store, inputs: x, mask: m))
    }

    /// The gradients under a mask with holes match finite differences of the masked run, for every rule: Keras'
    /// repeats, Bidirectional's zeros and go_backwards.
    func testGradientsUnderAMaskMatchFiniteDifferences() throws {
        let x = inputs(batch: 2, time: 4, depth: 2)
        let m = try mask([[0, 1, 0, 1], [1, 0, 0, 0]])
        for model in [model(.keras), model(.keras, bidirectional: true), model(.keras, goBackwards: true),
                      stack(goBackwards: [true, false]), stack(goBackwards: [false, true])] {
            let base = VariableStore<Double>(arrays: [:], missing: .initialize(seed: 5))
            _ = try model.run(store: base, inputs: x, mask: m)
            var weights: [String: Tensor<Double>] = [:]
            for r in base.requests { weights[r.name] = try base.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
            let losses = model.directions.map { d -> RNNLoss<Double> in
                var rng = SplitMix64(seed: UInt64(7 + d.rawValue))
                let w = model.cell.outputSize
                return .cotangents(outputs: try! Tensor(shape: [2, 4, w], scalars: (0..<(8 * w)).map { _ in rng.nextUniform() - 0.5 }),
                                   state: model.cell.stateSize.map { try! Tensor(shape: [2, $0], scalars: (0..<(2 * $0)).map { _ in rng.nextUniform() - 0.5 }) })
            }
            let g = try model.gradients(store: VariableStore(arrays: weights, missing: .fail), inputs: x, mask: m, losses: losses)
            var point = weights
            point["inputs"] = x
            var gradient = g.weights
            gradient["inputs"] = g.inputs
            let problems = try finiteDifferenceProblems(at: point, gradient: gradient) { p in
                var w = p
                let xs = w.removeValue(forKey: "inputs")!
                let r = try model.run(store: VariableStore(arrays: w, missing: .fail), inputs: xs, mask: m)
                return model.directions.indices.reduce(0) { $0 + lossValue(losses[$1], outputs: r.outputs[$1], state: r.states[$1], timeMajor: false) }
            }
            XCTAssertEqual(problems, [], model.cell.summary)
            // Masked steps get no input gradient.
            XCTAssertEqual((0..<2).map { g.inputs[0, 0, $0] } + (0..<2).map { g.inputs[1, 3, $0] }, [0, 0, 0, 0])
        }
    }
}
