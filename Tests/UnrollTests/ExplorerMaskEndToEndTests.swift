import Experiment
import Foundation
import RNNEngine
import XCTest
import TestSupport

/// Issue 17, item 4 in a real terminal (tmux, 80x24, LANG=C and NO_COLOR, then UTF-8): the Sequences pane draws a
/// Keras mask with its holes, `m` masks a step and the frame shows Keras' repeated output (the engine's number,
/// computed here from the same file), undo brings the step back, `C` cycles every convention with each refusal in
/// one line. An extension of `ExplorerEndToEndTests` (its tmux helpers; skipped by the AddressSanitizer pass).
extension ExplorerEndToEndTests {
    static var masks: URL { RepositoryPaths.sharedConformance.appendingPathComponent("masks") }

    func testMaskEditingAndConventionCyclingAt80x24() throws {
        let path = Self.masks.appendingPathComponent("keras_mask_hole_lstm.json").path
        try start([path], width: 80, height: 24, env: ["LANG": "C", "TERM": "xterm", "NO_COLOR": "1"])
        var screen = waitFor("the case") { $0.contains("keras_mask_hole_lstm") && $0.contains("done: 8 steps") }
        XCTAssertTrue(screen.unicodeScalars.allSatisfy(\.isASCII), screen)
        // The mask [[1,1,0,1,0,0,1,1], [1]*8, [0,1,1,0,1,1,1,0]]: valid steps '#', masked '.', the cursor's step '@'.
        try keys("Tab", "Tab", "Tab")
        screen = waitFor("the Sequences pane focused") { $0.contains("| mask") && $0.contains("mask t") }
        // Two columns a step at 80 columns.
        XCTAssertTrue(screen.contains(">0 val 5 @@##. ##. . ####"), screen)
        XCTAssertTrue(screen.contains(" 1 val 8 @@##############"), screen)
        XCTAssertTrue(screen.contains(" 2 val 5 . ####. ######. "), screen)

        // Mask example 1's step 4: Keras carries the state and repeats step 3's output.
        try keys("j", "l", "l", "l", "l", "m")
        screen = waitFor("the edit, its frame computed") { $0.contains("re-ran: mask[1, 4] = False") && $0.contains("masked: mask[1, 4]") }
        XCTAssertTrue(screen.contains(">1 val 7 ########. ######"), screen)
        XCTAssertTrue(screen.contains("masked: mask[1, 4] = False -> the output"), screen)
        // The engine's run of the edited experiment, here: the emitted output at t=4 is t=3's.
        var e = try ExperimentLoader.load(try ExperimentLoader.readSpec(URL(fileURLWithPath: path)), file: path,
                                          baseDirectory: Self.masks, as: Float.self)
        var valid = try XCTUnwrap(e.stepMask).valid
        valid[1 * 8 + 4] = false
        e.stepMask = try StepMask(valid: valid, batchSize: 3, maxTime: 8)
        let out = try e.run().outputs[0]
        let width = out.shape[2]
        let shown = String(format: "%+.3f", Double(out.scalars[(1 * 8 + 4) * width]))
        XCTAssertEqual(out.scalars[(1 * 8 + 4) * width], out.scalars[(1 * 8 + 3) * width])
        try keys("Tab")
        screen = waitFor("the emitted row") { $0.contains("emitted =last") }
        let emitted = try XCTUnwrap(screen.components(separatedBy: "\n").first { $0.contains("emitted =last") })
        XCTAssertTrue(emitted.contains(shown), "expected \(shown) in: \(emitted)\n\(screen)")

        // Undo: the step valid again.
        try keys("u")
        screen = waitFor("the undo, its frame computed") {
            $0.contains("re-ran: undid: mask[1, 4] = False") && $0.contains("valid: mask[1, 4] = True -> the cell runs")
        }
        XCTAssertTrue(screen.contains(">1 val 8 ########@@######"), screen)

        // C: torch, onnx and tf cannot express the holes: each refused in one line, the next C trying the next
        // convention; the experiment stays Keras'.
        try keys("C")
        screen = waitFor("torch's refusal") { $0.contains("refused: mask: convention torch: example 0's mask is") }
        try keys("C")
        screen = waitFor("onnx's refusal") { $0.contains("refused: mask: convention onnx: example 0's mask is") }
        try keys("C")
        screen = waitFor("tf's refusal") { $0.contains("refused: mask: convention tf: example 0's mask is") }
        XCTAssertTrue(screen.contains("[keras: Keras]"), screen)
        // View 6 under the mask, in ASCII, for example 0 (holes at t=2, 4, 5).
        try keys("Tab", "k", "6")
        screen = waitFor("view 6 under the mask") { $0.contains("Mask effects") && $0.contains("tf: mask:") }
        XCTAssertTrue(screen.unicodeScalars.allSatisfy(\.isASCII), screen)
        XCTAssertTrue(screen.contains("max |diff|"), screen)
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    func testPaddingMovedToTheFrontShowsInViewSix() throws {
        let path = Self.masks.appendingPathComponent("keras_mask_post_lstm.json").path
        try start([path], width: 80, height: 24, env: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
        waitFor("the case") { $0.contains("keras_mask_post_lstm") && $0.contains("done: 6 steps") }
        try keys("Tab", "Tab", "Tab", "j", "p")
        var screen = waitFor("the padding moved") { $0.contains("re-ran: example 1's padding moved to the front") }
        XCTAssertTrue(screen.contains("▶1 val 2 ·  ·  ·  ·  ██████"), screen)
        try keys("6")
        screen = waitFor("view 6 under the mask") { $0.contains("Mask effects") && $0.contains("tf: mask:") }
        XCTAssertTrue(screen.contains("example 1: masked t=0..3, valid t=4, 5;"), screen)
        XCTAssertTrue(screen.contains("keras: with the mask (the reference): skips"), screen)
        XCTAssertTrue(screen.contains("tf: mask: cannot express the batch's"), screen)
        // Back to post-padding: every framework takes it as lengths again.
        try keys("p")
        screen = waitFor("the padding back") { $0.contains("re-ran: example 1's padding moved to the back") }
        try keys("C")
        screen = waitFor("torch") { $0.contains("convention torch: runs as PyTorch does") }
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }
}
