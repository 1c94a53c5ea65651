import Foundation
import XCTest
@testable import RNNEngine

/// The reset-after GRU (Keras' default, PyTorch's GRU): its equations written out, and a tiny case by hand.
extension CellEquationTests {
    func gruResetAfter<S: RNNScalar>(_: S.Type, _ a: Activation) throws {
        let n = 2, d = Self.depth
        let k = weights(d * 3 * n, seed: 21), rk = weights(n * 3 * n, seed: 22), b = weights(6 * n, seed: 23, scale: 0.5)
        let store = VariableStore<S>(arrays: [
            "rnn/gru_cell/kernel": tensor([d, 3 * n], k), "rnn/gru_cell/recurrent_kernel": tensor([n, 3 * n], rk),
            "rnn/gru_cell/bias": tensor([2, 3 * n], b),
        ], missing: .fail)
        let cell = try GRUResetAfterCell(numUnits: n, activation: a, store: store)
        try check(S.self, cell: cell, initial: initial([n], seed: 27)) { x, s in
            let h = s[0]
            let xs = Ref.linear(x, [], k, Array(b[0..<(3 * n)]), width: 3 * n)       // x·W + b_in  (z, r, c blocks)
            let hs = Ref.linear(h, [], rk, Array(b[(3 * n)...]), width: 3 * n)      // h·U + b_rec
            let z = (0..<n).map { Ref.sigmoid(xs[$0] + hs[$0]) }
            let r = (0..<n).map { Ref.sigmoid(xs[n + $0] + hs[n + $0]) }
            let c = (0..<n).map { Ref.act(a, xs[2 * n + $0] + r[$0] * hs[2 * n + $0]) }   // r after the product
            let newH = (0..<n).map { z[$0] * h[$0] + (1 - z[$0]) * c[$0] }
            return (newH, [newH])
        }
    }

    func testGRUResetAfterEveryActivation() throws {
        for a in Activation.allCases {
            try gruResetAfter(Float.self, a)
            try gruResetAfter(Double.self, a)
        }
    }
}

final class GRUResetAfterTests: XCTestCase {
    /// One unit, one input, one step, numbers chosen so the equations can be followed by hand:
    /// x = 1, h = 0.5, W = [0.2, 0.4, 0.6], U = [0.3, -0.5, 0.7], b_in = [0.1, 0, -0.2], b_rec = [0, 0.1, 0.3].
    ///   z = σ(0.2 + 0.1 + 0.15 + 0) = σ(0.45);  r = σ(0.4 + 0 − 0.25 + 0.1) = σ(0.25)
    ///   c = tanh(0.6 − 0.2 + r·(0.35 + 0.3)) = tanh(0.4 + 0.65·r);  h' = z·0.5 + (1 − z)·c
    func testATinyCaseByHand() throws {
        let store = VariableStore<Double>(arrays: [
            "rnn/gru_cell/kernel": tensor([1, 3], [0.2, 0.4, 0.6]),
            "rnn/gru_cell/recurrent_kernel": tensor([1, 3], [0.3, -0.5, 0.7]),
            "rnn/gru_cell/bias": tensor([2, 3], [0.1, 0, -0.2, 0, 0.1, 0.3]),
        ], missing: .fail)
        let cell = try GRUResetAfterCell<Double>(numUnits: 1, store: store)
        let r = try dynamicRNN(cell: cell, inputs: tensor([1, 1, 1], [1.0]), initialState: .leaf(tensor([1, 1], [0.5])))
        let z = 1 / (1 + exp(-0.45)), reset = 1 / (1 + exp(-0.25))
        let c = tanh(0.4 + 0.65 * reset)
        let expected = z * 0.5 + (1 - z) * c
        XCTAssertEqual(r.outputs.scalars[0], expected, accuracy: 1e-14)
        // TF 1's GRU (reset before the product) gives a different number for the same parts: r multiplies h first.
        let before = tanh(0.6 - 0.2 + (reset * 0.5) * 0.7 + 0.3)
        XCTAssertGreaterThan(abs((z * 0.5 + (1 - z) * before) - expected), 1e-3)
    }

    /// The fused path plans only TF 1's cells: a stack holding a reset-after GRU runs step by step (and agrees
    /// with stepping it by hand).
    func testFusedPathRefusesTheResetAfterGRU() throws {
        let store = VariableStore<Float>(missing: .initialize(seed: 3))
        let spec = CellSpec.multi([.lstm(numUnits: 3, options: LSTMOptions()), .gruResetAfter(numUnits: 4, activation: .tanh)])
        let x: Tensor<Float> = randomTensor([2, 5, 3], seed: 9)
        let loop = try UnrolledLoop(cell: try spec.makeCell(store: store), inputs: .leaf(x), sequenceLength: [5, 2],
                                    initialState: nil, dtype: .float32, timeMajor: false, scope: "rnn")
        XCTAssertNil(loop.makeFastPlan())
        let r = try loop.run()
        XCTAssertFalse(loop.lastRunUsedFastPath)
        var state = loop.initialState
        for t in 0..<5 {
            let step = try loop.step(from: state, at: t)
            state = step.state
            for b in 0..<2 { XCTAssertEqual(outputAt(r.outputs, b: b, t: t), Array(step.output.row(b))) }
        }
    }

    func testSpecSummaryAndSizes() {
        let spec = CellSpec.gruResetAfter(numUnits: 5, activation: .relu)
        XCTAssertEqual(spec.typeName, "gru")
        XCTAssertEqual(spec.summary, "gru(5, reset_after, relu)")
        XCTAssertEqual(spec.summary(for: .keras), "gru(5, relu)")
        XCTAssertEqual(CellSpec.gru(numUnits: 5, activation: .tanh).summary(for: .torch), "gru(5, reset_after=false)")
        XCTAssertEqual(CellSpec.lstm(numUnits: 3, options: LSTMOptions(forgetBias: 0)).summary(for: .keras), "lstm(3)")
        XCTAssertEqual(CellSpec.lstm(numUnits: 3, options: LSTMOptions(forgetBias: 0)).summary, "lstm(3, forget_bias=0.0)")
        XCTAssertEqual(spec.stateSize, .leaf(5))
        // kernel 2×15 + recurrent_kernel 5×15 + bias 2×15
        XCTAssertEqual(spec.parameterCount(inputDepth: 2), 30 + 75 + 30)
    }
}
