import Foundation
import XCTest
@testable import RNNEngine
import TestSupport

/// Every cell's equations against the same equations written out in plain Double arithmetic,
/// with weights chosen here (missing weights fail), for every activation, in Float and Double.
final class CellEquationTests: XCTestCase {
    static let batch = 2, time = 3, depth = 2

    /// A reference cell: one row's step on plain arrays. The state is a list of vectors (`[c, h]` or `[h]`).
    typealias RefStep = (_ x: [Double], _ state: [[Double]]) -> (out: [Double], state: [[Double]])

    /// Runs `cell` through `dynamicRNN` and the reference row by row; compares every output and the final state.
    func check<S: RNNScalar>(_: S.Type, cell: any RNNCell<S>, initial: [[[Double]]], ref: RefStep,
                             timeMajor: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let b = Self.batch, t = Self.time, d = Self.depth
        let xs = randomValues(b * t * d, seed: 42, scale: 1.5)   // batch-major [b, t, d]
        let sizes = cell.stateSize.flattened
        // Initial state tensors from the per-row vectors, in flatten order.
        var flatInit: [Tensor<S>] = []
        for (k, n) in sizes.enumerated() {
            flatInit.append(tensor([b, n], (0..<b).flatMap { initial[$0][k] }))
        }
        var it = flatInit.makeIterator()
        let initState = cell.stateSize.map { _ in it.next()! }
        let x: Tensor<S> = tensor([b, t, d], xs)
        let result = try dynamicRNN(cell: cell, inputs: timeMajor ? x.transposedFirstTwo() : x,
                                    initialState: initState, timeMajor: timeMajor)
        let outputs = timeMajor ? result.outputs.transposedFirstTwo() : result.outputs
        XCTAssertEqual(outputs.shape, [b, t, cell.outputSize], file: file, line: line)
        for row in 0..<b {
            var state = initial[row]
            for step in 0..<t {
                let xt = Array(xs[((row * t + step) * d)..<((row * t + step + 1) * d)])
                let r = ref(xt, state)
                state = r.state
                let got = try Tensor(shape: [r.out.count], scalars: outputAt(outputs, b: row, t: step))
                assertClose(got, r.out, "output row \(row) t \(step)", file: file, line: line)
            }
            let finalRow = result.state.flattened.map { rowOf($0, row) }
            XCTAssertEqual(finalRow.count, state.count, file: file, line: line)
            for (k, (v, e)) in zip(finalRow, state).enumerated() { assertClose(v, e, "state \(k) row \(row)", file: file, line: line) }
        }
    }

    func initial(_ sizes: [Int], seed: UInt64) -> [[[Double]]] {
        (0..<Self.batch).map { row in
            sizes.enumerated().map { k, n in randomValues(n, seed: seed &+ UInt64(row * 10 + k), scale: 0.9) }
        }
    }

    // MARK: BasicRNNCell

    func basicRNN<S: RNNScalar>(_: S.Type, _ a: Activation) throws {
        let n = 2, d = Self.depth
        let w = weights((d + n) * n, seed: 1), bias = [0.1, -0.2]
        let store = VariableStore<S>(arrays: ["rnn/basic_rnn_cell/kernel": tensor([d + n, n], w),
                                              "rnn/basic_rnn_cell/bias": tensor([n], bias)], missing: .fail)
        let cell = try BasicRNNCell(numUnits: n, activation: a, store: store)
        try check(S.self, cell: cell, initial: initial([n], seed: 5)) { x, s in
            let h = Ref.linear(x, s[0], w, bias, width: n).map { Ref.act(a, $0) }
            return (h, [h])
        }
    }

    func testBasicRNNEveryActivation() throws {
        for a in Activation.allCases {
            try basicRNN(Float.self, a)
            try basicRNN(Double.self, a)
        }
    }

    // MARK: LSTM

    struct LSTMRef {
        var n: Int, kernel: [Double], bias: [Double], forgetBias: Double, activation: Activation
        var peep: (wi: [Double], wf: [Double], wo: [Double])? = nil
        var cellClip: Double? = nil
        var proj: [Double]? = nil, numProj: Int? = nil, projClip: Double? = nil
        var clipsSeen = 0, projClipsSeen = 0

        mutating func step(_ x: [Double], _ s: [[Double]]) -> (out: [Double], state: [[Double]]) {
            let c = s[0], h = s[1]
            let g = Ref.linear(x, h, kernel, bias, width: 4 * n)
            var newC = [Double](repeating: 0, count: n), m = newC
            for u in 0..<n {
                var i = g[u], j = g[n + u], f = g[2 * n + u], o = g[3 * n + u]
                if let p = peep { i += p.wi[u] * c[u]; f += p.wf[u] * c[u] }
                j = Ref.act(activation, j)
                var cu = c[u] * Ref.sigmoid(f + forgetBias) + Ref.sigmoid(i) * j
                if let clip = cellClip, abs(cu) > clip { clipsSeen += 1 }
                cu = Ref.clip(cu, cellClip)
                if let p = peep { o += p.wo[u] * cu }
                newC[u] = cu
                m[u] = Ref.act(activation, cu) * Ref.sigmoid(o)
            }
            var out = m
            if let p = proj, let np = numProj {
                out = (0..<np).map { j in (0..<n).reduce(0.0) { $0 + m[$1] * p[$1 * np + j] } }
                if let pc = projClip { projClipsSeen += out.filter { abs($0) > pc }.count }
                out = out.map { Ref.clip($0, projClip) }
            }
            return (out, [newC, out])
        }
    }

    func basicLSTM<S: RNNScalar>(_: S.Type, _ a: Activation, forgetBias: Double) throws {
        let n = 2, d = Self.depth
        var ref = LSTMRef(n: n, kernel: weights((d + n) * 4 * n, seed: 2), bias: weights(4 * n, seed: 3, scale: 0.3),
                          forgetBias: forgetBias, activation: a)
        let store = VariableStore<S>(arrays: ["rnn/basic_lstm_cell/kernel": tensor([d + n, 4 * n], ref.kernel),
                                              "rnn/basic_lstm_cell/bias": tensor([4 * n], ref.bias)], missing: .fail)
        let cell = try BasicLSTMCell(numUnits: n, forgetBias: forgetBias, activation: a, store: store)
        try check(S.self, cell: cell, initial: initial([n, n], seed: 7)) { ref.step($0, $1) }
    }

    func testBasicLSTMEveryActivation() throws {
        for a in Activation.allCases {
            for fb in [1.0, 0.25] {
                try basicLSTM(Float.self, a, forgetBias: fb)
                try basicLSTM(Double.self, a, forgetBias: fb)
            }
        }
    }

    /// Runs an `LSTMCell` with `options`; returns the reference afterwards so callers can check clipping happened.
    @discardableResult
    func lstm<S: RNNScalar>(_: S.Type, _ o: LSTMOptions, units n: Int = 2) throws -> LSTMRef {
        let d = Self.depth, hd = o.numProj ?? n
        var ref = LSTMRef(n: n, kernel: weights((d + hd) * 4 * n, seed: 4, scale: 1.2), bias: weights(4 * n, seed: 5, scale: 0.5),
                          forgetBias: o.forgetBias, activation: o.activation)
        var arrays: [String: Tensor<S>] = ["rnn/lstm_cell/kernel": tensor([d + hd, 4 * n], ref.kernel),
                                           "rnn/lstm_cell/bias": tensor([4 * n], ref.bias)]
        if o.usePeepholes {
            ref.peep = (weights(n, seed: 6), weights(n, seed: 7), weights(n, seed: 8))
            arrays["rnn/lstm_cell/w_i_diag"] = tensor([n], ref.peep!.wi)
            arrays["rnn/lstm_cell/w_f_diag"] = tensor([n], ref.peep!.wf)
            arrays["rnn/lstm_cell/w_o_diag"] = tensor([n], ref.peep!.wo)
        }
        ref.cellClip = o.cellClip
        if let p = o.numProj {
            ref.proj = weights(n * p, seed: 9, scale: 1.5)
            ref.numProj = p
            ref.projClip = o.projClip
            arrays["rnn/lstm_cell/projection/kernel"] = tensor([n, p], ref.proj!)
        }
        let store = VariableStore<S>(arrays: arrays, missing: .fail)
        let cell = try LSTMCell(numUnits: n, options: o, store: store)
        try check(S.self, cell: cell, initial: initial([n, hd], seed: 11)) { ref.step($0, $1) }
        XCTAssertEqual(store.unusedNames, [], "every given weight is used")
        return ref
    }

    func testLSTMCellPlainEveryActivation() throws {
        for a in Activation.allCases {
            try lstm(Float.self, LSTMOptions(forgetBias: 0.5, activation: a))
            try lstm(Double.self, LSTMOptions(activation: a))
        }
    }

    func testLSTMCellPeepholes() throws {
        for a in Activation.allCases {
            try lstm(Float.self, LSTMOptions(usePeepholes: true, activation: a))
            try lstm(Double.self, LSTMOptions(usePeepholes: true, activation: a))
        }
    }

    func testLSTMCellClipClipsCBeforeH() throws {
        for a in [Activation.tanh, .relu, .elu] {
            let r1 = try lstm(Float.self, LSTMOptions(usePeepholes: true, cellClip: 0.2, activation: a))
            let r2 = try lstm(Double.self, LSTMOptions(cellClip: 0.2, activation: a))
            XCTAssertGreaterThan(r1.clipsSeen, 0, "the test must exercise the clip")
            XCTAssertGreaterThan(r2.clipsSeen, 0, "the test must exercise the clip")
        }
    }

    func testLSTMCellProjectionAndProjClip() throws {
        for a in Activation.allCases {
            try lstm(Float.self, LSTMOptions(numProj: 1, activation: a), units: 3)
            try lstm(Double.self, LSTMOptions(numProj: 3, activation: a), units: 2)
        }
        let r = try lstm(Double.self, LSTMOptions(usePeepholes: true, cellClip: 0.5, numProj: 2, projClip: 0.05), units: 3)
        XCTAssertGreaterThan(r.projClipsSeen, 0, "the test must exercise proj_clip")
        let rf = try lstm(Float.self, LSTMOptions(numProj: 1, projClip: 0.05, activation: .softsign), units: 2)
        XCTAssertGreaterThan(rf.projClipsSeen, 0, "the test must exercise proj_clip")
    }

    // MARK: GRU

    func gru<S: RNNScalar>(_: S.Type, _ a: Activation) throws {
        let n = 2, d = Self.depth
        let gk = weights((d + n) * 2 * n, seed: 12), gb = weights(2 * n, seed: 13, scale: 0.4)
        let ck = weights((d + n) * n, seed: 14), cb = [0.2, -0.1]
        let store = VariableStore<S>(arrays: [
            "rnn/gru_cell/gates/kernel": tensor([d + n, 2 * n], gk), "rnn/gru_cell/gates/bias": tensor([2 * n], gb),
            "rnn/gru_cell/candidate/kernel": tensor([d + n, n], ck), "rnn/gru_cell/candidate/bias": tensor([n], cb),
        ], missing: .fail)
        let cell = try GRUCell(numUnits: n, activation: a, store: store)
        try check(S.self, cell: cell, initial: initial([n], seed: 17)) { x, s in
            let h = s[0]
            let v = Ref.linear(x, h, gk, gb, width: 2 * n).map(Ref.sigmoid)
            let r = Array(v[0..<n]), u = Array(v[n..<(2 * n)])
            let rh = (0..<n).map { r[$0] * h[$0] }
            let c = Ref.linear(x, rh, ck, cb, width: n).map { Ref.act(a, $0) }
            let newH = (0..<n).map { u[$0] * h[$0] + (1 - u[$0]) * c[$0] }
            return (newH, [newH])
        }
    }

    func testGRUEveryActivation() throws {
        for a in Activation.allCases {
            try gru(Float.self, a)
            try gru(Double.self, a)
        }
    }

    // MARK: Stacks and wrappers

    func testMultiRNNCellChainsLayers() throws {
        func run<S: RNNScalar>(_: S.Type) throws {
            let d = Self.depth, n0 = 3, n1 = 2
            let w0 = weights((d + n0) * n0, seed: 20), b0 = weights(n0, seed: 21, scale: 0.2)
            var lstmRef = LSTMRef(n: n1, kernel: weights((n0 + n1) * 4 * n1, seed: 22), bias: weights(4 * n1, seed: 23, scale: 0.3),
                                  forgetBias: 1.0, activation: .tanh)
            let store = VariableStore<S>(arrays: [
                "rnn/multi_rnn_cell/cell_0/basic_rnn_cell/kernel": tensor([d + n0, n0], w0),
                "rnn/multi_rnn_cell/cell_0/basic_rnn_cell/bias": tensor([n0], b0),
                "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/kernel": tensor([n0 + n1, 4 * n1], lstmRef.kernel),
                "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias": tensor([4 * n1], lstmRef.bias),
            ], missing: .fail)
            let cell = try MultiRNNCell<S>([BasicRNNCell(numUnits: n0, store: store),
                                            BasicLSTMCell(numUnits: n1, store: store)])
            // Flattened state order: layer 0 h, layer 1 c, layer 1 h.
            try check(S.self, cell: cell, initial: initial([n0, n1, n1], seed: 23)) { x, s in
                let h0 = Ref.linear(x, s[0], w0, b0, width: n0).map { Foundation.tanh($0) }
                let r1 = lstmRef.step(h0, [s[1], s[2]])
                return (r1.out, [h0] + r1.state)
            }
        }
        try run(Float.self)
        try run(Double.self)
    }

    func testResidualWrapperAddsInput() throws {
        func run<S: RNNScalar>(_: S.Type) throws {
            let n = Self.depth
            let w = weights(2 * n * n, seed: 30), b = [0.05, -0.05]
            let store = VariableStore<S>(arrays: ["rnn/basic_rnn_cell/kernel": tensor([2 * n, n], w),
                                                  "rnn/basic_rnn_cell/bias": tensor([n], b)], missing: .fail)
            let cell = ResidualWrapper<S>(try BasicRNNCell(numUnits: n, activation: .softsign, store: store))
            try check(S.self, cell: cell, initial: initial([n], seed: 31)) { x, s in
                let h = Ref.linear(x, s[0], w, b, width: n).map { Ref.act(.softsign, $0) }
                // Output is x + cell(x); the state is the inner cell's state, without the residual.
                return (zip(x, h).map(+), [h])
            }
        }
        try run(Float.self)
        try run(Double.self)
    }

    func testTimeMajorGivesSameEquations() throws {
        let n = 2, d = Self.depth
        let w = weights((d + n) * n, seed: 40), bias = [0.3, 0.1]
        let store = VariableStore<Double>(arrays: ["rnn/basic_rnn_cell/kernel": tensor([d + n, n], w),
                                                   "rnn/basic_rnn_cell/bias": tensor([n], bias)], missing: .fail)
        let cell = try BasicRNNCell(numUnits: n, activation: .elu, store: store)
        try check(Double.self, cell: cell, initial: initial([n], seed: 41), ref: { x, s in
            let h = Ref.linear(x, s[0], w, bias, width: n).map { Ref.act(.elu, $0) }
            return (h, [h])
        }, timeMajor: true)
    }

    // MARK: Dropout

    func testDropoutWithKeepOneIsIdentity() throws {
        func run<S: RNNScalar>(_: S.Type) throws {
            let spec = CellSpec.multi([.basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh), .gru(numUnits: 2, activation: .tanh)])
            let x: Tensor<S> = randomTensor([2, 4, 3], seed: 50)
            let plain = try dynamicRNN(cell: spec.makeCell(store: VariableStore<S>(missing: .initialize(seed: 9))),
                                       inputs: x, sequenceLength: [4, 2], dtype: S.dtype)
            let wrapped = CellSpec.dropout(spec, DropoutOptions(inputKeepProb: 1, outputKeepProb: 1, stateKeepProb: 1, seed: 3))
            let dropped = try dynamicRNN(cell: wrapped.makeCell(store: VariableStore<S>(missing: .initialize(seed: 9))),
                                         inputs: x, sequenceLength: [4, 2], dtype: S.dtype)
            XCTAssertEqual(plain.outputs, dropped.outputs)
            XCTAssertEqual(plain.state, dropped.state)
        }
        try run(Float.self)
        try run(Double.self)
    }

    func testDropoutRejectsKeepProbabilitiesOutsideZeroOne() throws {
        let store = VariableStore<Float>()
        let inner = try BasicRNNCell(numUnits: 2, store: store)
        for bad in [0.0, -0.5, 1.0000001, 2, .nan, .infinity] {
            for opts in [DropoutOptions(inputKeepProb: bad), DropoutOptions(outputKeepProb: bad), DropoutOptions(stateKeepProb: bad)] {
                assertThrowsCase(try DropoutWrapper(inner, options: opts), "invalidCell", "keep \(bad)") {
                    if case .invalidCell = $0 { return true }
                    return false
                }
            }
        }
        for good in [1e-9, 0.5, 1.0] {
            XCTAssertNoThrow(try DropoutWrapper(inner, options: DropoutOptions(inputKeepProb: good, outputKeepProb: good, stateKeepProb: good)))
        }
    }

    func testStateDropoutNeverDropsLSTMc() throws {
        let n = 16
        let x: Tensor<Double> = randomTensor([3, 1, 4], seed: 60)
        let initState = randomState(Nest<Int>.lstm(c: n, h: n), batch: 3, seed: 61, as: Double.self)
        let plainCell = try BasicLSTMCell<Double>(numUnits: n, store: VariableStore(missing: .initialize(seed: 2)))
        let plain = try dynamicRNN(cell: plainCell, inputs: x, initialState: initState)
        let dropCell = try DropoutWrapper<Double>(BasicLSTMCell(numUnits: n, store: VariableStore(missing: .initialize(seed: 2))),
                                                  options: DropoutOptions(stateKeepProb: 0.5, seed: 7))
        let dropped = try dynamicRNN(cell: dropCell, inputs: x, initialState: initState)
        guard case let .lstm(c0, h0) = plain.state, case let .lstm(c1, h1) = dropped.state else {
            return XCTFail("LSTM state expected")
        }
        XCTAssertEqual(c1, c0, "c is never dropped by state dropout (TF's default state filter)")
        XCTAssertEqual(dropped.outputs, plain.outputs, "state dropout does not touch the output")
        var zeros = 0, scaled = 0
        for (a, b) in zip(h1.scalars, h0.scalars) {
            if a == 0 { zeros += 1 } else {
                XCTAssertEqual(a, b / 0.5, accuracy: 1e-15, "kept values are scaled by 1/keep")
                scaled += 1
            }
        }
        XCTAssertGreaterThan(zeros, 0, "some of h is dropped")
        XCTAssertGreaterThan(scaled, 0, "some of h is kept")
    }

    // MARK: Values worked out by hand

    func testHandComputedValues() throws {
        // BasicRNN, 1 unit, kernel [[0.5], [w_h]], b = 0, x = 1, h0 = 0: tanh(0.5).
        let store = VariableStore<Double>(arrays: ["rnn/basic_rnn_cell/kernel": tensor([2, 1], [0.5, 0.0]),
                                                   "rnn/basic_rnn_cell/bias": tensor([1], [0])], missing: .fail)
        let r = try dynamicRNN(cell: BasicRNNCell(numUnits: 1, store: store), inputs: tensor([1, 1, 1], [1.0]), dtype: .float64)
        XCTAssertEqual(r.outputs.scalars[0], 0.46211715726000974, accuracy: 1e-15)

        // relu: 0.5·1 − 0.2 = 0.3; softsign: 0.5 / 1.5 = 1/3; elu at −0.5: e^−0.5 − 1.
        for (a, b, x, expected) in [(Activation.relu, -0.2, 1.0, 0.3), (.softsign, 0, 1, 1.0 / 3), (.elu, 0, -1, -0.3934693402873666),
                                    (.sigmoid, 0, 0, 0.5), (.relu, 0, -1, 0)] {
            let s = VariableStore<Float>(arrays: ["rnn/basic_rnn_cell/kernel": tensor([2, 1], [0.5, 0]),
                                                  "rnn/basic_rnn_cell/bias": tensor([1], [b])], missing: .fail)
            let r = try dynamicRNN(cell: BasicRNNCell(numUnits: 1, activation: a, store: s), inputs: tensor([1, 1, 1], [x]), dtype: .float32)
            XCTAssertEqual(Double(r.outputs.scalars[0]), expected, accuracy: 1e-7, "\(a)")
        }

        // GRU with zero kernels and zero biases: r = u = σ(0) = 1/2, c = tanh(0) = 0, h' = h/2: 0.8 → 0.4 → 0.2.
        let zeroGRU = VariableStore<Double>(arrays: [
            "rnn/gru_cell/gates/kernel": Tensor(zeros: [2, 2]), "rnn/gru_cell/gates/bias": Tensor(zeros: [2]),
            "rnn/gru_cell/candidate/kernel": Tensor(zeros: [2, 1]), "rnn/gru_cell/candidate/bias": Tensor(zeros: [1]),
        ], missing: .fail)
        let g = try dynamicRNN(cell: GRUCell(numUnits: 1, store: zeroGRU), inputs: tensor([1, 2, 1], [3.0, -7.0]),
                               initialState: .leaf(tensor([1, 1], [0.8])))
        XCTAssertEqual(g.outputs.scalars, [0.4, 0.2])

        // BasicLSTM with zero weights, forget_bias 1, c0 = 1, h0 = 0: i = o = 1/2, j = 0, f = σ(1) = 0.7310585786300049,
        // c' = σ(1), h' = tanh(σ(1))/2.
        let zeroLSTM = VariableStore<Double>(arrays: ["rnn/basic_lstm_cell/kernel": Tensor(zeros: [2, 4]),
                                                      "rnn/basic_lstm_cell/bias": Tensor(zeros: [4])], missing: .fail)
        let l = try dynamicRNN(cell: BasicLSTMCell(numUnits: 1, store: zeroLSTM), inputs: tensor([1, 1, 1], [5.0]),
                               initialState: .lstm(c: tensor([1, 1], [1.0]), h: tensor([1, 1], [0.0])))
        guard case let .lstm(c, h) = l.state else { return XCTFail("LSTM state expected") }
        XCTAssertEqual(c.scalars[0], 0.7310585786300049, accuracy: 1e-15)
        XCTAssertEqual(h.scalars[0], Foundation.tanh(0.7310585786300049) / 2, accuracy: 1e-15)
    }

    func testGRUDefaultInitializers() throws {
        let store = VariableStore<Double>(missing: .initialize(seed: 123))
        let n = 3, d = 2
        let cell = try GRUCell(numUnits: n, store: store)
        try cell.build(inputDepth: d, scope: "rnn")
        XCTAssertEqual(store.requests.map(\.name), ["rnn/gru_cell/gates/kernel", "rnn/gru_cell/gates/bias",
                                                    "rnn/gru_cell/candidate/kernel", "rnn/gru_cell/candidate/bias"])
        XCTAssertEqual(store.requests.map(\.expectedShape), [[d + n, 2 * n], [2 * n], [d + n, n], [n]])
        // The store hands back what it created (any initializer argument is ignored for a created name).
        let gb = try store.variable("rnn/gru_cell/gates/bias", shape: [2 * n], initializer: .zeros)
        let cb = try store.variable("rnn/gru_cell/candidate/bias", shape: [n], initializer: .constant(5))
        XCTAssertEqual(gb.scalars, Array(repeating: 1.0, count: 2 * n), "TF's GRU gate bias defaults to 1.0")
        XCTAssertEqual(cb.scalars, Array(repeating: 0.0, count: n), "candidate bias defaults to 0")
        // With zero inputs and zero state, the gates are σ(1) and the candidate is tanh(0) = 0, so h stays 0 —
        // but the update gate value σ(1) is visible in a frame.
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(Tensor<Double>(zeros: [1, 1, d])), sequenceLength: nil,
                                    initialState: nil, dtype: .float64, timeMajor: false, scope: "rnn")
        let frame = try XCTUnwrap(loop.step(from: loop.initialState, at: 0, record: true).frame)
        let u = try XCTUnwrap(frame.layers.first?.gates.first { $0.name == "u" })
        for v in u.value.scalars { XCTAssertEqual(v, Ref.sigmoid(1), accuracy: 1e-15) }
    }

    /// `Activation.apply` and calling an activation on one value agree with the written-out functions.
    func testActivationOnValuesAndBuffers() {
        let xs: [Double] = [-30, -2.5, -0.3, 0, 0.4, 1.7, 25]
        for a in Activation.allCases {
            for x in xs {
                XCTAssertEqual(Double(a(x)), Ref.act(a, x), accuracy: 1e-12, "\(a) \(x)")
            }
            var floats = xs.map(Float.init)
            floats.withUnsafeMutableBufferPointer { a.apply($0.baseAddress!, count: $0.count) }
            for (y, x) in zip(floats, xs) { XCTAssertEqual(Double(y), Ref.act(a, x), accuracy: 1e-6, "\(a) \(x)") }
        }
    }
}
