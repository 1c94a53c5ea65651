import Experiment
import Foundation
import RNNEngine
import XCTest

/// Keras and PyTorch weight layouts: exact conversion to the engine's variables and between conventions,
/// the refusals where the math does not allow it, and messages naming the framework's weights.
final class WeightLayoutTests: XCTestCase {
    typealias Arrays = [String: Tensor<Float>]

    static func caseURL(_ name: String) -> URL {
        FrameworkConformanceTests.sharedDirectory.appendingPathComponent(name + ".json")
    }

    /// A case's float32 arrays (weights, inputs, expected results) as tensors.
    static func arrays(_ name: String) throws -> Arrays {
        var out: Arrays = [:]
        for (k, a) in try Npz.read(caseURL(name).deletingPathExtension().appendingPathExtension("npz")) where a.dtype == .float32 {
            out[k] = try a.tensor(Float.self, name: k)
        }
        return out
    }

    static func weightNames(_ arrays: Arrays) -> [String] {
        arrays.keys.filter { !$0.hasPrefix("expected/") && !$0.hasPrefix("inputs") && !$0.hasPrefix("initial_state") }.sorted()
    }

    /// Keras' arrays → engine → Keras' arrays gives back exactly what Keras saved; so does PyTorch's GRU (its two
    /// biases stay apart). PyTorch's LSTM keeps its weights exactly and its biases as their sum.
    func testFrameworkArraysSurviveTheEngineExactly() throws {
        for name in ["keras_lstm_masked", "keras_gru_reset_after", "keras_gru_reset_before", "keras_simple_rnn_relu",
                     "keras_stack_initial_state", "keras_bidirectional_lstm", "torch_gru_packed", "torch_lstm_packed",
                     "torch_lstm2_bidirectional", "torch_lstm_proj", "torch_rnn_relu_unpacked"] {
            let spec = try ExperimentLoader.readSpec(Self.caseURL(name))
            let given = try Self.arrays(name)
            let depth = given["inputs"]?.shape.last ?? 0
            let engine = try WeightLayouts.engineArrays(model: spec.model, inputDepth: depth) { given[$0] }
            let back = Dictionary(uniqueKeysWithValues: try WeightLayouts.frameworkArrays(model: spec.model, inputDepth: depth, engine: engine).map { ($0.name, $0.tensor) })
            XCTAssertEqual(back.keys.sorted(), Self.weightNames(given), name)
            for (k, t) in back {
                if name.hasPrefix("torch_") && !name.contains("gru") && k.hasPrefix("bias_") {
                    let sum = zip(given[k.replacingOccurrences(of: "bias_hh", with: "bias_ih")]!.scalars,
                                  given[k.replacingOccurrences(of: "bias_ih", with: "bias_hh")]!.scalars).map { $0 + $1 }
                    XCTAssertEqual(t.scalars, k.hasPrefix("bias_ih") ? sum : Array(repeating: 0, count: sum.count), "\(name) \(k)")
                } else {
                    XCTAssertEqual(t, given[k], "\(name) \(k)")
                }
            }
        }
    }

    /// The engine's names for a converted Keras LSTM: TF's LSTMCell kernel `[depth + units, 4·units]`, gates i, j, f, o.
    func testKerasLSTMBecomesTFsKernel() throws {
        let given = try Self.arrays("keras_lstm_masked")
        let spec = try ExperimentLoader.readSpec(Self.caseURL("keras_lstm_masked"))
        let engine = try WeightLayouts.engineArrays(model: spec.model, inputDepth: 3) { given[$0] }
        let k = try XCTUnwrap(engine["rnn/lstm_cell/kernel"]), kernel = try XCTUnwrap(given["rnn/lstm_cell/kernel"])
        let recurrent = try XCTUnwrap(given["rnn/lstm_cell/recurrent_kernel"])
        XCTAssertEqual(k.shape, [7, 16])
        // TF's column block j (1) is Keras' c (2); TF's f (2) is Keras' f (1). Row 1 is an input row, row 5 a state row.
        XCTAssertEqual(k[1, 4 * 1 + 3], kernel[1, 4 * 2 + 3])
        XCTAssertEqual(k[1, 4 * 2 + 0], kernel[1, 4 * 1 + 0])
        XCTAssertEqual(k[5, 4 * 3 + 2], recurrent[2, 4 * 3 + 2])
    }

    private func randomEngineArrays(_ model: RNNModel, depth: Int, seed: UInt64) throws -> Arrays {
        let store = VariableStore<Float>(missing: .initialize(seed: seed))
        let x = try Tensor<Float>(shape: [1, 1, depth], scalars: Array(repeating: 0.5, count: depth))
        _ = try model.run(store: store, inputs: x)
        // Biases start at zero or one: make every one random so the conversions show.
        var out: Arrays = [:]
        var rng = SplitMix64(seed: seed)
        for r in store.requests {
            let t = try store.variable(r.name, shape: r.expectedShape, initializer: .zeros)
            out[r.name] = r.name.hasSuffix("bias") ? try Tensor(shape: t.shape, scalars: t.scalars.map { _ in Float(rng.nextUniform() - 0.5) }) : t
        }
        return out
    }

    private func run(_ model: RNNModel, _ arrays: Arrays, _ x: Tensor<Float>, lengths: [Int]?) throws -> ModelResult<Float> {
        try model.run(store: VariableStore(arrays: arrays, missing: .fail), inputs: x, sequenceLength: lengths)
    }

    private func convert(_ model: RNNModel, _ arrays: Arrays, depth: Int, to c: Convention) throws -> (RNNModel, Arrays) {
        let r = try WeightLayouts.convert(model: model, inputDepth: depth, lookup: { arrays[$0] }, to: c)
        return (r.model, Dictionary(uniqueKeysWithValues: r.arrays.map { ($0.name, $0.tensor) }))
    }

    /// TF → Keras → TF gives back the same arrays bit for bit (forget_bias 0, TF 1's GRU, a basic RNN, a reset-after GRU).
    func testTFToKerasToTFIsExact() throws {
        let model = RNNModel(cell: .multi([.lstm(numUnits: 4, options: LSTMOptions(forgetBias: 0)), .gru(numUnits: 3, activation: .tanh),
                                           .basicRNN(numUnits: 2, activation: .relu), .gruResetAfter(numUnits: 3, activation: .tanh)]))
        let tf = try randomEngineArrays(model, depth: 3, seed: 7)
        let (keras, kerasArrays) = try convert(model, tf, depth: 3, to: .keras)
        XCTAssertEqual(kerasArrays["rnn_0/lstm_cell/kernel"]?.shape, [3, 16])
        XCTAssertEqual(kerasArrays["rnn_1/gru_cell/bias"]?.shape, [9])
        XCTAssertEqual(kerasArrays["rnn_2/simple_rnn_cell/recurrent_kernel"]?.shape, [2, 2])
        XCTAssertEqual(kerasArrays["rnn_3/gru_cell/bias"]?.shape, [2, 9])
        let (back, backArrays) = try convert(keras, kerasArrays, depth: 3, to: .tf)
        XCTAssertEqual(back.cell, model.cell)
        XCTAssertEqual(backArrays, tf)
    }

    /// TF → PyTorch → TF is exact too (PyTorch's bias_hh is written as zeros, so reading back adds nothing).
    func testTFToTorchToTFIsExact() throws {
        let lstm = CellSpec.lstm(numUnits: 5, options: LSTMOptions(numProj: 2, forgetBias: 0))
        for model in [RNNModel(cell: .multi([lstm, lstm])), RNNModel(cell: .gruResetAfter(numUnits: 4, activation: .tanh), bidirectional: true),
                      RNNModel(cell: .basicRNN(numUnits: 3, activation: .tanh))] {
            let tf = try randomEngineArrays(model, depth: 3, seed: 8)
            let (torch, torchArrays) = try convert(model, tf, depth: 3, to: .torch)
            XCTAssertFalse(torchArrays.isEmpty)
            let (back, backArrays) = try convert(torch, torchArrays, depth: 3, to: .tf)
            XCTAssertEqual(back.cell, model.cell)
            XCTAssertEqual(backArrays, tf, model.cell.summary)
        }
    }

    /// TF's forget_bias has no Keras or PyTorch counterpart: it moves into the forget gate's bias, the numbers stay
    /// (within one rounding per bias), and TF → Keras gives the same full-length results.
    func testForgetBiasFoldsIntoTheBias() throws {
        let model = RNNModel(cell: .basicLSTM(numUnits: 4, forgetBias: 1, activation: .tanh))
        let tf = try randomEngineArrays(model, depth: 3, seed: 9)
        let (keras, kerasArrays) = try convert(model, tf, depth: 3, to: .keras)
        XCTAssertEqual(keras.cell, .lstm(numUnits: 4, options: LSTMOptions(forgetBias: 0)))
        let tfBias = try XCTUnwrap(tf["rnn/basic_lstm_cell/bias"]), kerasBias = try XCTUnwrap(kerasArrays["rnn/lstm_cell/bias"])
        for j in 0..<4 {
            XCTAssertEqual(kerasBias.scalars[4 + j], tfBias.scalars[8 + j] + 1)   // Keras f (block 1) = TF f (block 2) + 1
            XCTAssertEqual(kerasBias.scalars[8 + j], tfBias.scalars[4 + j])       // Keras c = TF j
        }
        let x: Tensor<Float> = try Tensor(shape: [2, 5, 3], scalars: (0..<30).map { Float(($0 * 7) % 11) / 11 - 0.5 })
        let kerasRun = try keras.run(store: VariableStore(arrays: try WeightLayouts.engineArrays(model: keras, inputDepth: 3) { kerasArrays[$0] }, missing: .fail),
                                           inputs: x, sequenceLength: [5, 2])
        let tfRun = try run(model, tf, x, lengths: [5, 2])
        XCTAssertLessThan(kerasRun.states[0].flattened[1].maxAbsDifference(tfRun.states[0].flattened[1]), 1e-6)
        for t in 0..<5 {
            let a = outputAt(kerasRun.outputs[0], 0, t), b = outputAt(tfRun.outputs[0], 0, t)
            for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-6) }
        }
        // Row 1 is padded after step 2: Keras repeats its last output where TF writes zeros.
        XCTAssertEqual(outputAt(tfRun.outputs[0], 1, 4), [0, 0, 0, 0])
        XCTAssertEqual(outputAt(kerasRun.outputs[0], 1, 4), outputAt(kerasRun.outputs[0], 1, 1))
    }

    /// PyTorch's own case converted to TF runs under the tf convention to PyTorch's numbers (packed LSTM: the
    /// same zeros on padded steps and the same final state); Keras' case converted to TF agrees on the full-length
    /// row and differs on the padded ones.
    func testConvertedFrameworkCasesRunTheSameUnderTF() throws {
        for name in ["torch_lstm_packed", "keras_lstm_masked"] {
            let spec = try ExperimentLoader.readSpec(Self.caseURL(name))
            let given = try Self.arrays(name)
            let x = try XCTUnwrap(given["inputs"])
            let (tfModel, tfArrays) = try convert(spec.model, given, depth: x.shape[2], to: .tf)
            let r = try run(tfModel, tfArrays, x, lengths: spec.sequenceLength)
            let expected = try XCTUnwrap(given[name.hasPrefix("torch") ? "expected/output" : "expected/outputs"])
            let lengths = try XCTUnwrap(spec.sequenceLength)
            var differs = false
            for b in 0..<x.shape[0] {
                for t in 0..<x.shape[1] {
                    let got = outputAt(r.outputs[0], b, t), want = outputAt(expected, b, t)
                    let close = zip(got, want).allSatisfy { abs($0 - $1) <= 1e-5 + 1e-5 * abs($1) }
                    if t < lengths[b] || name.hasPrefix("torch") { XCTAssertTrue(close, "\(name) row \(b) t \(t): \(got) vs \(want)") } else if !close { differs = true }
                }
            }
            XCTAssertEqual(differs, name.hasPrefix("keras"), name)
        }
    }

    func testWhatCannotBeConvertedSaysWhy() throws {
        func message(_ model: RNNModel, _ c: Convention) -> String {
            do { _ = try WeightLayouts.convertedModel(model, to: c); return "" } catch { return "\(error)" }
        }
        let gru = message(RNNModel(cell: .gru(numUnits: 3, activation: .tanh)), .torch)
        XCTAssertTrue(gru.hasPrefix("cannot convert the tf model to the torch convention because PyTorch's GRU always applies the reset gate after"), gru)
        XCTAssertTrue(message(RNNModel(cell: .lstm(numUnits: 3, options: LSTMOptions(usePeepholes: true))), .keras).contains("because Keras' LSTM has no peepholes"))
        let lstm = CellSpec.lstm(numUnits: 3, options: LSTMOptions(forgetBias: 0))
        let stack = message(RNNModel(cell: .multi([lstm, lstm]), bidirectional: true), .torch)
        XCTAssertTrue(stack.contains("a bidirectional stack composes differently"), stack)
        XCTAssertEqual(message(RNNModel(cell: .multi([lstm, lstm]), bidirectional: true, convention: .torch), .torch), "")
        XCTAssertEqual(message(RNNModel(cell: lstm, bidirectional: true, convention: .torch), .tf), "")
        XCTAssertTrue(message(RNNModel(cell: .gruResetAfter(numUnits: 2, activation: .tanh), convention: .torch), .keras).isEmpty)
    }

    func testDetectsTheFrameworkFromTheNames() throws {
        XCTAssertEqual(WeightLayouts.detect(names: ["weight_ih_l0", "bias_hh_l0"]), .torch)
        XCTAssertEqual(WeightLayouts.detect(names: ["rnn/lstm_cell/kernel", "rnn/lstm_cell/recurrent_kernel"]), .keras)
        XCTAssertEqual(WeightLayouts.detect(names: ["bidirectional/forward_rnn/lstm_cell/kernel"]), .keras)
        XCTAssertEqual(WeightLayouts.detect(names: ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"]), .tf)
        XCTAssertEqual(WeightLayouts.detect(names: ["rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel"]), .tf)
        for name in ["keras_stack_initial_state", "torch_lstm_proj"] {
            let spec = try ExperimentLoader.readSpec(Self.caseURL(name))
            XCTAssertEqual(WeightLayouts.detect(names: Self.weightNames(try Self.arrays(name))), spec.convention, name)
        }
    }

    /// A missing or wrongly shaped framework weight is named, with the shape the framework would have given it.
    func testMissingAndWrongWeightsAreNamedInTheFrameworksTerms() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-layouts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, drop, replace, expect) in [
            ("keras_lstm_masked", "rnn/lstm_cell/recurrent_kernel", nil as (String, [Int])?, "weight rnn/lstm_cell/recurrent_kernel is missing (expected shape [4, 16]) (Keras names)"),
            ("torch_lstm_proj", nil, ("weight_hr_l1", [6, 3]), "weight weight_hr_l1 has shape [6, 3], expected [3, 6]"),
            ("keras_gru_reset_after", nil, ("rnn/gru_cell/bias", [15]), "weight rnn/gru_cell/bias has shape [15], expected [2, 15]"),
        ] {
            var arrays = try Npz.read(Self.caseURL(name).deletingPathExtension().appendingPathExtension("npz"))
            if let drop { arrays[drop] = nil }
            if let (key, shape) = replace {
                arrays[key] = try NumpyArray(float32: Array(repeating: 0, count: shape.reduce(1, *)), shape: shape)
            }
            try Npz.write(arrays.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: dir.appendingPathComponent(name + ".npz"))
            try FileManager.default.copyItem(at: Self.caseURL(name), to: dir.appendingPathComponent(name + ".json"))
            XCTAssertThrowsError(try ExperimentLoader.runFile(dir.appendingPathComponent(name + ".json"), displayName: name + ".json")) { e in
                XCTAssertTrue("\(e)".hasPrefix("\(name).json: weights: \(name).npz: "), "\(e)")
                XCTAssertTrue("\(e)".contains(expect), "\(e)")
            }
        }
    }

    func testExperimentFilesKeepConventionAndResetAfter() throws {
        let json = #"{"convention": "keras", "cell": {"type": "multi", "cells": [{"type": "gru", "num_units": 3}, {"type": "gru", "num_units": 2, "reset_after": false}, {"type": "lstm", "num_units": 2}]}, "batch_size": 2, "max_time": 3, "input_depth": 2}"#
        let spec = try ExperimentSpec.parse(Data(json.utf8), file: "k.json")
        XCTAssertEqual(spec.convention, .keras)
        XCTAssertEqual(spec.cell, .multi([.gruResetAfter(numUnits: 3, activation: .tanh), .gru(numUnits: 2, activation: .tanh),
                                          .lstm(numUnits: 2, options: LSTMOptions(forgetBias: 0))]))
        let again = try ExperimentSpec.parse(try spec.jsonData(), file: "k.json")
        XCTAssertEqual(again, spec)
        let text = String(decoding: try spec.jsonData(), as: UTF8.self)
        XCTAssertTrue(text.contains(#""reset_after" : false"#) && text.contains(#""convention" : "keras""#), text)
        // tf: a plain gru is TF 1's; reset_after true asks for TF 2's GRUCell(reset_after=True).
        let tf = try ExperimentSpec.parse(Data(#"{"cell": {"type": "gru", "num_units": 3, "reset_after": true}, "batch_size": 1, "max_time": 1, "input_depth": 1}"#.utf8), file: "t.json")
        XCTAssertEqual(tf.cell, .gruResetAfter(numUnits: 3, activation: .tanh))
        for (bad, want) in [
            (#"{"convention": "jax", "cell": {"type": "gru", "num_units": 3}}"#, #"t.json: convention: unknown convention "jax"; one of tf, keras, torch"#),
            (#"{"convention": "torch", "cell": {"type": "gru", "num_units": 3, "reset_after": false}}"#, "t.json: cell: convention torch: PyTorch's GRU always applies"),
            (#"{"convention": "keras", "cell": {"type": "lstm", "num_units": 3, "forget_bias": 1}}"#, "t.json: cell: convention keras: Keras' LSTM has no forget_bias term"),
        ] {
            XCTAssertThrowsError(try ExperimentSpec.parse(Data(bad.utf8), file: "t.json")) { e in
                XCTAssertTrue("\(e)".hasPrefix(want), "\(e)")
            }
        }
    }
}

extension WeightLayoutTests {
    /// Opening Keras' or PyTorch's weights over a TF experiment: the framework is recognised, the convention
    /// switches, and the run gives that framework's numbers.
    func testOpeningFrameworkWeightsSwitchesTheConvention() throws {
        for name in ["keras_lstm_masked", "torch_lstm_packed"] {
            let url = Self.caseURL(name)
            var spec = try ExperimentLoader.readSpec(url)
            spec.convention = .tf
            spec.cell = .lstm(numUnits: 4, options: LSTMOptions())   // a TF LSTM (forget_bias 1) with seeded weights
            spec.weights = nil
            let tf = try ExperimentLoader.load(spec, file: "e.json", baseDirectory: url.deletingLastPathComponent(), as: Float.self)
            let npz = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let (loaded, convention) = try tf.withWeights(npz.filter { !$0.key.hasPrefix("expected/") }, file: name + ".npz")
            XCTAssertEqual(convention, name.hasPrefix("keras") ? .keras : .torch)
            XCTAssertEqual(loaded.spec.cell, .lstm(numUnits: 4, options: LSTMOptions(forgetBias: 0)))
            let problems = ConformanceCases.compare(produced: try loaded.run().namedArrays(), expected: npz)
            XCTAssertTrue(problems.isEmpty, "\(name): \(problems)")
        }
        let url = Self.caseURL("torch_gru_packed")
        var spec = try ExperimentLoader.readSpec(url)
        spec.convention = .tf
        spec.cell = .gru(numUnits: 5, activation: .tanh)
        let tf = try ExperimentLoader.load(spec, file: "e.json", baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        XCTAssertThrowsError(try tf.withWeights(try Npz.read(url.deletingPathExtension().appendingPathExtension("npz")), file: "g.npz")) { e in
            XCTAssertTrue("\(e)".hasPrefix("g.npz: weights: these are PyTorch weights, but cannot convert the tf model to the torch convention because PyTorch's GRU"), "\(e)")
        }
    }
}

/// Output `[batch, time, width]` at `(b, t)`.
func outputAt(_ y: Tensor<Float>, _ b: Int, _ t: Int) -> [Float] {
    (0..<y.shape[2]).map { y[b, t, $0] }
}
