import Experiment
import Foundation
import RNNEngine
import XCTest

/// The "loss" field under the keras and torch conventions: the loss is defined on the framework's own results, so
/// built-in losses are the cotangents of those results (PyTorch's `output`, `h_n`, `c_n`; Keras' repeated masked
/// outputs), and cotangent files name them.
final class ConventionLossTests: XCTestCase {
    private func torchSpec(_ loss: String, bidirectional: Bool = true) throws -> ExperimentSpec {
        try ExperimentSpec.parse(Data(#"{"convention": "torch", "bidirectional": \#(bidirectional), "cell": {"type": "multi", "cells": [{"type": "lstm", "num_units": 3}, {"type": "lstm", "num_units": 3}]}, "batch_size": 3, "max_time": 5, "input_depth": 2, "sequence_length": [5, 2, 3], "dtype": "float64", "loss": \#(loss)}"#.utf8), file: "t.json")
    }

    private func kerasSpec(_ loss: String) throws -> ExperimentSpec {
        try ExperimentSpec.parse(Data(#"{"convention": "keras", "cell": {"type": "gru", "num_units": 3}, "batch_size": 3, "max_time": 5, "input_depth": 2, "sequence_length": [5, 2, 0], "dtype": "float64", "loss": \#(loss)}"#.utf8), file: "k.json")
    }

    /// The built-in loss's gradients, and those of the cotangent arrays it stands for.
    private func both(_ spec: ExperimentSpec, _ arrays: [String: Tensor<Double>]) throws -> (ExperimentGradients<Double>, ExperimentGradients<Double>) {
        let builtIn = try ExperimentLoader.load(spec, file: "e.json", baseDirectory: URL(fileURLWithPath: "/"), as: Double.self)
        var file = spec
        file.loss = .file("cotangents.npz")
        var explicit = LoadedExperiment(spec: file, file: "e.json", inputs: builtIn.inputs, store: builtIn.store)
        explicit.lossArrays = arrays
        return (try builtIn.gradients(), try explicit.gradients())
    }

    func testTorchBuiltInLossesAreCotangentsOfPyTorchsResults() throws {
        let output = Tensor<Double>(zeros: [3, 5, 6])
        var unit = output
        unit[1, 1, 4] = 1 // example 1 has length 2; unit 4 of output is the backward direction's unit 1
        let h = Tensor<Double>(repeating: 1, shape: [4, 3, 3])
        let cases: [(String, [String: Tensor<Double>])] = [
            (#"{"sum": "outputs"}"#, ["loss/output": Tensor(repeating: 1, shape: [3, 5, 6])]),
            (#"{"output": {"example": 1, "step": "last", "unit": 4}}"#, ["loss/output": unit]),
            (#"{"state": "h_n"}"#, ["loss/h_n": h]),
            (#"{"state": "all"}"#, ["loss/h_n": h, "loss/c_n": h]),
        ]
        for (text, arrays) in cases {
            let (a, b) = try both(try torchSpec(text), arrays)
            XCTAssertEqual(a.inputs, b.inputs, text)
            XCTAssertEqual(a.weights, b.weights, text)
            XCTAssertGreaterThan(a.inputs.scalars.map(abs).max() ?? 0, 0, text)
            XCTAssertTrue(a.weightNames.contains("weight_ih_l1_reverse"), "PyTorch's names: \(a.weightNames)")
        }
    }

    /// Keras' masked steps repeat the last valid output: a loss on one of them is a loss on that output.
    func testKerasLossOnARepeatedOutput() throws {
        var at = Tensor<Double>(zeros: [3, 5, 3])
        at[1, 4, 2] = 1
        var last = Tensor<Double>(zeros: [3, 5, 3])
        last[1, 1, 2] = 1
        let spec = try kerasSpec(#"{"output": {"example": 1, "step": 4, "unit": 2}}"#)
        let (a, b) = try both(spec, ["loss/outputs": at])
        let (_, c) = try both(spec, ["loss/outputs": last])
        XCTAssertEqual(a.inputs, b.inputs)
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertEqual(b.inputs, c.inputs, "the cotangent of a repeat is the cotangent of the step it repeats")
        XCTAssertEqual(b.weights, c.weights)
        XCTAssertGreaterThan(b.inputs.scalars.map(abs).max() ?? 0, 0)
        // Under the tf convention the same step is a zero output: no gradient at all.
        var tf = spec
        tf.convention = .tf
        tf.cell = .gruResetAfter(numUnits: 3, activation: .tanh)
        let (z, _) = try both(tf, ["loss/outputs": at])
        XCTAssertEqual(z.inputs.scalars.map(abs).max(), 0)
        XCTAssertEqual(z.weightNames, ["rnn/gru_cell/kernel", "rnn/gru_cell/recurrent_kernel", "rnn/gru_cell/bias"])
    }

    func testTorchLossErrorsNameTheArrayAndWhatIsExpected() throws {
        func error(_ loss: String, arrays: [String: Tensor<Double>] = [:]) -> String {
            do {
                let (_, _) = try both(try torchSpec(loss), arrays)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(error(#"{"state": "h"}"#), #"e.json: loss: the state has no array "h"; PyTorch's final states are "h_n", "c_n" (or "all")"#)
        XCTAssertEqual(error(#"{"output": {"example": 0, "step": 0, "unit": 6}}"#), "e.json: loss: unit 6 is out of range: output has 6 units")
        XCTAssertEqual(error(#"{"output": {"example": 0, "step": 0, "unit": 1, "direction": 1}}"#),
                       "e.json: loss: under the torch convention the unit counts along output's last axis (both directions concatenated); leave out direction")
        let file = #"{"sum": "outputs"}"#
        XCTAssertEqual(error(file, arrays: ["loss/outputs": Tensor(zeros: [3, 5, 6])]),
                       "e.json: loss: unexpected array loss/outputs in the loss file; expected loss/c_n, loss/h_n, loss/output")
        XCTAssertEqual(error(file, arrays: ["loss/h_n": Tensor(zeros: [2, 3, 3])]), "e.json: loss: loss/h_n has shape [2, 3, 3], expected [4, 3, 3]")
        XCTAssertEqual(error(file, arrays: ["loss/output": Tensor(zeros: [3, 5, 3])]),
                       "e.json: loss: loss/output has shape [3, 5, 3], expected [3, 5, 6] (the output's)")
    }
}
