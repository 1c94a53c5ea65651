import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Issue 19, defect 9 (and its keras/torch summaries): the explorer's texts read right in front of a class.
final class LectureTextTests: ExplorerAppTestCase {
    func lines(_ text: String) -> [String] { text.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "│ ")) } }

    func testEquationsAddSignedTermsAndKeepGroupsWhole() throws {
        let (app, term) = try sampleApp("lstm_peephole_clip.json", width: 100, height: 32)
        press(app, .char("3"))
        for _ in 0..<3 { press(app, .char("l")) }
        var text = screen(app, term)
        XCTAssertTrue(text.contains("i = σ("), text)
        XCTAssertFalse(text.contains("+ +"), text)
        XCTAssertFalse(text.contains("+ -"), text)
        XCTAssertFalse(text.contains("σ(+"), text)
        // The emitted output names its time index, in the experiment's layout (batch, time, unit).
        XCTAssertTrue(text.contains("emitted output[0, 3, 0] = "), text)
        // GRU at 80 columns: `(1 - u)` is never split over two lines.
        let (gru, gterm) = try sampleApp("gru.json")
        press(gru, .char("3"))
        for _ in 0..<8 {
            text = screen(gru, gterm)
            XCTAssertTrue(text.contains("h = u·h_prev"), text)
            for line in lines(text) {
                XCTAssertFalse(line.hasSuffix("(1 -") || line.hasSuffix("(1"), "a group split over two lines:\n\(text)")
                XCTAssertFalse(line.hasPrefix(") ") || line.hasPrefix("0.") && line.contains(")("), "\(line)\n\(text)")
            }
            press(gru, .char("."))
        }
    }

    func testShapesAreNotWrappedInsideAToken() throws {
        let (app, term) = try sampleApp("lstm_peephole_clip.json", width: 100, height: 40)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("LSTMStateTuple("), text)
        XCTAssertTrue(text.contains("c=[3, 6], h=[3, 6])"), text)
        XCTAssertFalse(text.contains("c=[3,  "), text)
    }

    func testOneStepPerSecond() {
        var s = ExplorerState(spec: DefaultExperiment.spec, batchSize: 4, maxTime: 9, inputDepth: 3)
        s.playSpeed = 1
        _ = KeyHandler.perform(.slower, &s)
        XCTAssertTrue(s.message.hasPrefix("play speed: 1 step/s ("), s.message)
        _ = KeyHandler.perform(.faster, &s)
        XCTAssertTrue(s.message.hasPrefix("play speed: 3 steps/s ("), s.message)
    }

    func testTorchSaysPackedBatchOnceAndFrameworksGateLetters() throws {
        let (torch, tterm) = try sampleApp("ports/lstm_torch.json", width: 100, height: 32)
        press(torch, .char("j"))
        for _ in 0..<6 { press(torch, .char("l")) }
        var text = screen(torch, tterm)
        XCTAssertTrue(text.contains("masked: t=6"), text)
        XCTAssertEqual(text.components(separatedBy: "packed batch").count - 1, 1, text)
        XCTAssertTrue(text.contains("g candidate"), text)
        XCTAssertFalse(text.contains("j candidate"), text)
        let (keras, kterm) = try sampleApp("ports/lstm_keras.json", width: 100, height: 32)
        text = screen(keras, kterm)
        XCTAssertTrue(text.contains("c candidate"), text)
        XCTAssertFalse(text.contains("j candidate"), text)
        let (tf, fterm) = try sampleApp("ports/lstm_tf.json", width: 100, height: 32)
        XCTAssertTrue(screen(tf, fterm).contains("j candidate"), fterm.screenText)
        XCTAssertEqual(Gate.update.letter(in: .keras, kind: .gruResetAfter), "z")
        XCTAssertEqual(Gate.candidate.letter(in: .torch, kind: .gruResetAfter), "n")
        XCTAssertEqual(Gate.candidate.letter(in: .keras, kind: .gruResetAfter), "h")
    }

    func testKerasSummariesLeaveOutKerasDefaults() throws {
        var spec = DefaultExperiment.spec
        spec.convention = .keras
        spec.cell = .multi([.layer(CellLayer.defaults(.lstm, numUnits: 6, activation: .tanh, convention: .keras)),
                            .layer(CellLayer(kind: .gruResetAfter, numUnits: 4))])
        spec.sequenceLength = [9, 5, 2, 1]
        let (app, term) = try makeApp(width: 100, height: 32, spec: spec)
        var text = screen(app, term)
        XCTAssertTrue(text.contains("0 lstm(6)"), text)
        XCTAssertTrue(text.contains("1 gru(4)"), text)
        XCTAssertFalse(text.contains("forget_bias"), text)
        XCTAssertFalse(text.contains("reset_after"), text)
        focus(app, .stack)
        press(app, .char("+"))
        text = screen(app, term)
        XCTAssertTrue(app.state.message.hasPrefix("re-ran: layer 0: lstm(7)"), app.state.message)
        XCTAssertTrue(text.contains("now multi[lstm(7), gru(4)]"), text)
    }
}
