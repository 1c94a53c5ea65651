import XCTest
@testable import RNNEngine

/// Gradient frames, recomputed from the checkpoints: they agree with the finished gradients, with each other
/// from step to step, with the forward frames' gate values, and show masking as TF's gradient does.
final class GradientFrameTests: XCTestCase {
    private let (batch, time, depth) = (3, 23, 2)
    private let lengths = [23, 10, 0]

    private func makeRun() throws -> (GradientRun<Double>, RNNGradients<Double>, Nest<Tensor<Double>>) {
        let store = VariableStore<Double>(missing: .initialize(seed: 8))
        let cell = try CellSpec.multi([.lstm(numUnits: 3, options: LSTMOptions()), .gru(numUnits: 2, activation: .tanh)]).makeCell(store: store)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(randomTensor([batch, time, depth], seed: 1)), sequenceLength: lengths,
                                    initialState: nil, dtype: .float64, timeMajor: false, scope: "rnn")
        let stateCotangent: Nest<Tensor<Double>> = randomState(cell.stateSize, batch: batch, seed: 4)
        let run = try GradientRun(loop: loop, loss: .cotangents(outputs: randomTensor([batch, time, 2], seed: 2), state: stateCotangent))
        run.compute()
        return (run, try XCTUnwrap(run.result()), stateCotangent)
    }

    func testFramesAgreeWithTheGradientsAndWithEachOther() throws {
        let (run, g, stateCotangent) = try makeRun()
        XCTAssertLessThan(run.segmentLength, time, "the sweep runs in several segments")
        let frames = try run.frames(0..<time)
        XCTAssertEqual(frames.map(\.time), Array(0..<time))
        XCTAssertEqual(frames.last?.stateGradient.flattened, stateCotangent.flattened, "the last step receives the loss's state cotangent")
        XCTAssertEqual(frames[0].previousStateGradient.flattened, g.initialState.flattened)
        for f in frames {
            for b in 0..<batch {
                for j in 0..<depth { XCTAssertEqual(f.inputGradient[b, j], g.inputs[b, f.time, j], "x gradient at \(f.time)") }
            }
            if f.time > 0 {
                XCTAssertEqual(frames[f.time - 1].stateGradient.flattened, f.previousStateGradient.flattened, "handed from \(f.time) to \(f.time - 1)")
            }
            XCTAssertEqual(f.layers.map(\.layer), [0, 1])
            XCTAssertEqual(f.layers.map(\.cellName), ["lstm_cell", "gru_cell"])
            XCTAssertEqual(f.layers[1].outputGradient, f.outputGradient, "the top layer receives the loss's output gradient")
            XCTAssertEqual(f.layers[1].inputGradient, f.layers[0].outputGradient, "a layer's input gradient is the one below's output gradient")
            XCTAssertEqual(f.layers[0].inputGradient.scalars, f.inputGradient.scalars.enumerated().map { f.masked[$0.offset / depth] ? 0 : $0.element })
            // Masked rows: no output gradient; the state's gradient passes back through the copy unchanged.
            for (b, masked) in f.masked.enumerated() where masked {
                XCTAssertTrue(f.outputGradient.row(b).allSatisfy { $0 == 0 })
                XCTAssertTrue(f.inputGradient.row(b).allSatisfy { $0 == 0 })
                for (before, after) in zip(f.previousStateGradient.flattened, f.stateGradient.flattened) {
                    XCTAssertEqual(before.row(b), after.row(b))
                }
            }
            XCTAssertEqual(f.masked, lengths.map { f.time >= $0 })
        }
        // A window recomputed alone is the same as in the whole.
        let window = try run.frames(9..<12)
        XCTAssertEqual(window.map(\.time), [9, 10, 11])
        XCTAssertEqual(window.map { $0.inputGradient }, frames[9..<12].map { $0.inputGradient })
        XCTAssertEqual(window[2].layers[0].gradient("f"), frames[11].layers[0].gradient("f"))
    }

    /// Each gate's gradient is what the step's equations pass on, checked against the forward frame's values:
    /// LSTM `∂L/∂f = ∂L/∂c·c₋`, `∂L/∂i = ∂L/∂c·j`, `∂L/∂j = ∂L/∂c·i`, `∂L/∂o = ∂L/∂h·tanh(c)`;
    /// GRU `∂L/∂u = ∂L/∂h·(h₋ − c)`, `∂L/∂c = ∂L/∂h·(1 − u)`.
    func testGateGradientsFollowTheStepEquations() throws {
        let (run, _, _) = try makeRun()
        let gradientFrames = try run.frames(0..<time)
        let forwardFrames = try run.forward.frames(0..<time)
        for (gf, ff) in zip(gradientFrames, forwardFrames) where gf.time < 10 {
            let lstm = gf.layers[0], lstmForward = ff.layers[0]
            guard case let .lstm(cPrev, _) = lstmForward.stateBefore, case let .lstm(c, _) = lstmForward.computedState else {
                return XCTFail("LSTM state expected")
            }
            func gate(_ name: String) throws -> Tensor<Double> { try XCTUnwrap(lstmForward.gates.first { $0.name == name }?.value) }
            let dc = try XCTUnwrap(lstm.gradient("c")), dh = try XCTUnwrap(lstm.gradient("h"))
            let (gi, gj) = (try gate("i"), try gate("j"))
            for k in 0..<dc.count {
                XCTAssertEqual(try XCTUnwrap(lstm.gradient("f")).scalars[k], dc.scalars[k] * cPrev.scalars[k], accuracy: 1e-14)
                XCTAssertEqual(try XCTUnwrap(lstm.gradient("i")).scalars[k], dc.scalars[k] * gj.scalars[k], accuracy: 1e-14)
                XCTAssertEqual(try XCTUnwrap(lstm.gradient("j")).scalars[k], dc.scalars[k] * gi.scalars[k], accuracy: 1e-14)
                XCTAssertEqual(try XCTUnwrap(lstm.gradient("o")).scalars[k], dh.scalars[k] * Foundation.tanh(c.scalars[k]), accuracy: 1e-12)
            }
            let gru = gf.layers[1], gruForward = ff.layers[1]
            guard case let .leaf(hPrev) = gruForward.stateBefore else { return XCTFail("GRU state expected") }
            let u = try XCTUnwrap(gruForward.gates.first { $0.name == "u" }?.value)
            let cand = try XCTUnwrap(gruForward.gates.first { $0.name == "c" }?.value)
            let gdh = try XCTUnwrap(gru.gradient("h"))
            for k in 0..<gdh.count {
                XCTAssertEqual(try XCTUnwrap(gru.gradient("u")).scalars[k], gdh.scalars[k] * (hPrev.scalars[k] - cand.scalars[k]), accuracy: 1e-14)
                XCTAssertEqual(try XCTUnwrap(gru.gradient("c")).scalars[k], gdh.scalars[k] * (1 - u.scalars[k]), accuracy: 1e-14)
            }
            // Every gate the table names has a gradient.
            XCTAssertEqual(Set(GateTable.gates(ofCellNamed: "lstm_cell").map(\.name)).subtracting(lstm.gradients.map(\.name)), [])
            XCTAssertEqual(Set(GateTable.gates(ofCellNamed: "gru_cell").map(\.name)).subtracting(gru.gradients.map(\.name)), [])
        }
    }

    /// The sweep runs on another thread while this one asks for progress, norms and frames of the swept steps;
    /// the norms kept for the trace are those of the frames' state gradients.
    func testBackgroundSweepWithProgressNormsAndFrames() throws {
        let store = VariableStore<Double>(missing: .initialize(seed: 8))
        let cell = try CellSpec.multi([.lstm(numUnits: 8, options: LSTMOptions()), .basicRNN(numUnits: 6, activation: .tanh)]).makeCell(store: store)
        let (b, t) = (2, 400)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(randomTensor([b, t, 3], seed: 1)), sequenceLength: [400, 250],
                                    initialState: nil, dtype: .float64, timeMajor: false, scope: "rnn")
        let run = try GradientRun(loop: loop, loss: .outputUnit(example: 0, step: 399, unit: 2))
        XCTAssertEqual(run.completedSteps, 0)
        XCTAssertNil(run.stateGradientNorms(at: 399, example: 0))
        let finished = DispatchSemaphore(value: 0)
        Thread { run.compute(); finished.signal() }.start()
        var last = 0
        while !run.isComplete && run.error == nil {
            let done = run.completedSteps
            XCTAssertGreaterThanOrEqual(done, last, "progress only grows")
            last = done
            if done > 0, let f = try run.frame(at: t - done) {
                XCTAssertEqual(f.time, t - done)
            }
        }
        XCTAssertEqual(finished.wait(timeout: .now() + 60), .success)
        XCTAssertNil(run.error)
        XCTAssertEqual(run.completedSteps, t)
        let frames = try run.frames(0..<t)
        for f in frames where f.time % 37 == 0 {
            for example in 0..<b {
                let expected = f.stateGradient.flattened.map { a -> Double in
                    let w = a.count / b
                    return a.scalars[(example * w)..<((example + 1) * w)].reduce(0) { $0 + $1 * $1 }.squareRoot()
                }
                XCTAssertEqual(try XCTUnwrap(run.stateGradientNorms(at: f.time, example: example)), expected)
            }
        }
        // Example 1's loss is zero (the loss reads example 0): its norms stay 0; example 0's gradient flows back.
        XCTAssertEqual(run.stateGradientNorms(at: 100, example: 1), [0, 0, 0])
        XCTAssertGreaterThan(run.stateGradientNorms(at: 398, example: 0)?.max() ?? 0, 0)
    }

    /// Past the loop bound nothing ran: the frames say so and pass the state gradient through.
    func testStepsPastTheLoopBound() throws {
        let store = VariableStore<Double>(missing: .initialize(seed: 8))
        let cell = try CellSpec.gru(numUnits: 2, activation: .tanh).makeCell(store: store)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(randomTensor([2, 6, 2], seed: 1)), sequenceLength: [3, 2],
                                    initialState: nil, dtype: .float64, timeMajor: false, scope: "rnn")
        let run = try GradientRun(loop: loop, loss: .finalState(path: nil))
        run.compute()
        let frames = try run.frames(0..<6)
        XCTAssertEqual(frames.map(\.ran), [true, true, true, false, false, false])
        XCTAssertEqual(frames[5].stateGradient.flattened, [Tensor(repeating: 1, shape: [2, 2])])
        XCTAssertEqual(frames[3].previousStateGradient.flattened, frames[2].stateGradient.flattened)
        let g = try XCTUnwrap(run.result())
        XCTAssertTrue(g.inputs.scalars[(3 * 2)...].prefix(6).allSatisfy { $0 == 0 }, "row 0 past its length has no input gradient")
    }

    /// TF's conventions where a derivative is not defined.
    func testGradientConventionsAtKinks() {
        let dy: [Double] = [1, 1, 1]
        var dx = [Double](repeating: 9, count: 3)
        Activation.relu.backward(3, dy: dy, y: [0, 2, -0.0], x: [0, 2, -1], into: &dx)
        XCTAssertEqual(dx, [0, 1, 0], "relu: gradient 0 at 0")
        Activation.elu.backward(3, dy: dy, y: [0, -0.5, 1], x: [0, -0.69, 1], into: &dx)
        XCTAssertEqual(dx, [1, 0.5, 1], "elu: (y + 1)·dy below 0, dy at and above 0")
        Activation.softsign.backward(3, dy: dy, y: [0, 0.5, -0.5], x: [0, 1, -1], into: &dx)
        XCTAssertEqual(dx, [1, 0.25, 0.25], "softsign: dy / (1 + |x|)²")
        XCTAssertEqual([-2.0, -1, 0.5, 1, 1.0000001].map { clipBackward(1.0, $0, 1.0) }, [0, 1, 1, 1, 0],
                       "clip_by_value passes at the bound, not beyond")
    }
}
