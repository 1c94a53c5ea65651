import XCTest
@testable import RNNEngine
import TestSupport

/// The fused, layer-wise `UnrolledLoop.run()` against the reference: `step(from:at:)` called once per step.
final class FastPathTests: XCTestCase {
    // MARK: helpers

    /// The reference: `step` for every time step, outputs scattered into the inputs' layout.
    private func reference<S: RNNScalar>(_ loop: UnrolledLoop<S>) throws -> RNNResult<S> {
        let b = loop.batchSize, time = loop.maxTime, w = loop.outputSize, tm = loop.inputs.timeMajor
        var out = [S](repeating: 0, count: b * time * w)
        var state = loop.initialState
        for t in 0..<time {
            let step = try loop.step(from: state, at: t)
            state = step.state
            for r in 0..<b {
                let d = tm ? (t * b + r) * w : (r * time + t) * w
                for k in 0..<w { out[d + k] = step.output.scalars[r * w + k] }
            }
        }
        return RNNResult(outputs: try Tensor(shape: tm ? [time, b, w] : [b, time, w], scalars: out), state: state)
    }

    /// The fused path against the reference, element by element (relative error, 1e-5 in float, 1e-12 in double).
    private func assertClose<S: RNNScalar>(_ a: Tensor<S>, _ b: Tensor<S>, _ what: String,
                                           file: StaticString = #filePath, line: UInt = #line) {
        TestSupport.assertClose(a, b, tol: S.self == Float.self ? 1e-5 : 1e-12, what, file: file, line: line)
    }

    /// Runs `spec` both ways and compares outputs and every state tensor. Returns whether the fast path ran.
    @discardableResult
    private func check<S: RNNScalar>(_ spec: CellSpec, _: S.Type, batch: Int, time: Int, depth: Int,
                                     lengths: [Int]? = nil, timeMajor: Bool = false, givenState: Bool = false,
                                     parallel: [Int] = [1, 7, 32], seed: UInt64 = 1,
                                     file: StaticString = #filePath, line: UInt = #line) throws -> Bool {
        let store = VariableStore<S>(missing: .initialize(seed: seed))
        let cell: any RNNCell<S> = try spec.makeCell(store: store)
        let x: Tensor<S> = randomTensor(timeMajor ? [time, batch, depth] : [batch, time, depth], seed: seed &+ 7, scale: 1.5)
        var state: Nest<Tensor<S>>?
        if givenState {
            var k: UInt64 = 100
            state = spec.stateSize.map { size -> Tensor<S> in k += 1; return randomTensor([batch, size], seed: k) }
        }
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: lengths, initialState: state,
                                    dtype: S.dtype, timeMajor: timeMajor, scope: "rnn")
        let want = try reference(loop)
        var fast = true
        for p in parallel {
            loop.parallelIterations = p
            let got = try loop.run()
            fast = fast && loop.lastRunUsedFastPath
            let label = "\(spec.summary) \(S.self) b=\(batch) t=\(time) d=\(depth) lengths=\(lengths.map { "\($0)" } ?? "nil") tm=\(timeMajor) pi=\(p)"
            assertClose(got.outputs, want.outputs, label + " outputs", file: file, line: line)
            XCTAssert(got.state.sameStructure(as: want.state), label + " state structure", file: file, line: line)
            for ((path, g), (_, w)) in zip(got.state.flattenedWithPaths, want.state.flattenedWithPaths) {
                assertClose(g, w, label + " state " + path, file: file, line: line)
            }
        }
        return fast
    }

    private var singleCells: [CellSpec] {
        [
            .basicRNN(numUnits: 17, activation: .tanh),
            .basicLSTM(numUnits: 17, forgetBias: 0.5, activation: .tanh),
            .lstm(numUnits: 17, options: LSTMOptions()),
            .lstm(numUnits: 17, options: LSTMOptions(usePeepholes: true)),
            .lstm(numUnits: 17, options: LSTMOptions(cellClip: 0.3)),
            .lstm(numUnits: 17, options: LSTMOptions(numProj: 3)),
            .lstm(numUnits: 17, options: LSTMOptions(usePeepholes: true, cellClip: 0.25, numProj: 5, projClip: 0.05,
                                                      forgetBias: 0.0, activation: .softsign)),
            .gru(numUnits: 17, activation: .tanh),
        ]
    }

    // MARK: tests

    func testEveryCellKindBothDTypes() throws {
        for spec in singleCells {
            XCTAssertTrue(try check(spec, Float.self, batch: 3, time: 9, depth: 33))
            XCTAssertTrue(try check(spec, Double.self, batch: 3, time: 9, depth: 33))
        }
    }

    func testEveryActivation() throws {
        for a in Activation.allCases {
            for spec: CellSpec in [.basicRNN(numUnits: 3, activation: a), .basicLSTM(numUnits: 3, forgetBias: 1, activation: a),
                                   .lstm(numUnits: 3, options: LSTMOptions(usePeepholes: true, activation: a)),
                                   .gru(numUnits: 3, activation: a)] {
                XCTAssertTrue(try check(spec, Float.self, batch: 17, time: 8, depth: 3, parallel: [7]))
                XCTAssertTrue(try check(spec, Double.self, batch: 17, time: 8, depth: 3, parallel: [7]))
            }
        }
    }

    func testOddSizes() throws {
        let sizes: [(batch: Int, units: Int, depth: Int, time: Int)] = [
            (1, 1, 1, 5), (3, 33, 17, 6), (17, 3, 257, 4), (33, 17, 1, 5), (3, 257, 3, 3), (257, 3, 17, 3),
        ]
        for s in sizes {
            for spec: CellSpec in [.lstm(numUnits: s.units, options: LSTMOptions(usePeepholes: true, cellClip: 0.5)),
                                   .gru(numUnits: s.units, activation: .tanh),
                                   .basicRNN(numUnits: s.units, activation: .relu)] {
                XCTAssertTrue(try check(spec, Float.self, batch: s.batch, time: s.time, depth: s.depth, parallel: [1, 32]))
                XCTAssertTrue(try check(spec, Double.self, batch: s.batch, time: s.time, depth: s.depth, parallel: [7]))
            }
        }
    }

    func testMixedStacksWithWrappers() throws {
        let stacks: [CellSpec] = [
            .multi([.lstm(numUnits: 17, options: LSTMOptions(numProj: 5)), .gru(numUnits: 3, activation: .tanh),
                    .basicRNN(numUnits: 33, activation: .elu)]),
            .multi([.gru(numUnits: 17, activation: .tanh), .residual(.lstm(numUnits: 17, options: LSTMOptions(usePeepholes: true))),
                    .dropout(.residual(.gru(numUnits: 17, activation: .relu)), DropoutOptions()),
                    .residual(.dropout(.basicLSTM(numUnits: 17, forgetBias: 1, activation: .tanh), DropoutOptions(seed: 3)))]),
            .multi([.basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh)]),
            .residual(.gru(numUnits: 17, activation: .tanh)),
            .dropout(.lstm(numUnits: 17, options: LSTMOptions(cellClip: 1)), DropoutOptions()),
        ]
        for spec in stacks {
            let depth = spec.typeName == "residual" ? 17 : 3
            XCTAssertTrue(try check(spec, Float.self, batch: 3, time: 11, depth: depth, givenState: true))
            XCTAssertTrue(try check(spec, Double.self, batch: 3, time: 11, depth: depth, lengths: [0, 11, 4], timeMajor: true))
        }
    }

    func testMaskingLengths() throws {
        let specs: [CellSpec] = [
            .multi([.lstm(numUnits: 17, options: LSTMOptions(usePeepholes: true, numProj: 3)), .gru(numUnits: 33, activation: .tanh)]),
            .basicRNN(numUnits: 3, activation: .tanh),
            .multi([.residual(.gru(numUnits: 3, activation: .tanh)), .basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh)]),
        ]
        let lengthSets: [[Int]] = [[0, 3, -2, 12, 9], [0, 0, 0, 0, 0], [-1, -5, 0, -3, 0], [1, 2, 3, 4, 5], [50, 9, 9, 1, 0]]
        for spec in specs {
            let depth = spec.layers[0].typeName == "residual" ? 3 : 17
            for lengths in lengthSets {
                for tm in [false, true] {
                    XCTAssertTrue(try check(spec, Float.self, batch: 5, time: 9, depth: depth, lengths: lengths, timeMajor: tm,
                                            givenState: true))
                    XCTAssertTrue(try check(spec, Double.self, batch: 5, time: 9, depth: depth, lengths: lengths, timeMajor: tm,
                                            givenState: tm, parallel: [1, 7]))
                }
            }
        }
    }

    func testLongerSequenceThanParallelIterations() throws {
        let spec: CellSpec = .multi([.lstm(numUnits: 33, options: LSTMOptions()), .lstm(numUnits: 17, options: LSTMOptions())])
        XCTAssertTrue(try check(spec, Float.self, batch: 4, time: 75, depth: 17, lengths: [75, 70, 33, 0], parallel: [1, 7, 32]))
        XCTAssertTrue(try check(spec, Double.self, batch: 4, time: 75, depth: 17, timeMajor: true, parallel: [7, 32]))
        // Without lengths the top LSTM steps from and into the result's own rows: batch-major rows are
        // max_time · units apart, time-major ones units apart, across chunks.
        XCTAssertTrue(try check(spec, Float.self, batch: 4, time: 75, depth: 17, parallel: [1, 7, 32]))
        XCTAssertTrue(try check(spec, Float.self, batch: 3, time: 40, depth: 5, timeMajor: true, givenState: true, parallel: [7, 32]))
    }

    /// Stacks with at least as many layers as threads run their layers side by side, a chunk apart: the same
    /// bits as one layer after another (every element's arithmetic is the same), and the reference's values.
    func testLayersSideBySideGiveTheSameBits() throws {
        let saved = Kernels.threads
        defer { Kernels.threads = saved }
        let stacks: [(CellSpec, depth: Int)] = [
            (.multi([.lstm(numUnits: 64, options: LSTMOptions()), .lstm(numUnits: 64, options: LSTMOptions())]), 24),
            (.multi([.gru(numUnits: 64, activation: .tanh), .residual(.lstm(numUnits: 64, options: LSTMOptions(usePeepholes: true))),
                     .basicRNN(numUnits: 96, activation: .relu)]), 10),
            (.multi([.lstm(numUnits: 48, options: LSTMOptions(cellClip: 1, numProj: 40, projClip: 0.5)),
                     .residual(.gru(numUnits: 40, activation: .tanh)), .dropout(.basicLSTM(numUnits: 64, forgetBias: 1, activation: .tanh), DropoutOptions()),
                     .residual(.basicLSTM(numUnits: 64, forgetBias: 0.5, activation: .tanh))]), 33),
        ]
        for (spec, depth) in stacks {
            for threads in [2, 3] where threads <= spec.layers.count {
                Kernels.threads = threads
                for (lengths, timeMajor) in [(nil, false), (nil, true), ([37, 0, 70, 12, 70, 69, 1, 38] as [Int]?, false)] {
                    try sameBits(spec, Float.self, depth: depth, lengths: lengths, timeMajor: timeMajor)
                    try sameBits(spec, Double.self, depth: depth, lengths: lengths, timeMajor: !timeMajor)
                }
            }
        }
    }

    /// Side by side, a chunk is at least 8 steps and a million multiply-adds of each layer's recurrent products (11
    /// steps of the GRU here: 8·64·192 each), at most `parallel_iterations`, whatever that is (a huge one: nothing
    /// multiplies it); with fewer steps or a shorter `parallel_iterations` the layers go one after another. Both
    /// give the same bits.
    func testSideBySideChunksWhateverParallelIterations() throws {
        let saved = Kernels.threads
        defer { Kernels.threads = saved }
        Kernels.threads = 2
        let spec: CellSpec = .multi([.lstm(numUnits: 64, options: LSTMOptions()), .gru(numUnits: 64, activation: .tanh)])
        let store = VariableStore<Float>(missing: .initialize(seed: 5))
        let cell: any RNNCell<Float> = try spec.makeCell(store: store)
        for (time, p, lanes) in [(70, Int.max, 2), (70, 11, 2), (70, 10, 1), (12, 32, 2), (11, 32, 1), (70, 1, 1)] {
            let x: Tensor<Float> = randomTensor([8, time, 12], seed: 3)
            let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: nil, initialState: nil, dtype: .float32,
                                        timeMajor: false, scope: "rnn")
            loop.parallelIterations = p
            loop.runsLayersSideBySide = false
            let apart = try loop.run()
            loop.runsLayersSideBySide = true
            let side = try loop.run()
            XCTAssertEqual(loop.lastRunLanes, lanes, "time=\(time) parallel_iterations=\(p)")
            XCTAssertEqual(side.outputs.scalars, apart.outputs.scalars, "time=\(time) parallel_iterations=\(p)")
        }
    }

    /// `spec` over batch 8, 70 steps, side by side and not: equal bits, both close to the reference, and the
    /// side-by-side run did run its layers as many side by side as there are threads.
    private func sameBits<S: RNNScalar>(_ spec: CellSpec, _: S.Type, depth: Int, lengths: [Int]?, timeMajor: Bool,
                                        file: StaticString = #filePath, line: UInt = #line) throws {
        let batch = 8, time = 70
        let store = VariableStore<S>(missing: .initialize(seed: 4))
        let cell: any RNNCell<S> = try spec.makeCell(store: store)
        let x: Tensor<S> = randomTensor(timeMajor ? [time, batch, depth] : [batch, time, depth], seed: 12, scale: 1.5)
        var k: UInt64 = 40
        let state = spec.stateSize.map { size -> Tensor<S> in k += 1; return randomTensor([batch, size], seed: k) }
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: lengths, initialState: state,
                                    dtype: S.dtype, timeMajor: timeMajor, scope: "rnn")
        let label = "\(spec.summary) \(S.self) threads=\(Kernels.threads) lengths=\(lengths != nil) tm=\(timeMajor)"
        let want = try reference(loop)
        loop.runsLayersSideBySide = false
        let apart = try loop.run()
        XCTAssertEqual(loop.lastRunLanes, 1, label, file: file, line: line)
        loop.runsLayersSideBySide = true
        let side = try loop.run()
        XCTAssertTrue(loop.lastRunUsedFastPath, label, file: file, line: line)
        XCTAssertEqual(loop.lastRunLanes, Kernels.threads, label + " lanes", file: file, line: line)
        func sameScalars(_ a: [S], _ b: [S], _ what: String) {
            let first = a.indices.first { $0 < b.count && a[$0] != b[$0] }
            XCTAssertTrue(a.count == b.count && first == nil,
                          "\(label) \(what): first difference at \(first.map { "\($0): \(a[$0]) against \(b[$0])" } ?? "count")",
                          file: file, line: line)
        }
        sameScalars(side.outputs.scalars, apart.outputs.scalars, "outputs")
        for (s, a) in zip(side.state.flattened, apart.state.flattened) { sameScalars(s.scalars, a.scalars, "state") }
        assertClose(side.outputs, want.outputs, label + " outputs against the reference", file: file, line: line)
        for (g, w) in zip(side.state.flattened, want.state.flattened) {
            assertClose(g, w, label + " state against the reference", file: file, line: line)
        }
    }

    func testDynamicRNNParallelIterationsDoNotChangeResults() throws {
        let store = VariableStore<Float>(missing: .initialize(seed: 5))
        let x: Tensor<Float> = randomTensor([3, 20, 5], seed: 9)
        var results: [RNNResult<Float>] = []
        for p in [1, 7, 32, 1000] {
            let cell = try CellSpec.multi([.gru(numUnits: 7, activation: .tanh), .lstm(numUnits: 5, options: LSTMOptions())])
                .makeCell(store: store)
            results.append(try dynamicRNN(cell: cell, inputs: x, sequenceLength: [20, 3, 0], dtype: .float32, parallelIterations: p))
        }
        for r in results.dropFirst() {
            assertClose(r.outputs, results[0].outputs, "outputs")
            for (a, b) in zip(r.state.flattened, results[0].state.flattened) { assertClose(a, b, "state") }
        }
    }

    func testWorkingMemoryDoesNotGrowWithMaxTime() throws {
        var sizes: [Int] = []
        for time in [40, 400, 4000] {
            let store = VariableStore<Float>(missing: .initialize(seed: 4))
            let cell = try CellSpec.multi([.lstm(numUnits: 8, options: LSTMOptions()), .lstm(numUnits: 8, options: LSTMOptions())])
                .makeCell(store: store)
            let x: Tensor<Float> = randomTensor([4, time, 3], seed: 1)
            let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: nil, initialState: nil, dtype: .float32,
                                        timeMajor: false, scope: "rnn")
            loop.parallelIterations = 32
            let r = try loop.run()
            XCTAssertTrue(loop.lastRunUsedFastPath)
            XCTAssertEqual(r.outputs.shape, [4, time, 8])
            sizes.append(loop.lastRunWorkingScalars)
        }
        XCTAssertEqual(Set(sizes).count, 1, "working buffers \(sizes) must not depend on max_time")
        XCTAssertLessThan(sizes[0], 32 * 4 * (4 * 8) * 4, "O(parallel_iterations · batch · units)")
    }

    func testRepeatedAndConcurrentRunsOfOneLoop() throws {
        let store = VariableStore<Double>(missing: .initialize(seed: 8))
        let cell = try CellSpec.multi([.gru(numUnits: 9, activation: .tanh), .lstm(numUnits: 5, options: LSTMOptions(numProj: 3))])
            .makeCell(store: store)
        let x: Tensor<Double> = randomTensor([6, 30, 4], seed: 2)
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: [30, 1, 0, 17, 29, 5], initialState: nil,
                                    dtype: .float64, timeMajor: false, scope: "rnn")
        let want = try reference(loop)
        for p in [32, 7, 1, 64] {  // buffers kept between runs shrink and grow
            loop.parallelIterations = p
            let got = try loop.run()
            assertClose(got.outputs, want.outputs, "pi=\(p)")
        }
        var results = [RNNResult<Double>?](repeating: nil, count: 4)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            let r = try? loop.run()
            lock.lock(); results[i] = r; lock.unlock()
        }
        for r in results {
            guard let r else { XCTFail("a concurrent run failed"); continue }
            assertClose(r.outputs, want.outputs, "concurrent")
            for (a, b) in zip(r.state.flattened, want.state.flattened) { assertClose(a, b, "concurrent state") }
        }
    }

    // MARK: which path runs

    private final class Doubler: RNNCell {
        typealias Scalar = Float
        var stateSize: Nest<Int> { .leaf(2) }
        var outputSize: Int { 2 }
        var name: String { "doubler" }
        func build(inputDepth: Int, scope: String) throws {}
        func call(_ input: Nest<Tensor<Float>>, state: Nest<Tensor<Float>>,
                  context: StepContext<Float>) throws -> (output: Tensor<Float>, state: Nest<Tensor<Float>>) {
            guard case let .leaf(h) = state else { throw RNNError.invalidArgument("state") }
            var o = h
            for k in o.scalars.indices { o.scalars[k] = o.scalars[k] * 2 + 1 }
            return (o, .leaf(o))
        }
    }

    func testFastPathIsTakenOnlyWhenItCanBe() throws {
        let store = VariableStore<Float>(missing: .initialize(seed: 2))
        let x: Tensor<Float> = randomTensor([2, 4, 3], seed: 1)
        func loop(_ cell: any RNNCell<Float>) throws -> UnrolledLoop<Float> {
            try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: nil, initialState: nil, dtype: .float32,
                             timeMajor: false, scope: "rnn")
        }
        let lstm = try loop(CellSpec.lstm(numUnits: 4, options: LSTMOptions()).makeCell(store: store))
        _ = try lstm.run()
        XCTAssertTrue(lstm.lastRunUsedFastPath)
        _ = try lstm.run(observe: { _, _, _ in })
        XCTAssertFalse(lstm.lastRunUsedFastPath, "an observed run goes step by step")
        lstm.allowsFastPath = false
        _ = try lstm.run()
        XCTAssertFalse(lstm.lastRunUsedFastPath)

        let custom = try loop(Doubler())
        let r = try custom.run()
        XCTAssertFalse(custom.lastRunUsedFastPath)
        XCTAssertEqual(r.outputs.scalars[0..<2], [1, 1])

        let dropped = try loop(CellSpec.dropout(.gru(numUnits: 3, activation: .tanh), DropoutOptions(outputKeepProb: 0.5))
            .makeCell(store: VariableStore<Float>(missing: .initialize(seed: 2))))
        _ = try dropped.run()
        XCTAssertFalse(dropped.lastRunUsedFastPath, "real dropout goes step by step")

        let mixed = try loop(MultiRNNCell<Float>([try CellSpec.gru(numUnits: 2, activation: .tanh)
            .makeCell(store: VariableStore<Float>(missing: .initialize(seed: 2))), Doubler()]))
        _ = try mixed.run()
        XCTAssertFalse(mixed.lastRunUsedFastPath)
    }
}
