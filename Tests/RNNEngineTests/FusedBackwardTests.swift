@testable import RNNEngine
import XCTest

/// The fused backward sweep (FusedBackward.swift) against the step-by-step VJP of every step (the path
/// `allowsFastPath = false` forces, checked against TF by the gradient conformance cases): the same gradients,
/// state-gradient norms and replayed frames, with lengths (finished rows, a row of length 0), both layouts,
/// one layer or a stack, and cotangents on the outputs and the final state.
final class FusedBackwardTests: XCTestCase {
    private func makeLoop(_ spec: CellSpec, fast: Bool, batch: Int, time: Int, depth: Int, lengths: [Int]?,
                          timeMajor: Bool, initial: Bool) throws -> UnrolledLoop<Double> {
        let store = VariableStore<Double>(missing: .initialize(seed: 11))
        let cell = try spec.makeCell(store: store)
        let x = randomTensor(timeMajor ? [time, batch, depth] : [batch, time, depth], seed: 21, scale: 1.5, as: Double.self)
        let s0: Nest<Tensor<Double>>? = initial ? randomState(cell.stateSize, batch: batch, seed: 4) : nil
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: lengths, initialState: s0,
                                    dtype: .float64, timeMajor: timeMajor, scope: "rnn")
        loop.allowsFastPath = fast
        return loop
    }

    private func compare(_ spec: CellSpec, batch: Int = 3, time: Int = 37, depth: Int = 5, lengths: [Int]?,
                         timeMajor: Bool, cotangents: Bool, line: UInt = #line) throws {
        var runs: [GradientRun<Double>] = []
        for fast in [true, false] {
            let loop = try makeLoop(spec, fast: fast, batch: batch, time: time, depth: depth, lengths: lengths,
                                    timeMajor: timeMajor, initial: cotangents)
            let loss: RNNLoss<Double>
            if cotangents {
                let shape = timeMajor ? [time, batch, loop.outputSize] : [batch, time, loop.outputSize]
                loss = .cotangents(outputs: randomTensor(shape, seed: 8, as: Double.self),
                                   state: randomState(loop.cell.stateSize, batch: batch, seed: 9))
            } else {
                loss = .sumOfOutputs
            }
            let run = try GradientRun(loop: loop, loss: loss)
            XCTAssertEqual(run.sweepsFused, fast, "the fused sweep runs exactly when the fast path is allowed", line: line)
            run.compute()
            XCTAssertNil(run.error, line: line)
            runs.append(run)
        }
        let fused = try XCTUnwrap(runs[0].result(), line: line), stepped = try XCTUnwrap(runs[1].result(), line: line)
        XCTAssertLessThan(fused.inputs.maxAbsDifference(stepped.inputs), 1e-12, "inputs", line: line)
        XCTAssertGreaterThan(stepped.inputs.scalars.map(abs).max() ?? 0, 1e-3, "a gradient that is not all zero", line: line)
        for (a, b) in zip(fused.initialState.flattened, stepped.initialState.flattened) {
            XCTAssertLessThan(a.maxAbsDifference(b), 1e-12, "initial state", line: line)
        }
        XCTAssertEqual(Set(fused.weights.keys), Set(stepped.weights.keys), line: line)
        for (name, w) in stepped.weights {
            let f = try XCTUnwrap(fused.weights[name], line: line)
            XCTAssertLessThan(f.maxAbsDifference(w), 1e-11, name, line: line)
        }
        for t in 0..<time {
            for b in 0..<batch {
                let a = try XCTUnwrap(runs[0].stateGradientNorms(at: t, example: b), line: line)
                let e = try XCTUnwrap(runs[1].stateGradientNorms(at: t, example: b), line: line)
                XCTAssertEqual(a.count, e.count, line: line)
                for (x, y) in zip(a, e) { XCTAssertEqual(x, y, accuracy: 1e-12, "norm t=\(t) b=\(b)", line: line) }
            }
        }
        // Frames replayed after a fused sweep start from the state gradients it handed between segments.
        for t in [0, time / 2, time - 1] {
            let a = try XCTUnwrap(runs[0].frame(at: t), line: line), e = try XCTUnwrap(runs[1].frame(at: t), line: line)
            for (x, y) in zip(a.previousStateGradient.flattened, e.previousStateGradient.flattened) {
                XCTAssertLessThan(x.maxAbsDifference(y), 1e-12, "frame t=\(t)", line: line)
            }
            XCTAssertLessThan(a.inputGradient.maxAbsDifference(e.inputGradient), 1e-12, "frame t=\(t)", line: line)
        }
    }

    func testOneLayerMatchesTheStepByStepSweep() throws {
        let spec = CellSpec.basicLSTM(numUnits: 6, forgetBias: 1, activation: .tanh)
        for lengths in [nil, [37, 12, 0]] as [[Int]?] {
            for timeMajor in [false, true] {
                for cotangents in [false, true] {
                    try compare(spec, lengths: lengths, timeMajor: timeMajor, cotangents: cotangents)
                }
            }
        }
    }

    func testStackMatchesTheStepByStepSweep() throws {
        let spec = CellSpec.multi([.lstm(numUnits: 7, options: LSTMOptions()), .basicLSTM(numUnits: 4, forgetBias: 1, activation: .tanh)])
        try compare(spec, lengths: [20, 37, 3], timeMajor: false, cotangents: true)
        try compare(spec, batch: 2, time: 9, depth: 3, lengths: nil, timeMajor: true, cotangents: false)
    }

    func testGRUMatchesTheStepByStepSweep() throws {
        try compare(.gru(numUnits: 5, activation: .tanh), lengths: [37, 12, 0], timeMajor: false, cotangents: true)
        try compare(.gru(numUnits: 5, activation: .tanh), lengths: nil, timeMajor: true, cotangents: false)
        let stack = CellSpec.multi([.gru(numUnits: 6, activation: .tanh), .basicLSTM(numUnits: 4, forgetBias: 1, activation: .tanh),
                                    .gru(numUnits: 3, activation: .tanh)])
        try compare(stack, lengths: [5, 37, 30], timeMajor: false, cotangents: true)
    }

    /// Layers wide enough for a step to be split across two threads (units that do not divide evenly into the
    /// threads' panels), float and double, rows finishing early: the LSTM's per-thread backward step (product
    /// and derivatives in one call) gives the step-by-step sweep's gradients and norms.
    func testWideLayersSplitAcrossThreadsMatchTheStepByStepSweep() throws {
        let threads = Kernels.threads
        defer { Kernels.threads = threads }
        Kernels.threads = 2
        let stack = CellSpec.multi([.basicLSTM(numUnits: 96, forgetBias: 1, activation: .tanh), .gru(numUnits: 40, activation: .tanh),
                                    .lstm(numUnits: 80, options: LSTMOptions())])
        try compare(stack, batch: 6, time: 23, depth: 7, lengths: [23, 9, 0, 17, 23, 1], timeMajor: false, cotangents: true)
    }

    /// Layers the fused sweep does not run (peepholes, another activation, a basic RNN) keep the step-by-step sweep.
    func testOtherCellsKeepTheStepByStepSweep() throws {
        for spec in [CellSpec.lstm(numUnits: 4, options: LSTMOptions(usePeepholes: true)),
                     .basicLSTM(numUnits: 4, forgetBias: 1, activation: .relu),
                     .multi([.basicLSTM(numUnits: 4, forgetBias: 1, activation: .tanh), .basicRNN(numUnits: 3, activation: .tanh)])] {
            let loop = try makeLoop(spec, fast: true, batch: 2, time: 5, depth: 3, lengths: nil, timeMajor: false, initial: false)
            XCTAssertFalse(try GradientRun(loop: loop, loss: .sumOfOutputs).sweepsFused)
        }
    }
}
