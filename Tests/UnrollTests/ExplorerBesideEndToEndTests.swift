import Experiment
import Foundation
import RNNEngine
import XCTest
import TestSupport

/// `unroll A.json --beside B.json` in a real terminal (tmux, LANG=C, NO_COLOR; 80x24 and 100x32): the two backward
/// views one above the other on one shared log scale, each with the engine's numbers (computed here from the same
/// files); `W` shows which weights learn, `6` compares the two files, `O` closes the second.
extension ExplorerEndToEndTests {
    func testTwoExperimentsSideBySideInTheBackwardView() throws {
        let a = Self.samples.appendingPathComponent("gradients/vanishing_rnn.json").path
        let b = Self.samples.appendingPathComponent("gradients/surviving_lstm.json").path
        func sci(_ v: Float) -> String { v == 0 ? "0" : String(format: "%+.2e", Double(v)) }
        var expected: [String] = []
        for name in ["gradients/vanishing_rnn.json", "gradients/surviving_lstm.json"] {
            let run = try GradientRun(loop: try loadSample(name).makeLoop(), loss: .outputUnit(example: 0, step: 99, unit: 0))
            run.compute()
            expected.append(sci(try XCTUnwrap(try run.frame(at: 94)).stateGradient.flattened.last!.scalars[0]))
        }
        for (width, height) in [(80, 24), (100, 32)] {
            try start([a, "--beside", b], width: width, height: height, env: ["LANG": "C", "TERM": "xterm", "NO_COLOR": "1"])
            waitFor("both backward views") { $0.contains("vanishing_rnn") && $0.contains("surviving_lstm") && $0.contains("both runs (z)") }
            try keys("l", "l", "l", "l", "l")
            var screen = waitFor("t=94 in both") {
                $0.components(separatedBy: "t=94, unit 0: from t+1").count == 3
                    && $0.contains("from t+1 dh[0] \(expected[0])") && $0.contains("from t+1 dh[0] \(expected[1])")
            }
            let lines = screen.split(separator: "\n")
            XCTAssertEqual(lines.filter { $0.contains("both runs (z)") }.count, 2, "\(width)x\(height): one shared scale, shown twice\n\(screen)")
            let scales = Set(lines.filter { $0.contains("both runs (z)") }.map { $0.replacingOccurrences(of: "|", with: " ").split(separator: " ").filter { $0.hasPrefix("1e") } })
            XCTAssertEqual(scales.count, 1, "\(width)x\(height): both legends give the same ends\n\(screen)")
            let top = try XCTUnwrap(screen.range(of: "surviving_lstm"))
            XCTAssertTrue(screen[..<top.lowerBound].contains("from t+1 dh[0] \(expected[0])"), "vanishing_rnn's number above\n\(screen)")
            XCTAssertTrue(screen[top.upperBound...].contains("from t+1 dh[0] \(expected[1])"), "surviving_lstm's number below\n\(screen)")
            XCTAssertTrue(screen.unicodeScalars.allSatisfy(\.isASCII), screen)
            try keys("W")
            screen = waitFor("which weights learn") { $0.contains("Wx") && $0.contains("batch summed") }
            try keys("6")
            screen = waitFor("the comparison of the two files") { $0.contains("Compare vanishing_rnn vs surviving_lstm") && $0.contains("first difference at t=0") }
            try keys("O")
            screen = waitFor("one experiment again") { $0.contains("Compare tf vs keras") || $0.contains("closed") }
            XCTAssertFalse(screen.contains("vs surviving_lstm"), screen)
            try keys("q")
            XCTAssertEqual(waitForExit(), "EXIT=0")
            // The next size in a new session.
            try tmux("kill-session", "-t", session)
            try? FileManager.default.removeItem(at: statusFile)
        }
    }
}
