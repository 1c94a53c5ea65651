import CRNNKernels
@testable import RNNEngine
import XCTest

/// Each built-in cell has one step function; its recorded forward (`call`, with and without a recorder) and the
/// taped step the gradient sweep recomputes must therefore give the same output and state, bit for bit, for
/// every cell kind, option and activation, in float and double. The fused path is checked against the same
/// step function.
final class CellStepTests: XCTestCase {
    /// Every cell kind with every option (and each activation where the kind takes one).
    static var specs: [CellSpec] {
        var specs: [CellSpec] = []
        for a in Activation.allCases {
            specs += [.basicRNN(numUnits: 5, activation: a), .basicLSTM(numUnits: 5, forgetBias: 0.5, activation: a),
                      .lstm(numUnits: 5, options: LSTMOptions(activation: a)), .gru(numUnits: 5, activation: a),
                      .gruResetAfter(numUnits: 5, activation: a)]
        }
        specs += [
            .lstm(numUnits: 5, options: LSTMOptions(usePeepholes: true)),
            .lstm(numUnits: 5, options: LSTMOptions(cellClip: 0.2)),
            .lstm(numUnits: 5, options: LSTMOptions(numProj: 3)),
            .lstm(numUnits: 5, options: LSTMOptions(numProj: 3, projClip: 0.1)),
            .lstm(numUnits: 5, options: LSTMOptions(forgetBias: 0)),
            .lstm(numUnits: 5, options: LSTMOptions(usePeepholes: true, cellClip: 0.25, numProj: 4, projClip: 0.05,
                                                     forgetBias: 2, activation: .softsign)),
            .basicLSTM(numUnits: 5, forgetBias: 0, activation: .tanh),
        ]
        return specs
    }

    /// The bits of each value (as a Double, which keeps a Float's bits apart, signed zeros included).
    private func bits<S: RNNScalar>(_ t: Tensor<S>) -> [UInt64] { t.scalars.map { Double($0).bitPattern } }

    private func assertIdentical<S: RNNScalar>(_ a: Tensor<S>, _ b: Tensor<S>, _ what: String, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, line: line)
        XCTAssert(bits(a) == bits(b), "\(what): \(a.scalars) vs \(b.scalars)", line: line)
    }

    private func assertIdentical<S: RNNScalar>(_ a: Nest<Tensor<S>>, _ b: Nest<Tensor<S>>, _ what: String, line: UInt = #line) {
        XCTAssert(a.sameStructure(as: b), what + " structure", line: line)
        for ((path, x), (_, y)) in zip(a.flattenedWithPaths, b.flattenedWithPaths) { assertIdentical(x, y, what + " " + path, line: line) }
    }

    /// Steps `spec`'s cell four times from a random state: recorded, unrecorded and taped must agree bit for bit
    /// at every step, and the recorder must have seen the step's gates.
    private func checkTapedEqualsRecorded<S: RNNScalar>(_ spec: CellSpec, _: S.Type) throws {
        let (batch, depth) = (3, 4)
        let cell = try spec.makeCell(store: VariableStore<S>(missing: .initialize(seed: 11)))
        try cell.build(inputDepth: depth, scope: "rnn")
        let taped = try cell.differentiable()
        var state: Nest<Tensor<S>> = randomState(cell.stateSize, batch: batch, seed: 3)
        for t in 0..<4 {
            let x: Tensor<S> = randomTensor([batch, depth], seed: UInt64(20 + t), scale: 2)
            let label = "\(spec.summary) \(S.self) t=\(t)"
            let recorder = StepRecorder<S>()
            recorder.beginLayer(0, cellName: cell.name, input: x, state: state)
            let recorded = try cell.call(.leaf(x), state: state, context: StepContext(time: t, recorder: recorder))
            let plain = try cell.call(.leaf(x), state: state, context: StepContext(time: t))
            let tape = try taped.tapedCall(x, state: state, time: t)
            let seen = recorder.layers.first.map { $0.gates.count + $0.terms.count } ?? 0
            XCTAssertGreaterThan(seen, 0, label + " records what goes into the activations")
            XCTAssertGreaterThan(tape.tape.scalarCount, 0, label + " keeps a tape")
            assertIdentical(recorded.output, plain.output, label + " output recorded vs unrecorded")
            assertIdentical(recorded.output, tape.output, label + " output recorded vs taped")
            assertIdentical(recorded.state, plain.state, label + " state recorded vs unrecorded")
            assertIdentical(recorded.state, tape.state, label + " state recorded vs taped")
            state = recorded.state
        }
    }

    func testTapedStepEqualsRecordedForwardFloat() throws {
        for spec in Self.specs { try checkTapedEqualsRecorded(spec, Float.self) }
    }

    func testTapedStepEqualsRecordedForwardDouble() throws {
        for spec in Self.specs { try checkTapedEqualsRecorded(spec, Double.self) }
    }

    /// The fused path (`UnrolledLoop.run()`) against its reference, the cells' step functions (`step(from:at:)`,
    /// which calls each cell's `call`), bit for bit, on every instruction-set path.
    private func checkFusedEqualsSteps<S: RNNScalar>(_ spec: CellSpec, _: S.Type, path: String) throws {
        let (batch, time, depth) = (3, 7, 4)
        let cell = try spec.makeCell(store: VariableStore<S>(missing: .initialize(seed: 13)))
        let x: Tensor<S> = randomTensor([batch, time, depth], seed: 5, scale: 2)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: [7, 4, 0], initialState: nil,
                                    dtype: S.dtype, timeMajor: false, scope: "rnn")
        let fused = try loop.run()
        let label = "\(spec.summary) \(S.self) \(path)"
        if spec.unwrappedLayer?.kind.descriptor.fusedKernel == nil {
            XCTAssertFalse(loop.lastRunUsedFastPath, label + " has no fused kernel")
            return
        }
        XCTAssertTrue(loop.lastRunUsedFastPath, label + " runs fused")
        var state = loop.initialState
        for t in 0..<time {
            let step = try loop.step(from: state, at: t)
            state = step.state
            let w = step.output.shape[1]
            var row: [S] = []
            for b in 0..<batch {
                let start = (b * time + t) * w
                row += fused.outputs.scalars[start..<(start + w)]
            }
            assertIdentical(Tensor(unchecked: [batch, w], scalars: row), step.output, label + " output t=\(t)")
        }
        assertIdentical(fused.state, state, label + " final state")
    }

    func testFusedPathEqualsTheStepFunctions() throws {
        defer { _ = rk_force_kernel("auto"); rk_set_threads(0) }
        // Units that fill no vector, and units the whole-step kernels split across threads.
        let wide: [CellSpec] = [.basicRNN(numUnits: 130, activation: .relu), .gru(numUnits: 130, activation: .tanh),
                                .lstm(numUnits: 130, options: LSTMOptions(usePeepholes: true, cellClip: 0.5, numProj: 33, projClip: 0.3))]
        for path in KernelTests.paths {
            XCTAssertEqual(rk_force_kernel(path), 0)
            for threads in [1, 3] {
                rk_set_threads(Int32(threads))
                for spec in Self.specs + wide {
                    try checkFusedEqualsSteps(spec, Float.self, path: "\(path) threads=\(threads)")
                    try checkFusedEqualsSteps(spec, Double.self, path: "\(path) threads=\(threads)")
                }
            }
        }
    }
}
