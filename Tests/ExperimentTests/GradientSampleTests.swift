import Experiment
import Foundation
import RNNEngine
import XCTest

/// What samples/gradients/ claims, checked with the engine: on the same 100-step inputs the gradient of the last
/// output vanishes through the tanh RNN and survives through the LSTM; in the masked batch each example's gradient
/// stops exactly at its length.
final class GradientSampleTests: XCTestCase {
    func gradients(_ name: String) throws -> (ExperimentGradients<Float>, LoadedExperiment<Float>) {
        let url = SampleTests.samples.appendingPathComponent("gradients").appendingPathComponent(name)
        let spec = try ExperimentLoader.readSpec(url)
        let loaded = try ExperimentLoader.load(spec, file: name, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        return (try loaded.gradients(), loaded)
    }

    /// `‖∂L/∂x_t‖` of example `b` (batch-major inputs).
    func inputGradientNorm(_ g: Tensor<Float>, example b: Int, t: Int) -> Double {
        let time = g.shape[1], depth = g.shape[2]
        let o = (b * time + t) * depth
        return g.scalars[o..<(o + depth)].reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    func testSameInputsForBothSamples() throws {
        let (_, rnn) = try gradients("vanishing_rnn.json")
        let (_, lstm) = try gradients("surviving_lstm.json")
        XCTAssertEqual(rnn.inputs.shape, [2, 100, 3])
        XCTAssertEqual(rnn.inputs.scalars, lstm.inputs.scalars)
        XCTAssertEqual(rnn.spec.loss, .output(example: 0, step: nil, unit: 0, direction: 0))
        XCTAssertEqual(lstm.spec.loss, rnn.spec.loss)
    }

    func testTheLastOutputsGradientVanishesThroughTheRNNAndSurvivesThroughTheLSTM() throws {
        let (rnn, _) = try gradients("vanishing_rnn.json")
        let (lstm, _) = try gradients("surviving_lstm.json")
        let rnnRatio = inputGradientNorm(rnn.inputs, example: 0, t: 0) / inputGradientNorm(rnn.inputs, example: 0, t: 99)
        let lstmRatio = inputGradientNorm(lstm.inputs, example: 0, t: 0) / inputGradientNorm(lstm.inputs, example: 0, t: 99)
        XCTAssertLessThan(rnnRatio, 1e-10, "tanh RNN: ‖∂L/∂x_0‖ / ‖∂L/∂x_99‖")
        XCTAssertGreaterThan(lstmRatio, 1e-2, "LSTM: ‖∂L/∂x_0‖ / ‖∂L/∂x_99‖")
        // Not a fluke of the last steps: halfway back the RNN has already lost six orders of magnitude.
        XCTAssertLessThan(inputGradientNorm(rnn.inputs, example: 0, t: 50) / inputGradientNorm(rnn.inputs, example: 0, t: 99), 1e-5)
        XCTAssertGreaterThan(inputGradientNorm(lstm.inputs, example: 0, t: 50) / inputGradientNorm(lstm.inputs, example: 0, t: 99), 1e-3)
    }

    func testTheMaskedBatchsGradientStopsAtEachLength() throws {
        let (g, loaded) = try gradients("masked_batch.json")
        let lengths = try XCTUnwrap(loaded.spec.sequenceLength)
        XCTAssertEqual(lengths, [20, 14, 8, 3])
        for (b, length) in lengths.enumerated() {
            for t in 0..<20 {
                let n = inputGradientNorm(g.inputs, example: b, t: t)
                if t < length { XCTAssertGreaterThan(n, 0, "example \(b) t=\(t)") } else { XCTAssertEqual(n, 0, "example \(b) t=\(t)") }
            }
        }
    }
}
