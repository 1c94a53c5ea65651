import Experiment
import Foundation
import RNNEngine
import XCTest
import TestSupport

/// The backward view, the convention switch and the comparison view in a real terminal (tmux, 80x24, LANG=C,
/// NO_COLOR), checked against the engine's numbers computed here from the same files.
extension ExplorerEndToEndTests {
    static var samples: URL {
        RepositoryPaths.samples
    }

    /// A sample loaded by the Experiment module, as `unroll` loads it.
    func loadSample(_ name: String) throws -> LoadedExperiment<Float> {
        let url = Self.samples.appendingPathComponent(name)
        return try ExperimentLoader.load(try ExperimentLoader.readSpec(url), file: name, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
    }

    func testBackwardViewStepsBackThroughTheEnginesGradients() throws {
        let path = Self.samples.appendingPathComponent("gradients/vanishing_rnn.json").path
        try start([path], width: 80, height: 24, env: ["LANG": "C", "TERM": "xterm", "NO_COLOR": "1"])
        waitFor("the sample") { $0.contains("vanishing_rnn") && $0.contains("done: 100 steps") }
        try keys("5")
        // Each wait asks for what is checked after it: on a loaded machine a view can be drawn before its numbers.
        var screen = waitFor("the backward view at the loss's step") {
            $0.contains("Backward") && $0.contains("t=99, unit 0: from t+1") && $0.contains("L = output[ex 0, t=99, unit 0]")
        }
        XCTAssertTrue(screen.contains("L = output[ex 0, t=99, unit 0]"), screen)
        XCTAssertTrue(screen.unicodeScalars.allSatisfy(\.isASCII), screen)
        // The engine's sweep for the same loss, computed here.
        let run = try GradientRun(loop: try loadSample("gradients/vanishing_rnn.json").makeLoop(), loss: .outputUnit(example: 0, step: 99, unit: 0))
        run.compute()
        func sci(_ v: Float) -> String { v == 0 ? "0" : String(format: "%+.2e", Double(v)) }
        let f = try XCTUnwrap(try run.frame(at: 96))
        let arriving = sci(f.stateGradient.flattened[0].scalars[0])
        let total = sci(try XCTUnwrap(f.layers[0].gradient("h")).scalars[0])
        try keys("l", "l", "l")
        screen = waitFor("t=96") {
            $0.contains("t=96, unit 0: from t+1") && $0.contains("from t+1 dh[0] \(arriving)") && $0.contains("total dh_t[0] \(total)")
        }
        XCTAssertTrue(screen.contains("from t+1 dh[0] \(arriving)"), "expected \(arriving):\n\(screen)")
        XCTAssertTrue(screen.contains("total dh_t[0] \(total)"), "expected \(total):\n\(screen)")
        XCTAssertTrue(screen.contains("t=96 of max_time 100"), screen)
        // Far back, the gradient has vanished: the engine's number at t=5 is tiny, and that is what shows.
        try keys("G")
        for _ in 0..<5 { try keys("h") }
        let far = try XCTUnwrap(try run.frame(at: 5)).stateGradient.flattened[0].scalars[0]
        screen = waitFor("t=5") { $0.contains("t=5, unit 0: from t+1") && $0.contains("from t+1 dh[0] \(sci(far))") }
        XCTAssertLessThan(abs(far), 1e-9)
        XCTAssertTrue(screen.contains("from t+1 dh[0] \(sci(far))"), "expected \(sci(far)):\n\(screen)")
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    func testSwitchingConventionsAndComparingThem() throws {
        let path = Self.samples.appendingPathComponent("ports/lstm_tf.json").path
        try start([path], width: 80, height: 24, env: ["LANG": "C", "TERM": "xterm", "NO_COLOR": "1"])
        waitFor("the sample") { $0.contains("port_lstm_tf") && $0.contains("done: 8 steps") }
        // Where the engine's Keras run of the same model first differs from its TF run (beyond float rounding).
        let tf = try loadSample("ports/lstm_tf.json").run().outputs[0], keras = try loadSample("ports/lstm_keras.json").run().outputs[0]
        var first: (t: Int, b: Int)?
        search: for t in 0..<8 { for b in 0..<4 { for k in 0..<4 where abs(tf.scalars[(b * 8 + t) * 4 + k] - keras.scalars[(b * 8 + t) * 4 + k]) > 1e-5 {
            first = (t, b); break search
        } } }
        let f = try XCTUnwrap(first)
        try keys("6")
        var screen = waitFor("the comparison") { $0.contains("Compare tf vs keras") && $0.contains("first difference") }
        XCTAssertTrue(screen.contains("first difference at t=\(f.t), example \(f.b)"), screen)
        XCTAssertTrue(screen.contains("6 other convention"), screen)
        XCTAssertTrue(screen.unicodeScalars.allSatisfy(\.isASCII), screen)
        try keys("6")
        screen = waitFor("the comparison with PyTorch") { $0.contains("Compare tf vs torch") }
        waitFor("agreement") { $0.contains("PyTorch give the") }
        // C: the experiment itself now runs as Keras does; the title and the frame say so.
        try keys("1", "C")
        // The title changes with the state at once; the message when the switched session has run.
        screen = waitFor("the keras convention") { $0.contains("[keras: Keras]") && $0.contains("convention keras") }
        XCTAssertTrue(screen.contains("convention keras"), screen)
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }
}
