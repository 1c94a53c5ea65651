import Experiment
import Foundation
import RNNEngine
import XCTest

/// The onnx convention's options against values worked out by hand: one unit, one input feature, weights under
/// ONNX's names (`W`, `R`, `B`, `P`), results under ONNX's (`Y`, `Y_h`, `Y_c`).
final class ONNXConventionTests: XCTestCase {
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    func spec(_ cell: String, direction: String = "forward", extra: String = "") throws -> ExperimentSpec {
        try ExperimentSpec.parse(Data(#"{"convention": "onnx", "cell": \#(cell), "direction": "\#(direction)", "time_major": true, "batch_size": 1, "max_time": 1, "input_depth": 1\#(extra)}"#.utf8), file: "o.json")
    }

    func tensor(_ shape: [Int], _ values: [Double]) throws -> Tensor<Float> { try Tensor(shape: shape, scalars: values.map { Float($0) }) }

    /// Runs the model of `cell` on `x` with ONNX-named `weights` and `initial_h` / `initial_c`; results by name.
    func run(_ cell: String, direction: String = "forward", timeMajor: Bool = true, weights: [String: Tensor<Float>], x: Tensor<Float>,
             lengths: [Int]? = nil, h0: Tensor<Float>? = nil, c0: Tensor<Float>? = nil) throws -> [String: Tensor<Float>] {
        let model = try spec(cell, direction: direction).model
        let engine = try WeightLayouts.engineArrays(model: model, inputDepth: x.shape[2]) { weights[$0] }
        let batch = x.shape[timeMajor ? 1 : 0]
        let initial = h0 == nil && c0 == nil ? [] : try ONNXStateLayout.split(h: h0, c: c0, model: model, batch: batch, timeMajor: timeMajor)
        let r = try model.run(store: VariableStore(arrays: engine, missing: .fail), inputs: x, sequenceLength: lengths,
                              initialStates: initial, timeMajor: timeMajor)
        return Dictionary(uniqueKeysWithValues: try r.namedTensors().map { ($0.name, $0.tensor) })
    }

    func assertValues(_ t: Tensor<Float>?, _ want: [Double], shape: [Int]? = nil, _ what: String, line: UInt = #line) {
        guard let t else { return XCTFail("\(what) missing", line: line) }
        if let shape { XCTAssertEqual(t.shape, shape, what, line: line) }
        XCTAssertEqual(t.scalars.count, want.count, what, line: line)
        for (a, b) in zip(t.scalars, want) { XCTAssertEqual(Double(a), b, accuracy: 2e-6, what, line: line) }
    }

    /// One LSTM step from c₋ = 0.5: W's rows are the gates i, o, f, c.
    func lstm(_ cell: String, w: [Double] = [0.5, -0.5, 1, 2], p: [Double]? = nil, c0: Double = 0.5) throws -> (h: Double, c: Double, out: [String: Tensor<Float>]) {
        var weights = ["W": try tensor([1, 4, 1], w), "R": try tensor([1, 4, 1], [0, 0, 0, 0])]
        if let p { weights["P"] = try tensor([1, 3], p) }
        let out = try run(cell, weights: weights, x: try tensor([1, 1, 1], [1]), c0: try tensor([1, 1, 1], [c0]))
        return (Double(out["Y_h"]?.scalars.first ?? .nan), Double(out["Y_c"]?.scalars.first ?? .nan), out)
    }

    func testLSTMGateOrderIOFC() throws {
        let r = try lstm(#"{"type": "lstm", "num_units": 1}"#)
        let i = sigmoid(0.5), o = sigmoid(-0.5), f = sigmoid(1), g = tanh(2.0)
        let c = f * 0.5 + i * g
        XCTAssertEqual(r.c, c, accuracy: 1e-6)
        XCTAssertEqual(r.h, o * tanh(c), accuracy: 1e-6)
        assertValues(r.out["Y"], [o * tanh(c)], shape: [1, 1, 1, 1], "Y")
        XCTAssertEqual(r.out["Y_c"]?.shape, [1, 1, 1])
    }

    /// P's blocks are i, o, f; i and f read c₋, o reads the new c.
    func testLSTMPeepholes() throws {
        let r = try lstm(#"{"type": "lstm", "num_units": 1, "use_peepholes": true}"#, p: [1, 2, 3])
        let i = sigmoid(0.5 + 1 * 0.5), f = sigmoid(1 + 3 * 0.5), g = tanh(2.0)
        let c = f * 0.5 + i * g, o = sigmoid(-0.5 + 2 * c)
        XCTAssertEqual(r.c, c, accuracy: 1e-6)
        XCTAssertEqual(r.h, o * tanh(c), accuracy: 1e-6)
    }

    /// `clip` bounds the gates' pre-activations only: c (here above the clip) and h's input are not clipped.
    func testLSTMClipsPreActivationsOnly() throws {
        let r = try lstm(#"{"type": "lstm", "num_units": 1, "clip": 0.3}"#, c0: 3)
        let i = sigmoid(0.3), o = sigmoid(-0.3), f = sigmoid(0.3), g = tanh(0.3)
        let c = f * 3 + i * g
        XCTAssertGreaterThan(c, 1)
        XCTAssertEqual(r.c, c, accuracy: 1e-6)
        XCTAssertEqual(r.h, o * tanh(c), accuracy: 1e-6)
    }

    func testLSTMInputForget() throws {
        let r = try lstm(#"{"type": "lstm", "num_units": 1, "input_forget": 1}"#)
        let i = sigmoid(0.5), o = sigmoid(-0.5), g = tanh(2.0)
        let c = (1 - i) * 0.5 + i * g
        XCTAssertEqual(r.c, c, accuracy: 1e-6)
        XCTAssertEqual(r.h, o * tanh(c), accuracy: 1e-6)
    }

    /// f, g, h with alpha and beta handed out in order: HardSigmoid(0.25, 0.45), Affine(2, 1), Relu.
    func testLSTMActivations() throws {
        let r = try lstm(#"{"type": "lstm", "num_units": 1, "activations": ["HardSigmoid", "Affine", "Relu"], "activation_alpha": [0.25, 2], "activation_beta": [0.45, 1]}"#)
        func hs(_ x: Double) -> Double { min(max(0.25 * x + 0.45, 0), 1) }
        let i = hs(0.5), o = hs(-0.5), f = hs(1), g = 2 * 2.0 + 1
        let c = f * 0.5 + i * g
        XCTAssertEqual(r.c, c, accuracy: 1e-6)
        XCTAssertEqual(r.h, o * max(c, 0), accuracy: 1e-6)
    }

    /// One GRU step from h₋ = 1: W's rows are z, r, h; Rb_h = 0.5.
    func gru(_ lbr: Int, extra: String = "") throws -> Double {
        let weights = ["W": try tensor([1, 3, 1], [0, 0, 1]), "R": try tensor([1, 3, 1], [0, 0, 2]),
                       "B": try tensor([1, 6], [0, 0, 0, 0, 0, 0.5])]
        let out = try run(#"{"type": "gru", "num_units": 1, "linear_before_reset": \#(lbr)\#(extra)}"#, weights: weights,
                          x: try tensor([1, 1, 1], [1]), h0: try tensor([1, 1, 1], [1]))
        XCTAssertNil(out["Y_c"])
        return Double(out["Y_h"]?.scalars.first ?? .nan)
    }

    func testGRULinearBeforeReset() throws {
        let z = 0.5, r = 0.5
        XCTAssertEqual(try gru(0), (1 - z) * tanh(1 + (r * 1) * 2 + 0.5) + z * 1, accuracy: 1e-6)
        XCTAssertEqual(try gru(1), (1 - z) * tanh(1 + r * (1 * 2 + 0.5)) + z * 1, accuracy: 1e-6)
        // clip 0.4 bounds h's pre-activation (2.5), f = Softsign, g = LeakyRelu(0.5) on the clipped value.
        let zs = 0.0 / (1 + 0)
        XCTAssertEqual(try gru(0, extra: #", "clip": 0.4, "activations": ["Softsign", "LeakyRelu"], "activation_alpha": [0.5]"#),
                       (1 - zs) * 0.4 + zs * 1, accuracy: 1e-6)
    }

    /// RNN: f(clip(x·W + h·R + Wb + Rb)).
    func testRNNClipAndActivation() throws {
        let weights = ["W": try tensor([1, 1, 1], [3]), "R": try tensor([1, 1, 1], [0]), "B": try tensor([1, 2], [0.5, -1])]
        let out = try run(#"{"type": "basic_rnn", "num_units": 1, "clip": 2, "activations": ["Relu"]}"#, weights: weights, x: try tensor([1, 1, 1], [1]))
        assertValues(out["Y_h"], [2], "Y_h")
        let plain = try run(#"{"type": "basic_rnn", "num_units": 1}"#, weights: weights, x: try tensor([1, 1, 1], [1]))
        assertValues(plain["Y_h"], [tanh(2.5)], "Y_h")
    }

    /// Identity RNN cells (`Affine(1, 0)`, W = R = 1) summing each row from h₀ = 10 over x = 1, 2, 3, lengths
    /// [2, 0]: forward, reverse within the length, both; a row of length 0 ends in a zero state, not h₀.
    func testDirectionsLengthsAndEmptyRows() throws {
        let x = try tensor([3, 2, 1], [1, 1, 2, 2, 3, 3])
        let sum = #"{"type": "basic_rnn", "num_units": 1, "activations": ["Affine"], "activation_alpha": [1], "activation_beta": [0]}"#
        let one = ["W": try tensor([1, 1, 1], [1]), "R": try tensor([1, 1, 1], [1])]
        let fw = try run(sum, weights: one, x: x, lengths: [2, 0], h0: try tensor([1, 2, 1], [10, 10]))
        assertValues(fw["Y"], [11, 0, 13, 0, 0, 0], shape: [3, 1, 2, 1], "forward Y")
        assertValues(fw["Y_h"], [13, 0], shape: [1, 2, 1], "forward Y_h")
        let rev = try run(sum, direction: "reverse", weights: one, x: x, lengths: [2, 0], h0: try tensor([1, 2, 1], [10, 10]))
        assertValues(rev["Y"], [13, 0, 12, 0, 0, 0], shape: [3, 1, 2, 1], "reverse Y")
        assertValues(rev["Y_h"], [13, 0], shape: [1, 2, 1], "reverse Y_h")
        // Bidirectional: the backward direction (W = 2) starts from h₀ = 20 and reads t = 1, then t = 0 (24, then 26).
        let both = #"{"type": "basic_rnn", "num_units": 1, "activations": ["Affine", "Affine"], "activation_alpha": [1, 1], "activation_beta": [0, 0]}"#
        let two = ["W": try tensor([2, 1, 1], [1, 2]), "R": try tensor([2, 1, 1], [1, 1])]
        let bi = try run(both, direction: "bidirectional", weights: two, x: x, lengths: [2, 0], h0: try tensor([2, 2, 1], [10, 10, 20, 20]))
        // Y [T, num_directions, batch, 1]: t=0 fw (11, 0) bw (26, 0); t=1 fw (13, 0) bw (24, 0); t=2 zeros.
        assertValues(bi["Y"], [11, 0, 26, 0, 13, 0, 24, 0, 0, 0, 0, 0], shape: [3, 2, 2, 1], "bidirectional Y")
        assertValues(bi["Y_h"], [13, 0, 26, 0], shape: [2, 2, 1], "bidirectional Y_h")
        // Batch-major (layout 1): X [batch, T, 1], initial_h [batch, num_directions, 1], Y [batch, T, num_directions, 1].
        let xb = try tensor([2, 3, 1], [1, 2, 3, 1, 2, 3])
        let lb = try run(both, direction: "bidirectional", timeMajor: false, weights: two, x: xb, lengths: [2, 0],
                         h0: try tensor([2, 2, 1], [10, 20, 10, 20]))
        assertValues(lb["Y"], [11, 26, 13, 24, 0, 0, 0, 0, 0, 0, 0, 0], shape: [2, 3, 2, 1], "layout 1 Y")
        assertValues(lb["Y_h"], [13, 26, 0, 0], shape: [2, 2, 1], "layout 1 Y_h")
    }

    /// Without B the biases are zero; P needs `use_peepholes`; shapes are ONNX's.
    func testWeightsUnderONNXNames() throws {
        let model = try spec(#"{"type": "lstm", "num_units": 2}"#, direction: "bidirectional").model
        let w = try tensor([2, 8, 3], Array(repeating: 0.1, count: 48)), r = try tensor([2, 8, 2], Array(repeating: 0.1, count: 32))
        XCTAssertNoThrow(try WeightLayouts.engineArrays(model: model, inputDepth: 3) { ["W": w, "R": r][$0] })
        XCTAssertThrowsError(try WeightLayouts.engineArrays(model: model, inputDepth: 3) { ["W": w, "R": r, "P": try self.tensor([2, 6], Array(repeating: 0, count: 12))][$0] }) { e in
            XCTAssertTrue("\(e)".contains("use_peepholes"), "\(e)")
        }
        XCTAssertThrowsError(try WeightLayouts.engineArrays(model: model, inputDepth: 3) { ["W": w, "R": try self.tensor([1, 8, 2], Array(repeating: 0, count: 16))][$0] }) { e in
            XCTAssertTrue("\(e)".contains("R has shape [1, 8, 2], expected [2, 8, 2]"), "\(e)")
        }
        // Written back under the same names, both directions stacked.
        let engine = try WeightLayouts.engineArrays(model: model, inputDepth: 3) { ["W": w, "R": r][$0] }
        let back = Dictionary(uniqueKeysWithValues: try WeightLayouts.frameworkArrays(model: model, inputDepth: 3, engine: engine).map { ($0.name, $0.tensor) })
        XCTAssertEqual(back["W"], w)
        XCTAssertEqual(back["R"], r)
        XCTAssertEqual(back["B"]?.shape, [2, 16])
    }

    /// Each new field is checked, named by file and field, in one line.
    func testFieldsAreChecked() {
        let lstm = #"{"type": "lstm", "num_units": 2}"#
        let cases: [(() throws -> ExperimentSpec, String)] = [
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "activations": ["Sigmoid", "Tanh", "Tanh"]}"#, direction: "bidirectional") },
             "o.json: cell.activations: has 3 functions, expected 6: 3 per direction (ONNX LSTM) for 2 directions (\"direction\": \"bidirectional\")"),
            ({ try self.spec(#"{"type": "gru", "num_units": 2, "activations": ["Sigmoid"]}"#) },
             "o.json: cell.activations: has 1 functions, expected 2: 2 per direction (ONNX GRU) for 1 direction (\"direction\": \"forward\")"),
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "activations": ["Sigmoid", "Swish", "Tanh"]}"#) },
             "o.json: cell.activations[1]: unknown activation \"Swish\""),
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "activations": []}"#) }, "o.json: cell.activations: is empty"),
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "activations": "Tanh"}"#) }, "o.json: cell.activations: expected a list of strings"),
            ({ try self.spec(#"{"type": "rnn", "num_units": 2, "activation_alpha": [1, "x"]}"#) }, "o.json: cell.type: unknown cell type \"rnn\""),
            ({ try self.spec(#"{"type": "basic_rnn", "num_units": 2, "activation_alpha": [1, "x"]}"#) }, "o.json: cell.activation_alpha[1]: expected a finite number"),
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "clip": 0}"#) }, "o.json: cell.clip: must be a positive number, got 0.0"),
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "clip": "big"}"#) }, "o.json: cell.clip: expected a number"),
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "input_forget": 2}"#) }, "o.json: cell.input_forget: must be at most 1, got 2"),
            ({ try self.spec(#"{"type": "gru", "num_units": 2, "linear_before_reset": true}"#) }, "o.json: cell.linear_before_reset: expected an integer"),
            ({ try self.spec(#"{"type": "gru", "num_units": 2, "input_forget": 1}"#) }, "o.json: cell.input_forget: unknown field"),
            ({ try self.spec(#"{"type": "lstm", "num_units": 2, "activation": "relu"}"#) }, "o.json: cell.activation: unknown field (did you mean \"activations\"?)"),
            ({ try self.spec(#"{"type": "basic_lstm", "num_units": 2}"#) }, "o.json: cell.type: unknown cell type \"basic_lstm\""),
            ({ try self.spec(lstm, direction: "sideways") }, "o.json: direction: unknown direction \"sideways\"; one of forward, reverse, bidirectional"),
            ({ try self.spec(lstm, extra: #", "bidirectional": true"#) }, "o.json: bidirectional: not an onnx field"),
            ({ try self.spec(lstm, extra: #", "loss": "l.npz""#) }, "o.json: loss: gradients under the onnx convention are not supported yet"),
            ({ try self.spec(lstm, extra: #", "dtype": "float64""#) }, "o.json: dtype: onnxruntime has no float64 kernel"),
            ({ try self.spec(#"{"type": "multi", "cells": [\#(lstm), \#(lstm)]}"#) }, "o.json: cell: convention onnx: one ONNX LSTM, GRU or RNN node is one layer"),
            ({ try ExperimentSpec.parse(Data(#"{"cell": {"type": "lstm", "num_units": 2}, "direction": "reverse", "batch_size": 1, "max_time": 1, "input_depth": 1}"#.utf8), file: "t.json") },
             "t.json: direction: only under \"convention\": \"onnx\""),
        ]
        for (make, prefix) in cases {
            XCTAssertThrowsError(try make(), prefix) { e in
                XCTAssertTrue("\(e)".hasPrefix(prefix), "\(e)\n  expected: \(prefix)")
                XCTAssertFalse("\(e)".contains("\n"), "\(e)")
            }
        }
    }

    /// Lengths outside 0...max_time, a GRU's initial_c and a misshapen initial_h are refused at run time.
    func testRunTimeChecks() throws {
        let sum = #"{"type": "basic_rnn", "num_units": 1}"#
        let one = ["W": try tensor([1, 1, 1], [1]), "R": try tensor([1, 1, 1], [1])]
        let x = try tensor([3, 2, 1], [1, 1, 2, 2, 3, 3])
        for bad in [[4, 1], [-1, 2]] {
            XCTAssertThrowsError(try run(sum, weights: one, x: x, lengths: bad)) { e in
                XCTAssertTrue("\(e)".contains("onnxruntime's sequence_lens must lie in 0...3"), "\(e)")
            }
        }
        XCTAssertThrowsError(try run(sum, weights: one, x: x, c0: try tensor([1, 2, 1], [0, 0]))) { e in
            XCTAssertTrue("\(e)".contains("initial_c: only an LSTM has a cell state"), "\(e)")
        }
        XCTAssertThrowsError(try run(sum, weights: one, x: x, h0: try tensor([2, 1, 1], [0, 0]))) { e in
            XCTAssertTrue("\(e)".contains("initial_h: expected shape [1, 2, 1] ([num_directions, batch, hidden_size]), got [2, 1, 1]"), "\(e)")
        }
    }

    /// Models convert between onnx and the others kind by kind (each descriptor's `converted`): ONNX's LSTM is
    /// TF's `LSTMCell` without forget_bias (peepholes kept), `linear_before_reset` 1 the reset-after GRU and 0 TF's
    /// `GRUCell`, an activations list of one function in the defaults' Tanh slots that activation; what has no
    /// exact form is refused in one line, and the other conventions still never run ONNX's cells unconverted.
    func testModelsConvertKindByKindAndRefuseWhatHasNoForm() throws {
        func message(_ model: RNNModel, _ c: Convention) -> String {
            do { _ = try WeightLayouts.convertedModel(model, to: c); return "" } catch { return "\(error)" }
        }
        let onnx = try spec(#"{"type": "lstm", "num_units": 2, "use_peepholes": true}"#).model
        let tf = try WeightLayouts.convertedModel(onnx, to: .tf)
        XCTAssertEqual(tf.cell, .layer(CellLayer(kind: .lstm, numUnits: 2, options: CellOptions(forgetBias: 0, usePeepholes: true))))
        XCTAssertEqual(try WeightLayouts.convertedModel(tf, to: .onnx), onnx)
        XCTAssertEqual(message(onnx, .keras), "cannot convert the onnx model to the keras convention because Keras' LSTM has no peepholes (use_peepholes)")
        let lbr1 = try spec(#"{"type": "gru", "num_units": 2, "linear_before_reset": 1}"#).model
        XCTAssertEqual(try WeightLayouts.convertedModel(lbr1, to: .torch).cell.unwrappedLayer?.kind, .gruResetAfter)
        let lbr0 = try spec(#"{"type": "gru", "num_units": 2, "activations": ["Sigmoid", "Relu"]}"#).model
        XCTAssertEqual(try WeightLayouts.convertedModel(lbr0, to: .keras).cell, .layer(CellLayer(kind: .gru, numUnits: 2, activation: .relu)))
        XCTAssertEqual(message(lbr0, .torch), "cannot convert the onnx model to the torch convention because linear_before_reset = 0 is GRUCell: PyTorch's GRU always applies the reset gate after the recurrent product: it needs \"reset_after\": true")
        let relu = RNNModel(cell: .basicRNN(numUnits: 3, activation: .relu), convention: .torch)
        XCTAssertEqual(try WeightLayouts.convertedModel(relu, to: .onnx).cell.unwrappedLayer?.options.activations.map(\.description), ["Relu"])
        let mixed = try spec(#"{"type": "lstm", "num_units": 2, "activations": ["Sigmoid", "Tanh", "Relu"]}"#).model
        XCTAssertEqual(message(mixed, .tf), "cannot convert the onnx model to the tf convention because the activations [Sigmoid, Tanh, Relu] have no form in TensorFlow (dynamic_rnn): its cells run [Sigmoid, A, A] with A one of tanh, relu, sigmoid, softsign, elu")
        let clipped = RNNModel(cell: .lstm(numUnits: 3, options: LSTMOptions(cellClip: 2)))
        XCTAssertEqual(message(clipped, .onnx), "cannot convert the tf model to the onnx convention because ONNX's LSTM has no cell_clip (got 2.0; its clip bounds the gates' pre-activations, not the cell state)")
        let lstm = CellSpec.lstm(numUnits: 3, options: LSTMOptions())
        XCTAssertTrue(message(RNNModel(cell: .multi([lstm, lstm])), .onnx).hasSuffix("ONNX runs one LSTM, GRU or RNN node per layer: a stack of 2 layers is 2 nodes, not one onnx experiment"))
        XCTAssertTrue(message(RNNModel(cell: lstm, cellBackward: .lstm(numUnits: 2, options: LSTMOptions()), bidirectional: true), .onnx)
            .contains("one ONNX node runs both directions with the same operator, hidden_size and attributes"))
        XCTAssertTrue(message(RNNModel(cell: .residual(lstm)), .onnx).hasSuffix("has no ResidualWrapper layer"), message(RNNModel(cell: .residual(lstm)), .onnx))
        var reverse = onnx
        reverse.reverse = true
        XCTAssertTrue(message(reverse, .tf).hasSuffix("a lone reverse pass is ONNX's direction \"reverse\"; TensorFlow (dynamic_rnn) has none here"), message(reverse, .tf))
        var underTF = onnx
        underTF.convention = .tf
        XCTAssertThrowsError(try underTF.validate()) { e in XCTAssertEqual("\(e)", "convention tf: ONNX LSTM runs only under the onnx convention (convert the model to run it under tf)") }
        var lstmUnderONNX = tf
        lstmUnderONNX.convention = .onnx
        XCTAssertThrowsError(try lstmUnderONNX.validate()) { e in XCTAssertEqual("\(e)", "convention onnx: the onnx convention runs its own cells (\"type\": \"lstm\", \"gru\" or \"basic_rnn\" under \"convention\": \"onnx\"), not tf.nn.rnn_cell.LSTMCell") }
    }

    /// An onnx experiment writes `direction` and one `activations` list for both directions, and reads back the same.
    func testExperimentFileRoundTrip() throws {
        let s = try spec(#"{"type": "gru", "num_units": 2, "clip": 0.5, "linear_before_reset": 1, "activations": ["HardSigmoid", "Tanh", "Sigmoid", "LeakyRelu"], "activation_alpha": [0.3, 0.2], "activation_beta": [0.6]}"#,
                         direction: "bidirectional")
        XCTAssertEqual(s.cell.unwrappedLayer?.activationList.map(\.description), ["HardSigmoid(0.3, 0.6)", "Tanh"])
        XCTAssertEqual(s.cellBackward?.unwrappedLayer?.activationList.map(\.description), ["Sigmoid", "LeakyRelu(0.2)"])
        let text = String(decoding: try s.jsonData(), as: UTF8.self)
        XCTAssertTrue(text.contains("\"direction\" : \"bidirectional\""), text)
        XCTAssertFalse(text.contains("cell_bw"), text)
        let back = try ExperimentSpec.parse(try s.jsonData(), file: "back.json")
        XCTAssertEqual(back.model, s.model)
        let reverse = try spec(#"{"type": "lstm", "num_units": 2}"#, direction: "reverse")
        XCTAssertEqual(try ExperimentSpec.parse(try reverse.jsonData(), file: "r.json").model, reverse.model)
        XCTAssertEqual(reverse.model.directions, [.backward])
    }
}
