import Experiment
import Foundation
import RNNEngine
import XCTest

/// The experiment's "loss" field: its forms, and the built-in losses giving the gradients of the cotangents
/// they stand for.
final class LossSpecTests: XCTestCase {
    private func spec(_ loss: String, cell: String = #"{"type": "lstm", "num_units": 3}"#, extra: String = "") throws -> ExperimentSpec {
        try ExperimentSpec.parse(Data(#"{"cell": \#(cell), "batch_size": 3, "max_time": 5, "input_depth": 2, "sequence_length": [5, 2, 0]\#(extra), "loss": \#(loss)}"#.utf8),
                                 file: "e.json")
    }

    func testFormsParseAndRoundTrip() throws {
        let forms: [(String, LossSpec)] = [
            (#""cot.npz""#, .file("cot.npz")),
            (#"{"sum": "outputs"}"#, .sumOfOutputs),
            (#"{"output": {"example": 1, "step": 3, "unit": 2}}"#, .output(example: 1, step: 3, unit: 2, direction: 0)),
            (#"{"output": {"example": 0, "step": "last", "unit": 0, "direction": 1}}"#, .output(example: 0, step: nil, unit: 0, direction: 1)),
            (#"{"state": "h"}"#, .state(path: "h")),
            (#"{"state": "all"}"#, .state(path: nil)),
        ]
        for (text, expected) in forms {
            let s = try spec(text)
            XCTAssertEqual(s.loss, expected, text)
            XCTAssertEqual(try ExperimentSpec.parse(try s.jsonData(), file: "again.json").loss, expected, "round trip of \(text)")
        }
        XCTAssertNil(try spec("null").loss)
    }

    func testErrorsNameTheFileAndField() {
        func error(_ loss: String) -> String {
            do { _ = try spec(loss); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error(#"{"output": {"example": -1, "step": 0, "unit": 0}}"#), "e.json: loss.output.example: must be at least 0, got -1")
        XCTAssertEqual(error(#"{"output": {"example": 0, "step": "first", "unit": 0}}"#), #"e.json: loss.output.step: expected a step index or "last""#)
        XCTAssertEqual(error(#"{"state": ""}"#), #"e.json: loss.state: expected an array name such as "h", or "all""#)
        XCTAssertTrue(error(#""""#).hasPrefix("e.json: loss: an empty path; expected a path to an .npz"))
    }

    /// Each built-in loss gives exactly the gradients of the cotangent arrays it stands for.
    func testBuiltInLossesEqualTheirCotangents() throws {
        let stack = #"{"type": "multi", "cells": [{"type": "lstm", "num_units": 3}, {"type": "gru", "num_units": 2}]}"#
        let zeros = Tensor<Double>(zeros: [3, 5, 2])
        var ones = zeros
        ones.scalars = Array(repeating: 1, count: ones.count)
        var unit = zeros
        unit[1, 1, 1] = 1 // example 1 has length 2: its last step is 1
        let cases: [(String, [String: Tensor<Double>])] = [
            (#"{"sum": "outputs"}"#, ["loss/outputs": ones]),
            (#"{"output": {"example": 1, "step": "last", "unit": 1}}"#, ["loss/outputs": unit]),
            (#"{"state": "0/c"}"#, ["loss/state/0/c": Tensor(repeating: 1, shape: [3, 3])]),
            (#"{"state": "all"}"#, ["loss/state/0/c": Tensor(repeating: 1, shape: [3, 3]), "loss/state/0/h": Tensor(repeating: 1, shape: [3, 3]),
                                   "loss/state/1": Tensor(repeating: 1, shape: [3, 2])]),
        ]
        for (text, arrays) in cases {
            let s = try spec(text, cell: stack, extra: #", "dtype": "float64""#)
            let builtIn = try ExperimentLoader.load(s, file: "e.json", baseDirectory: URL(fileURLWithPath: "/"), as: Double.self)
            let explicit = LoadedExperiment(spec: { var f = s; f.loss = .file("cotangents.npz"); return f }(), file: "e.json",
                                            inputs: builtIn.inputs, store: builtIn.store)
            var e = explicit
            e.lossArrays = arrays
            let a = try builtIn.gradients(), b = try e.gradients()
            XCTAssertEqual(a.inputs, b.inputs, text)
            XCTAssertEqual(a.weights, b.weights, text)
            XCTAssertGreaterThan(a.inputs.scalars.map(abs).max() ?? 0, 0, text)
        }
    }

    /// The same for a bidirectional run: a direction's output unit (in the inputs' time order) and state arrays.
    func testBuiltInLossesOfABidirectionalRun() throws {
        let bi = #", "dtype": "float64", "bidirectional": true, "cell_bw": {"type": "gru", "num_units": 2}"#
        var unit = Tensor<Double>(zeros: [3, 5, 2])
        unit[0, 4, 1] = 1 // example 0 has length 5: its last step is 4
        let cases: [(String, [String: Tensor<Double>])] = [
            (#"{"output": {"example": 0, "step": "last", "unit": 1, "direction": 1}}"#, ["loss/outputs/1": unit]),
            (#"{"output": {"example": 1, "step": 0, "unit": 2}}"#,
             ["loss/outputs/0": { var t = Tensor<Double>(zeros: [3, 5, 3]); t[1, 0, 2] = 1; return t }()]),
            (#"{"state": "1"}"#, ["loss/state/1": Tensor(repeating: 1, shape: [3, 2])]),
            (#"{"state": "0/h"}"#, ["loss/state/0/h": Tensor(repeating: 1, shape: [3, 3])]),
            (#"{"sum": "outputs"}"#, ["loss/outputs/0": Tensor(repeating: 1, shape: [3, 5, 3]), "loss/outputs/1": Tensor(repeating: 1, shape: [3, 5, 2])]),
        ]
        for (text, arrays) in cases {
            let s = try spec(text, extra: bi)
            let builtIn = try ExperimentLoader.load(s, file: "e.json", baseDirectory: URL(fileURLWithPath: "/"), as: Double.self)
            var f = s
            f.loss = .file("cotangents.npz")
            var e = LoadedExperiment(spec: f, file: "e.json", inputs: builtIn.inputs, store: builtIn.store)
            e.lossArrays = arrays
            let a = try builtIn.gradients(), b = try e.gradients()
            XCTAssertEqual(a.inputs, b.inputs, text)
            XCTAssertEqual(a.weights, b.weights, text)
            XCTAssertGreaterThan(a.inputs.scalars.map(abs).max() ?? 0, 0, text)
        }
        XCTAssertThrowsError(try ExperimentLoader.load(try spec(#"{"state": "h"}"#, extra: bi), file: "e.json",
                                                       baseDirectory: URL(fileURLWithPath: "/"), as: Double.self).gradients()) {
            XCTAssertTrue("\($0)".contains("a bidirectional run's state arrays start with the direction"), "\($0)")
        }
    }

    /// A cotangent file with a misnamed or misshaped array is refused, naming the array.
    func testCotangentArraysAreChecked() throws {
        let s = try spec(#""c.npz""#, extra: #", "dtype": "float64""#)
        var noLoss = s
        noLoss.loss = nil
        let base = try ExperimentLoader.load(noLoss, file: "e.json", baseDirectory: URL(fileURLWithPath: "/"), as: Double.self)
        var loaded = LoadedExperiment(spec: s, file: "e.json", inputs: base.inputs, store: base.store)
        func error() -> String {
            do { _ = try loaded.gradients(); return "no error" } catch { return "\(error)" }
        }
        loaded.lossArrays = ["loss/outputs": Tensor(zeros: [3, 4, 3])]
        XCTAssertEqual(error(), "e.json: loss: loss/outputs has shape [3, 4, 3], expected [3, 5, 3] (the outputs')")
        loaded.lossArrays = ["loss/state/h": Tensor(zeros: [3, 2])]
        XCTAssertEqual(error(), "e.json: loss: loss/state/h has shape [3, 2], expected [3, 3]")
        loaded.lossArrays = ["loss/state/m": Tensor(zeros: [3, 3])]
        XCTAssertEqual(error(), "e.json: loss: unexpected array loss/state/m in the loss file; expected loss/outputs, loss/state/c, loss/state/h")
    }
}
