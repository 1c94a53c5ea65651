import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
import TestSupport

/// Runs the real `unroll` binary in tmux, sends keys, and reads the screen with `capture-pane`.
final class ExplorerEndToEndTests: XCTestCase {
    var socket = ""
    var session = ""
    var workDir: URL!

    override func setUpWithError() throws {
        guard let _ = Self.which("tmux") else { throw SetUpFailure("tmux is not installed (apt-get install tmux; .ci/run installs it): the end-to-end tests drive the explorer in it") }
        guard Self.binary != nil else { throw SetUpFailure("the unroll binary was not found next to the tests (swift test builds it)") }
        socket = "unroll-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        session = "ex"
        workDir = FileManager.default.temporaryDirectory.appendingPathComponent(socket)
        try FileManager.default.createDirectory(at: workDir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if !socket.isEmpty { _ = try? Self.run(["tmux", "-L", socket, "kill-server"]) }
        if let d = workDir { try? FileManager.default.removeItem(at: d) }
    }

    // MARK: - Locating things

    /// The built `unroll` (next to the test bundle), or nil when it is missing.
    static let binary: URL? = FileManager.default.isExecutableFile(atPath: BinaryRunner.executable.path) ? BinaryRunner.executable : nil

    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Runs a command (looked up on PATH) through the tests' one process runner.
    @discardableResult
    static func run(_ args: [String]) throws -> (status: Int32?, out: String, err: String) {
        let r = try ProcessRunner.run(args)
        return (r.status, r.stdout, r.stderr)
    }

    // MARK: - tmux helpers

    func tmux(_ args: String...) throws {
        try Self.run(["tmux", "-L", socket] + args)
    }

    var statusFile: URL { workDir.appendingPathComponent("status") }

    /// Starts `unroll ARGS` in a detached session of the given size with the given environment.
    func start(_ args: [String], width: Int, height: Int, env: [String: String]) throws {
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let envPart = env.map { "\($0.key)=\(q($0.value))" }.joined(separator: " ")
        let bin = Self.binary?.path ?? "unroll"
        let command = "env -u LC_ALL -u LC_CTYPE \(envPart) \(q(bin)) \(args.map(q).joined(separator: " ")); echo \"EXIT=$?\" > \(q(statusFile.path)); sleep 30"
        try Self.run(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session,
                      "-x", String(width), "-y", String(height), command])
    }

    func capture() -> String {
        (try? Self.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", session]).out) ?? ""
    }

    func keys(_ k: String...) throws {
        try Self.run(["tmux", "-L", socket, "send-keys", "-t", session] + k)
    }

    /// Waits until the screen satisfies `condition`; fails with the last screen otherwise.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 30, file: StaticString = #filePath, line: UInt = #line,
                 _ condition: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = capture()
            if condition(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTFail("timed out waiting for \(what); screen:\n\(screen)", file: file, line: line)
        return screen
    }

    func waitForExit(timeout: TimeInterval = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try? String(contentsOf: statusFile, encoding: .utf8), s.contains("EXIT=") {
                return s.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    // MARK: - Tests

    /// An experiment the explorer was not written for: a GRU(5) → LSTM(7, peepholes) stack, generated data.
    func writeExperiment() throws -> URL {
        let json = """
        {
          "name": "e2e stack",
          "description": "GRU(5) then LSTM(7) with peepholes over uneven lengths",
          "cell": {"type": "multi", "cells": [{"type": "gru", "num_units": 5},
                                             {"type": "lstm", "num_units": 7, "use_peepholes": true}]},
          "sequence_length": [9, 3, 6, 1],
          "batch_size": 4, "max_time": 9, "input_depth": 3, "seed": 3
        }
        """
        let url = workDir.appendingPathComponent("e2e.json")
        try Data(json.utf8).write(to: url)
        return url
    }

    func testOpensStepsTogglesHelpResizesAndQuits() throws {
        let file = try writeExperiment()
        try start([file.path], width: 120, height: 40, env: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
        // Wait for the whole first screen (the status line may be drawn before the panes under load).
        var screen = waitFor("the first screen") {
            $0.contains("[4, 9, 3]") && $0.contains("e2e stack") && $0.contains("c=[4, 7] h=[4, 7]")
        }
        XCTAssertTrue(screen.contains("e2e stack"), screen)
        XCTAssertTrue(screen.contains("GRU(5) then LSTM(7)"), screen)
        XCTAssertTrue(screen.contains("[4, 5]"), "layer 0 state shape missing:\n\(screen)")
        XCTAssertTrue(screen.contains("c=[4, 7] h=[4, 7]"), "layer 1 state shape missing:\n\(screen)")

        try keys("l", "l", "l")
        waitFor("t=3") { $0.contains("t=3 of max_time 9") }
        try keys("Left")
        screen = waitFor("t=2") { $0.contains("t=2 of max_time 9") }
        XCTAssertFalse(screen.contains("t=3 of max_time 9"))

        try keys("t")
        screen = waitFor("time-major inputs") { $0.contains("[9, 4, 3]") && $0.contains("[time, batch, depth]") }
        XCTAssertTrue(screen.contains("[time, batch, depth]"), screen)

        try keys("?")
        screen = waitFor("help") { $0.contains("Help (Esc closes)") }
        XCTAssertTrue(screen.contains("quit (exit status 0)"), screen)
        try keys("Escape")
        waitFor("help closed") { !$0.contains("Help (Esc closes)") }

        try tmux("resize-window", "-t", session, "-x", "30", "-y", "8")
        waitFor("the enlarge screen") { $0.contains("enlarge") }
        try tmux("resize-window", "-t", session, "-x", "120", "-y", "40")
        waitFor("the main screen again") { $0.contains("[9, 4, 3]") && $0.contains("t=2 of max_time 9") }

        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    func testPlainASCIIUnderLangC() throws {
        try start([], width: 80, height: 24, env: ["LANG": "C", "TERM": "xterm"])
        let screen = waitFor("the built-in experiment") { $0.contains("t=0 of max_time 9") }
        XCTAssertTrue(screen.contains("[4, 9, 3]"), screen)
        XCTAssertTrue(screen.unicodeScalars.allSatisfy { $0.isASCII }, "non-ASCII under LANG=C:\n\(screen)")
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    /// Defect 5: with 8 colours (TERM=xterm) unfocused pane borders are not drawn in black (they vanished on a
    /// dark background).
    func testUnfocusedBordersAreNotBlackWithEightColours() throws {
        try start([], width: 80, height: 24, env: ["LANG": "C.UTF-8", "TERM": "xterm"])
        waitFor("the built-in experiment") { $0.contains("t=0 of max_time 9") }
        let styled = (try? Self.run(["tmux", "-L", socket, "capture-pane", "-e", "-p", "-t", session]).out) ?? ""
        let stackBorder = try XCTUnwrap(styled.split(separator: "\n").first { $0.contains("Stack") })
        // The escape right before the border's corner sets its colour: not black (30).
        let corner = try XCTUnwrap(stackBorder.range(of: "┌"))
        let before = String(stackBorder[..<corner.lowerBound])
        XCTAssertFalse(before.hasSuffix("\u{1B}[30m"), "border drawn in black: \(before.debugDescription)")
        XCTAssertFalse(before.contains("[30m"), before.debugDescription)
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    /// The three lecture views in a real terminal at 80x24: Unicode with colour, then ASCII without colour.
    func testViewsAt80x24() throws {
        try start([], width: 80, height: 24, env: ["LANG": "C.UTF-8", "TERM": "xterm-256color"])
        waitFor("the built-in experiment") { $0.contains("t=0 of max_time 9") }
        try keys("j", "l", "l", "l", "l", "l", "2")
        // Each wait asks for everything checked after it: on a loaded machine a view's title can be drawn before
        // its contents are computed.
        var screen = waitFor("the unrolled network") { $0.contains("Unrolled network") && $0.contains("══copy═▶") }
        XCTAssertTrue(screen.contains("══copy═▶"), screen)
        XCTAssertTrue(screen.contains("[lstm"), screen)
        try keys("3")
        screen = waitFor("the equations") {
            $0.contains("Equations") && $0.contains("f = σ(W_f·[x, h] + b_f + forget_bias)") && $0.contains("c = f·c_prev + i·j")
        }
        XCTAssertTrue(screen.contains("c = f·c_prev + i·j"), screen)
        try keys("4")
        screen = waitFor("the saturation chart") { $0.contains("Gate saturation") && $0.contains("< 0.1") }
        XCTAssertTrue(screen.contains("< 0.1"), screen)
        try keys("1")
        waitFor("the frame again") { $0.contains("i input gate") }
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    func testViewsInASCIIWithoutColour() throws {
        try start([], width: 80, height: 24, env: ["LANG": "C", "TERM": "xterm", "NO_COLOR": "1"])
        waitFor("the built-in experiment") { $0.contains("t=0 of max_time 9") }
        for (key, title) in [("2", "Unrolled network"), ("3", "Equations"), ("4", "Gate saturation")] {
            try keys("j", "G", key)
            let screen = waitFor(title) { $0.contains(title) }
            XCTAssertTrue(screen.unicodeScalars.allSatisfy(\.isASCII), "non-ASCII under LANG=C in \(title):\n\(screen)")
        }
        try keys("2")
        // Both parts waited for together: a capture may catch the screen half drawn.
        XCTAssertTrue(waitFor("the ASCII bypass") { $0.contains("==copy=>") && $0.contains("[lstm") }.contains("[lstm"))
        try keys("3")
        XCTAssertTrue(waitFor("ASCII equations") { $0.contains("f = sigma(") }.contains("f = sigma("))
        try keys("q")
        XCTAssertEqual(waitForExit(), "EXIT=0")
    }

    func testBadFileFailsBeforeOpeningTheTerminal() throws {
        guard let bin = Self.binary else { return XCTFail("the unroll binary was not found next to the tests") }
        let bad = workDir.appendingPathComponent("bad.json")
        try Data(#"{"name": "x", "cell": {"type": "lstm", "num_units": 0}, "batch_size": 1, "max_time": 2, "input_depth": 1}"#.utf8).write(to: bad)
        let r = try Self.run([bin.path, bad.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.hasPrefix("error: \(bad.path): cell.num_units:"), r.err)
        let missing = try Self.run([bin.path, workDir.appendingPathComponent("nope.json").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("no such file"), missing.err)
    }
}

/// Why an end-to-end test cannot run: thrown from `setUpWithError`, so the test fails (never skips) with the reason.
struct SetUpFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
