import Experiment
import Foundation
import TestSupport
import XCTest

/// `unroll MODEL_FILE`: the explorer opened straight on an `.onnx` file in a real terminal (tmux), its numbers
/// onnxruntime's (the conformance case's `expected/Y`). Part of `ExplorerEndToEndTests` (its tmux helpers; skipped
/// under AddressSanitizer with it).
extension ExplorerEndToEndTests {
    func testOpensAnONNXFileWithItsInputs() throws {
        let onnx = RepositoryPaths.sharedConformance.appendingPathComponent("onnx")
        let model = onnx.appendingPathComponent("onnx_lstm_fwd.onnx").path, inputs = onnx.appendingPathComponent("onnx_lstm_fwd_file.npz")
        // Y is [time, 1, batch, hidden]: example 0, unit 0 at t is Y[t, 0, 0, 0] (batch 3, hidden 4).
        let y = try XCTUnwrap(try Npz.read(inputs)["expected/Y"]).asDoubles()
        func h(_ t: Int) -> String { String(format: "%+.6g", y[t * 3 * 4]) }
        try start([model, "--inputs", inputs.path], width: 100, height: 32, env: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
        var screen = waitFor("the model") { $0.contains("done: 5 steps") && $0.contains("h[0] t=0: ") }
        XCTAssertTrue(screen.contains("unroll · onnx_lstm_fwd.onnx [onnx"), screen)
        XCTAssertTrue(screen.contains("inputs [5, 3, 3]"), screen)
        XCTAssertTrue(screen.contains("h[0] t=0: \(h(0))"), "expected \(h(0)):\n\(screen)")
        try keys("l", "l")
        screen = waitFor("t=2") { $0.contains("h[0] t=2: ") }
        XCTAssertTrue(screen.contains("h[0] t=2: \(h(2))"), "expected \(h(2)):\n\(screen)")
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    /// Without --inputs: seeded inputs of the model's input size (3), `--batch 2 --time 6`, at 80x24.
    func testOpensAnONNXFileOnSeededInputs() throws {
        let model = RepositoryPaths.sharedConformance.appendingPathComponent("onnx/onnx_lstm_fwd.onnx").path
        try start([model, "--batch", "2", "--time", "6"], width: 80, height: 24, env: ["LANG": "C", "TERM": "xterm", "NO_COLOR": "1"])
        let screen = waitFor("the model") { $0.contains("done: 6 steps") }
        XCTAssertTrue(screen.contains("inputs [6, 2, 3]"), screen)
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }
}
