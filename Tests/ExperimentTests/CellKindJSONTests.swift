import Foundation
import XCTest
@testable import Experiment
@testable import RNNEngine

/// Every built-in kind round-trips through the experiment format under each convention.
final class CellKindJSONTests: XCTestCase {
    func roundTrip(_ spec: CellSpec, _ c: Convention) throws -> CellSpec {
        let data = try JSONSerialization.data(withJSONObject: CellSpecJSON.encode(spec, convention: c), options: [.sortedKeys])
        return try CellSpecJSON.parse(try FieldReader(file: "t.json", path: "cell", value: try JSONValue.parse(data)), convention: c)
    }

    func testEveryKindRoundTripsUnderEachConvention() throws {
        for c in Convention.allCases {
            // The kinds the convention's files name (onnx's own, the shared ones elsewhere).
            for kind in CellKind.allCases where CellKind.kinds(jsonType: kind.descriptor.jsonType, convention: c).contains(kind) {
                let onnx = [ONNXActivation(.hardSigmoid, alpha: 0.3, beta: 0.6), ONNXActivation(.leakyRelu, alpha: 0.1),
                            ONNXActivation(.affine, alpha: 2, beta: 1)].prefix(kind.descriptor.defaultActivations.count)
                for layer in [CellLayer.defaults(kind, numUnits: 3, activation: .tanh, convention: c),
                              CellLayer(kind: kind, numUnits: 5, activation: .softsign,
                                        options: CellOptions(forgetBias: 0.25, usePeepholes: true, cellClip: 2, numProj: 2, projClip: 1.5,
                                                             clip: 0.5, inputForget: true, linearBeforeReset: true, activations: Array(onnx)))] {
                    let spec = CellSpec.layer(layer)
                    XCTAssertEqual(try roundTrip(spec, c), spec, "\(c) \(spec.summary(for: c))")
                    let wrapped = CellSpec.multi([.residual(spec), .dropout(spec, DropoutOptions(outputKeepProb: 0.5, seed: 3))])
                    XCTAssertEqual(try roundTrip(wrapped, c), wrapped, "\(c) \(wrapped.summary(for: c))")
                }
            }
        }
    }

    /// A layer writes only the keys its descriptor lists, and the format reads every key a descriptor lists.
    func testEachKindWritesOnlyItsKeys() {
        for kind in CellKind.allCases {
            let d = kind.descriptor
            XCTAssertTrue(Set(d.jsonKeys).isSubset(of: CellSpecJSON.layerKeys), kind.rawValue)
            let layer = CellLayer(kind: kind, numUnits: 2, activation: .relu,
                                  options: CellOptions(forgetBias: 0.5, usePeepholes: true, cellClip: 1, numProj: 1, projClip: 1))
            for c in Convention.allCases {
                let keys = Set(CellSpecJSON.encode(.layer(layer), convention: c).keys)
                XCTAssertTrue(keys.isSubset(of: Set(d.jsonKeys)), "\(kind) \(c): \(keys)")
            }
        }
        XCTAssertEqual(CellSpecJSON.types, ["basic_rnn", "basic_lstm", "lstm", "gru", "multi", "residual", "dropout"])
    }

    /// A Keras cell name no TF cell has tells Keras' weights apart (the names come from the descriptors).
    func testKerasOnlyCellNamesDetectKeras() {
        XCTAssertEqual(WeightLayouts.detect(names: ["rnn/simple_rnn_cell/kernel", "rnn/simple_rnn_cell/bias"]), .keras)
        XCTAssertEqual(WeightLayouts.detect(names: ["rnn/basic_rnn_cell/kernel", "rnn/basic_rnn_cell/bias"]), .tf)
        XCTAssertEqual(WeightLayouts.detect(names: ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias"]), .tf)
    }
}
