import Experiment
import Foundation
import RNNEngine
import XCTest

/// The keras and torch gradient paths of an experiment against central finite differences in float64, with the
/// weights under the framework's own names: each element of each Keras / PyTorch array is nudged, the weights are
/// loaded as the experiment loads them (`WeightLayouts.engineArrays`) and the loss is written out on the framework's
/// named results. This proves the conversion of the gradients back to the framework's layout (transposes, gate
/// orders, PyTorch's two summed biases, the reset-after GRU's two bias rows) independently of the frameworks.
final class FrameworkGradientCheckTests: XCTestCase {
    func testKerasWeightGradients() throws {
        try check(#""convention": "keras", "cell": {"type": "lstm", "num_units": 3}, "sequence_length": [4, 1, 3]"#)
        try check(#""convention": "keras", "cell": {"type": "multi", "cells": [{"type": "gru", "num_units": 2, "reset_after": false}, {"type": "basic_rnn", "num_units": 2}]}, "sequence_length": [2, 4, 0]"#)
        try check(#""convention": "keras", "bidirectional": true, "time_major": true, "cell": {"type": "gru", "num_units": 2}, "sequence_length": [3, 4, 1]"#)
    }

    func testTorchWeightGradients() throws {
        try check(#""convention": "torch", "bidirectional": true, "cell": {"type": "multi", "cells": [{"type": "lstm", "num_units": 3, "num_proj": 2}, {"type": "lstm", "num_units": 3, "num_proj": 2}]}, "sequence_length": [3, 4, 1]"#)
        try check(#""convention": "torch", "cell": {"type": "multi", "cells": [{"type": "gru", "num_units": 2}, {"type": "gru", "num_units": 2}]}, "sequence_length": [4, 2, 3]"#)
        try check(#""convention": "torch", "bidirectional": true, "time_major": true, "cell": {"type": "basic_rnn", "num_units": 2, "activation": "relu"}"#)
    }

    private func check(_ fields: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let json = #"{\#(fields), "dtype": "float64", "seed": 3, "batch_size": 3, "max_time": 4, "input_depth": 2, "loss": "cot.npz"}"#
        let spec = try ExperimentSpec.parse(Data(json.utf8), file: "e.json")
        var plain = spec
        plain.loss = nil
        let base = try ExperimentLoader.load(plain, file: "e.json", baseDirectory: URL(fileURLWithPath: "/"), as: Double.self)
        _ = try base.run()
        let model = spec.model, depth = base.inputDepth
        // Random arrays under the framework's names (PyTorch's two biases differ), and initial states.
        var framework: [String: Tensor<Double>] = [:]
        var order: [String] = []
        var shapes: [String: Tensor<Double>] = [:]
        for r in base.store.requests { shapes[r.name] = Tensor(zeros: r.expectedShape) }
        for (k, a) in try WeightLayouts.frameworkArrays(model: model, inputDepth: depth, engine: shapes).enumerated() {
            framework[a.name] = try random(a.tensor.shape, seed: 300 + UInt64(k))
            order.append(a.name)
        }
        let initial = try model.directions.map { d in try model.cell(for: d).stateSize.map { try random([3, $0], seed: 90 + UInt64(d.rawValue) * 7 + UInt64($0)) } }
        func experiment(_ weights: [String: Tensor<Double>]) throws -> LoadedExperiment<Double> {
            let engine = try WeightLayouts.engineArrays(model: model, inputDepth: depth) { weights[$0] }
            return LoadedExperiment(spec: spec, file: "e.json", inputs: base.inputs, store: VariableStore(arrays: engine, missing: .fail),
                                    initialState: initial[0], initialStateBackward: initial.count > 1 ? initial[1] : nil)
        }
        let results = try experiment(framework).run()
        let named = try ModelResult(model: model, outputs: results.outputs, states: results.states).namedTensors()
        var cotangents: [String: Tensor<Double>] = [:]
        for (k, r) in named.enumerated() { cotangents["loss/" + r.name] = try random(r.tensor.shape, seed: 500 + UInt64(k)) }
        func value(_ weights: [String: Tensor<Double>]) throws -> Double {
            let r = try experiment(weights).run()
            return try ModelResult(model: model, outputs: r.outputs, states: r.states).namedTensors().reduce(0) { total, n in
                total + zip(n.tensor.scalars, cotangents["loss/" + n.name]?.scalars ?? []).reduce(0) { $0 + $1.0 * $1.1 }
            }
        }
        var loaded = try experiment(framework)
        loaded.lossArrays = cotangents
        let g = try loaded.gradients()
        XCTAssertEqual(g.weightNames, order, "\(fields): the framework's names in its order", file: file, line: line)
        let eps = 1e-6
        var problems: [String] = []
        for name in order {
            guard let grad = g.weights[name] else { problems.append("no gradient for \(name)"); continue }
            XCTAssertEqual(grad.shape, framework[name]?.shape, "\(name)", file: file, line: line)
            for k in 0..<grad.count {
                var w = framework
                w[name]!.scalars[k] += eps
                let plus = try value(w)
                w[name]!.scalars[k] -= 2 * eps
                let numeric = (plus - (try value(w))) / (2 * eps)
                if !(abs(grad.scalars[k] - numeric) <= 2e-7 + 2e-6 * abs(numeric)) {
                    problems.append("\(name)[\(k)]: \(grad.scalars[k]) vs finite difference \(numeric)")
                }
            }
        }
        XCTAssertTrue(problems.isEmpty, "\(fields): \(problems.prefix(5).joined(separator: "; "))", file: file, line: line)
    }

    private func random(_ shape: [Int], seed: UInt64) throws -> Tensor<Double> {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        let values = (0..<shape.reduce(1, *)).map { _ -> Double in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * 1.2 - 0.6
        }
        return try Tensor(shape: shape, scalars: values)
    }
}
