import Experiment
import Foundation
import RNNEngine
import XCTest

/// samples/ports: one TensorFlow LSTM saved under TF's, Keras' and PyTorch's names (by `unroll convert`).
final class PortSampleTests: XCTestCase {
    static var ports: URL { SampleTests.samples.appendingPathComponent("ports") }

    func run(_ c: String) throws -> [String: Tensor<Float>] {
        let url = Self.ports.appendingPathComponent("lstm_\(c).json")
        var out: [String: Tensor<Float>] = [:]
        for (k, a) in try ExperimentLoader.runFile(url) { out[k] = try a.tensor(Float.self, name: k) }
        return out
    }

    /// Row 0 runs its full length: the same numbers three ways. Padded rows: PyTorch writes TF's zeros, Keras
    /// repeats the last valid output.
    func testTheSameModelThreeWays() throws {
        let tf = try run("tf"), keras = try run("keras"), torch = try run("torch")
        XCTAssertEqual(Set(torch.keys), ["output", "h_n", "c_n"])
        let y = try XCTUnwrap(tf["outputs"]), k = try XCTUnwrap(keras["outputs"]), p = try XCTUnwrap(torch["output"])
        XCTAssertEqual(y.shape, [4, 8, 4])
        XCTAssertLessThan(p.maxAbsDifference(y), 1e-6)
        XCTAssertLessThan(try XCTUnwrap(torch["h_n"]).reshaped([4, 4]).maxAbsDifference(try XCTUnwrap(tf["state/h"])), 1e-6)
        XCTAssertLessThan(try XCTUnwrap(keras["state/c"]).maxAbsDifference(try XCTUnwrap(tf["state/c"])), 1e-6)
        let lengths = [8, 5, 2, 6]
        for (b, l) in lengths.enumerated() {
            for t in 0..<8 {
                let a = (0..<4).map { y[b, t, $0] }, kk = (0..<4).map { k[b, t, $0] }
                if t < l {
                    for (u, v) in zip(a, kk) { XCTAssertEqual(u, v, accuracy: 1e-6, "row \(b) t \(t)") }
                } else {
                    XCTAssertEqual(a, [0, 0, 0, 0])
                    XCTAssertEqual(kk, (0..<4).map { k[b, l - 1, $0] })
                    XCTAssertTrue(kk.contains { abs($0) > 1e-3 }, "Keras' padded output is visibly not zero: row \(b) t \(t)")
                }
            }
        }
    }

    /// samples/ports/lstm_torch.pt (torch.save of the port's nn.LSTM, scripts/make-torch-port-sample.py) runs, with
    /// no cell given, to exactly the numbers of the .npz port.
    func testThePtPortRunsAsTheNpzPort() throws {
        let pt = try ExperimentLoader.runFile(Self.ports.appendingPathComponent("lstm_torch_pt.json"))
        let npz = try ExperimentLoader.runFile(Self.ports.appendingPathComponent("lstm_torch.json"))
        XCTAssertEqual(pt.map(\.0), ["output", "h_n", "c_n"])
        XCTAssertEqual(Dictionary(pt, uniquingKeysWith: { a, _ in a }), Dictionary(npz, uniquingKeysWith: { a, _ in a }))
    }

    /// The Keras and PyTorch files are exactly what converting the TF one gives.
    func testThePortsAreTheConversionOfTheTFOne() throws {
        for c in [Convention.keras, .torch] {
            let converted = try ExperimentConversion.convert(Self.ports.appendingPathComponent("lstm_tf.json"), to: c,
                                                             npzName: "lstm_\(c.rawValue).npz")
            let saved = try Npz.read(Self.ports.appendingPathComponent("lstm_\(c.rawValue).npz"))
            XCTAssertEqual(Dictionary(converted.arrays, uniquingKeysWith: { a, _ in a }), saved, c.rawValue)
            let spec = try ExperimentLoader.readSpec(Self.ports.appendingPathComponent("lstm_\(c.rawValue).json"))
            XCTAssertEqual(spec.cell, converted.spec.cell)
            XCTAssertEqual(spec.convention, c)
        }
    }
}
