import XCTest
@testable import RNNEngine

/// TF's default initializers made deterministic from a seed and the variable name, and the variable store.
final class InitializerTests: XCTestCase {
    func testSameSeedAndNameGiveTheSameValues() {
        let a: Tensor<Double> = Initializer.glorotUniform.make(shape: [5, 8], seed: 42, name: "rnn/lstm_cell/kernel")
        let b: Tensor<Double> = Initializer.glorotUniform.make(shape: [5, 8], seed: 42, name: "rnn/lstm_cell/kernel")
        XCTAssertEqual(a, b)
        // The Float version is the same draw rounded.
        let f: Tensor<Float> = Initializer.glorotUniform.make(shape: [5, 8], seed: 42, name: "rnn/lstm_cell/kernel")
        XCTAssertEqual(f.scalars, a.scalars.map { Float($0) })
    }

    func testDifferentNamesOrSeedsDiffer() {
        let a: Tensor<Double> = Initializer.glorotUniform.make(shape: [4, 4], seed: 1, name: "rnn/basic_rnn_cell/kernel")
        let b: Tensor<Double> = Initializer.glorotUniform.make(shape: [4, 4], seed: 1, name: "rnn/gru_cell/gates/kernel")
        let c: Tensor<Double> = Initializer.glorotUniform.make(shape: [4, 4], seed: 2, name: "rnn/basic_rnn_cell/kernel")
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(Set(a.scalars).count, 16, "values within one tensor are distinct draws")
    }

    func testGlorotLimitRank2() {
        // fan_in 30, fan_out 90: limit sqrt(6 / 120).
        let limit = (6.0 / 120).squareRoot()
        let t: Tensor<Double> = Initializer.glorotUniform.make(shape: [30, 90], seed: 7, name: "k")
        XCTAssertTrue(t.scalars.allSatisfy { abs($0) <= limit })
        let maxAbs = t.scalars.map(abs).max()!
        XCTAssertGreaterThan(maxAbs, 0.95 * limit, "the draws fill the interval")
        let mean = t.scalars.reduce(0, +) / Double(t.count)
        XCTAssertLessThan(abs(mean), 0.05 * limit)
        XCTAssertTrue(t.scalars.contains { $0 < 0 } && t.scalars.contains { $0 > 0 })
    }

    func testGlorotLimitRank1UsesNForBothFans() {
        // TF's _compute_fans for [n]: fan_in = fan_out = n (peephole weights), limit sqrt(6 / 2n).
        let limit = (6.0 / 400).squareRoot()
        let t: Tensor<Float> = Initializer.glorotUniform.make(shape: [200], seed: 3, name: "rnn/lstm_cell/w_f_diag")
        XCTAssertTrue(t.scalars.allSatisfy { abs(Double($0)) <= limit + 1e-7 })
        XCTAssertGreaterThan(Double(t.scalars.map(abs).max()!), 0.9 * limit)
    }

    func testZerosAndConstant() {
        let z: Tensor<Float> = Initializer.zeros.make(shape: [3, 2], seed: 9, name: "b")
        XCTAssertEqual(z, Tensor(zeros: [3, 2]))
        let c: Tensor<Double> = Initializer.constant(1.0).make(shape: [4], seed: 9, name: "b")
        XCTAssertEqual(c.scalars, [1, 1, 1, 1])
    }

    func testStoreCreatesEachVariableOnceAndKeepsGivenArrays() throws {
        let given: Tensor<Double> = tensor([2], [0.5, -0.5])
        let store = VariableStore<Double>(arrays: ["rnn/basic_rnn_cell/bias": given, "rnn/typo/kernel": Tensor(zeros: [1])],
                                          missing: .initialize(seed: 5))
        let cell = try BasicRNNCell(numUnits: 2, store: store)
        try cell.build(inputDepth: 3, scope: "rnn")
        XCTAssertEqual(store.requests, [
            VariableRequest(name: "rnn/basic_rnn_cell/kernel", expectedShape: [5, 2], foundShape: nil),
            VariableRequest(name: "rnn/basic_rnn_cell/bias", expectedShape: [2], foundShape: [2]),
        ])
        XCTAssertEqual(store.unusedNames, ["rnn/typo/kernel"])
        let k1 = try store.variable("rnn/basic_rnn_cell/kernel", shape: [5, 2], initializer: .glorotUniform)
        let k2 = try store.variable("rnn/basic_rnn_cell/kernel", shape: [5, 2], initializer: .glorotUniform)
        XCTAssertEqual(k1, k2)
        XCTAssertEqual(k1, Initializer.glorotUniform.make(shape: [5, 2], seed: 5, name: "rnn/basic_rnn_cell/kernel"))
        XCTAssertEqual(try store.variable("rnn/basic_rnn_cell/bias", shape: [2], initializer: .zeros), given)
        XCTAssertEqual(store.requests.count, 2, "a name is listed once")
    }

    func testDefaultInitializersPerCell() throws {
        let store = VariableStore<Double>(missing: .initialize(seed: 8))
        let d = 3, n = 4
        try LSTMCell(numUnits: n, options: LSTMOptions(usePeepholes: true, numProj: 2), store: store).build(inputDepth: d, scope: "rnn")
        XCTAssertEqual(store.requests.map(\.name), ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias", "rnn/lstm_cell/w_f_diag",
                                                    "rnn/lstm_cell/w_i_diag", "rnn/lstm_cell/w_o_diag", "rnn/lstm_cell/projection/kernel"])
        let kernel = try store.variable("rnn/lstm_cell/kernel", shape: [d + 2, 4 * n], initializer: .zeros)
        let limit = (6.0 / Double(d + 2 + 4 * n)).squareRoot()
        XCTAssertTrue(kernel.scalars.allSatisfy { abs($0) <= limit } && kernel.scalars.contains { $0 != 0 }, "kernel: glorot uniform")
        XCTAssertEqual(try store.variable("rnn/lstm_cell/bias", shape: [4 * n], initializer: .glorotUniform), Tensor(zeros: [4 * n]),
                       "LSTM bias: zeros")
        let peep = try store.variable("rnn/lstm_cell/w_i_diag", shape: [n], initializer: .zeros)
        XCTAssertTrue(peep.scalars.allSatisfy { abs($0) <= (6.0 / Double(2 * n)).squareRoot() } && peep.scalars.contains { $0 != 0 })
        // Two stores with the same seed build identical cells; another seed differs.
        func run(_ seed: UInt64) throws -> Tensor<Double> {
            try dynamicRNN(cell: BasicLSTMCell(numUnits: 2, store: VariableStore(missing: .initialize(seed: seed))),
                           inputs: randomTensor([1, 3, 2], seed: 1), dtype: .float64).outputs
        }
        XCTAssertEqual(try run(4), try run(4))
        XCTAssertNotEqual(try run(4), try run(5))
    }

    func testSplitMix64IsReproducibleAndUniform() {
        var a = SplitMix64(seed: 99), b = SplitMix64(seed: 99)
        let xs = (0..<1000).map { _ in a.nextUniform() }
        XCTAssertEqual(xs, (0..<1000).map { _ in b.nextUniform() })
        XCTAssertTrue(xs.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(xs.reduce(0, +) / 1000, 0.5, accuracy: 0.05)
    }
}
