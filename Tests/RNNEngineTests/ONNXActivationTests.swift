import Foundation
import XCTest
@testable import RNNEngine

/// ONNX's activation functions against values worked out by hand, and onnxruntime's hand-out of
/// `activation_alpha` / `activation_beta` (in order, to the functions that take one).
final class ONNXActivationTests: XCTestCase {
    func f(_ name: ONNXActivation.Function, alpha: Double? = nil, beta: Double? = nil) -> ONNXActivation {
        ONNXActivation(name, alpha: alpha, beta: beta)
    }

    func testEachFunction() {
        let cases: [(ONNXActivation, Double, Double)] = [
            (f(.sigmoid), 0, 0.5), (f(.sigmoid), log(3), 0.75),                 // 1 / (1 + 1/3)
            (f(.tanh), log(2), 0.6),                                             // (4 - 1) / (4 + 1)
            (f(.relu), -1.5, 0), (f(.relu), 2.5, 2.5),
            (f(.hardSigmoid, alpha: 0.25, beta: 0.45), 1, 0.7), (f(.hardSigmoid, alpha: 0.25, beta: 0.45), 3, 1),
            (f(.hardSigmoid, alpha: 0.25, beta: 0.45), -3, 0), (f(.hardSigmoid), 1, 0.7),   // defaults 0.2, 0.5
            (f(.leakyRelu, alpha: 0.2), -2, -0.4), (f(.leakyRelu, alpha: 0.2), 2, 2), (f(.leakyRelu), -2, -0.02),
            (f(.thresholdedRelu, alpha: 1.5), 1.5, 0), (f(.thresholdedRelu, alpha: 1.5), 1.75, 1.75), (f(.thresholdedRelu), 0.5, 0),
            (f(.scaledTanh, alpha: 2, beta: 0.5), 2 * log(2), 1.2),             // 2 · tanh(log 2)
            (f(.affine, alpha: 2, beta: 1), 3, 7), (f(.affine), 3, 3),
            (f(.elu, alpha: 2), -log(2), -1), (f(.elu, alpha: 2), 3, 3), (f(.elu), -log(2), -0.5),
            (f(.softsign), 1, 0.5), (f(.softsign), -3, -0.75),
            (f(.softplus), 0, log(2)), (f(.softplus), log(3), log(4)), (f(.softplus), 50, 50),
        ]
        for (a, x, want) in cases {
            XCTAssertEqual(a.apply(x), want, accuracy: 1e-12, "\(a)(\(x))")
            XCTAssertEqual(Double(a(Float(x))), want, accuracy: 1e-6, "\(a)(\(x)) in float32")
        }
    }

    func testWhichFunctionsTakeAlphaAndBeta() {
        XCTAssertEqual(ONNXActivation.Function.allCases.filter(\.takesAlpha),
                       [.hardSigmoid, .leakyRelu, .thresholdedRelu, .scaledTanh, .affine, .elu])
        XCTAssertEqual(ONNXActivation.Function.allCases.filter(\.takesBeta), [.hardSigmoid, .scaledTanh, .affine])
        // A function that takes none keeps 0 whatever it is given.
        XCTAssertEqual(f(.tanh, alpha: 3, beta: 4), ONNXActivation(.tanh))
        XCTAssertEqual(f(.leakyRelu, alpha: 0.3, beta: 4).beta, 0)
    }

    func testAlphaAndBetaAreHandedOutInOrderToTheFunctionsThatTakeOne() throws {
        // onnx_rnn_bidir_leaky_alpha: Tanh takes no alpha, so 0.2 goes to LeakyRelu.
        XCTAssertEqual(try ONNXActivation.handOut(names: ["Tanh", "LeakyRelu"], alpha: [0.2], beta: []),
                       [.tanh, f(.leakyRelu, alpha: 0.2)])
        // Alphas in order to HardSigmoid, Affine; Elu has none left (default 1); the one beta goes to HardSigmoid.
        XCTAssertEqual(try ONNXActivation.handOut(names: ["HardSigmoid", "Sigmoid", "Affine", "Elu"], alpha: [1, 2], beta: [3]),
                       [f(.hardSigmoid, alpha: 1, beta: 3), .sigmoid, f(.affine, alpha: 2, beta: 0), f(.elu, alpha: 1)])
        XCTAssertEqual(try ONNXActivation.handOut(names: ["ScaledTanh", "LeakyRelu", "Affine"], alpha: [5, 6, 7], beta: [8, 9, 10]),
                       [f(.scaledTanh, alpha: 5, beta: 8), f(.leakyRelu, alpha: 6), f(.affine, alpha: 7, beta: 9)])
        // Names in any case, as onnxruntime lowercases them; no values at all: the defaults.
        XCTAssertEqual(try ONNXActivation.handOut(names: ["leakyrelu", "HARDSIGMOID"], alpha: [], beta: []),
                       [f(.leakyRelu, alpha: 0.01), f(.hardSigmoid, alpha: 0.2, beta: 0.5)])
        XCTAssertThrowsError(try ONNXActivation.handOut(names: ["Tanh", "Swish"], alpha: [], beta: [])) { e in
            XCTAssertTrue("\(e)".contains("unknown activation \"Swish\""), "\(e)")
        }
        // `parameters` gives back the lists that hand out to the same functions.
        let functions = [f(.hardSigmoid, alpha: 1, beta: 3), .sigmoid, f(.affine, alpha: 2, beta: 0), f(.elu, alpha: 1)]
        let p = ONNXActivation.parameters(of: functions)
        XCTAssertEqual(p.alpha, [1, 2, 1])
        XCTAssertEqual(p.beta, [3, 0])
        XCTAssertEqual(try ONNXActivation.handOut(names: functions.map(\.function.rawValue), alpha: p.alpha, beta: p.beta), functions)
    }

    /// An ONNX cell refuses a clip that is not positive and an activation list of the wrong length, by its label.
    func testONNXCellsCheckTheirOptions() {
        let store = VariableStore<Float>()
        for clip in [0, -1, -Double.infinity, .nan] {
            XCTAssertThrowsError(try ONNXLSTMCell(layer: CellLayer(kind: .onnxLSTM, numUnits: 2, options: CellOptions(clip: clip)), store: store)) { e in
                XCTAssertTrue("\(e)".contains("ONNX LSTM: clip must be positive"), "\(e)")
            }
        }
        XCTAssertNoThrow(try ONNXLSTMCell(layer: CellLayer(kind: .onnxLSTM, numUnits: 2, options: CellOptions(clip: .infinity)), store: store))
        XCTAssertThrowsError(try ONNXGRUCell(layer: CellLayer(kind: .onnxGRU, numUnits: 2, options: CellOptions(activations: [.tanh])), store: store)) { e in
            XCTAssertTrue("\(e)".contains("ONNX GRU: takes 2 activations per direction, got 1"), "\(e)")
        }
        XCTAssertThrowsError(try ONNXRNNCell(layer: CellLayer(kind: .onnxGRU, numUnits: 2), store: store))
        // Options the kind does not take are dropped (an RNN has no input_forget), and so is TF's activation.
        let rnn = CellLayer(kind: .onnxRNN, numUnits: 2, activation: .relu, options: CellOptions(inputForget: true, linearBeforeReset: true))
        XCTAssertEqual(rnn, CellLayer(kind: .onnxRNN, numUnits: 2))
        XCTAssertEqual(rnn.activationList, [.tanh])
    }
}
