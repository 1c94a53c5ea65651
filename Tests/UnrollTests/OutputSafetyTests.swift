import Foundation
import XCTest
import TestSupport

/// `--output` never damages an input or a special file (issue 21, items 9 and 10): an output that resolves to the
/// experiment file or an archive it names, or that is not a regular file, is refused in one line with exit 1,
/// and the file is left exactly as it was.
final class OutputSafetyTests: XCTestCase {
    private var dir: URL!
    private var json: URL { dir.appendingPathComponent("e.json") }
    private var npz: URL { dir.appendingPathComponent("basic_lstm_masked.npz") }

    override func setUpWithError() throws {
        dir = try BinaryRunner.temporaryDirectory()
        let cases = BinaryRunner.conformanceDirectory
        try FileManager.default.copyItem(at: cases.appendingPathComponent("basic_lstm_masked.json"), to: json)
        try FileManager.default.copyItem(at: cases.appendingPathComponent("basic_lstm_masked.npz"), to: npz)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    /// Runs `arguments`, expects one `error:` line containing `expected`, exit 1, and the inputs unchanged.
    private func assertRefused(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = [try Data(contentsOf: json), try Data(contentsOf: npz)]
        let r = try BinaryRunner.run(arguments)
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains(expected), "expected «\(expected)» in «\(r.stderr)»", file: file, line: line)
        XCTAssertEqual([try Data(contentsOf: json), try Data(contentsOf: npz)], before, "inputs untouched", file: file, line: line)
    }

    func testRunRefusesAnOutputThatIsAnInput() throws {
        try assertRefused(["run", json.path, "-o", npz.path], "would replace the experiment's input \(npz.path)")
        try assertRefused(["run", json.path, "-o", json.path], "would replace the experiment's input")
        let link = dir.appendingPathComponent("link.npz")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: npz.path)
        try assertRefused(["run", json.path, "-o", link.path], "would replace the experiment's input \(npz.path)")
        try assertRefused(["run", json.path, "-o", dir.path + "/./basic_lstm_masked.npz"], "would replace the experiment's input")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), npz.path)
        // Another name still runs.
        XCTAssertEqual(try BinaryRunner.run(["run", json.path, "-o", dir.appendingPathComponent("out.npz").path]).status, 0)
    }

    func testConvertRefusesAnOutputThatIsAnInput() throws {
        // -o e.json: its .npz is e.npz, not an input, but e.json is.
        try assertRefused(["convert", json.path, "--to", "keras", "-o", json.path], "would replace the experiment's input \(json.path)")
        // -o basic_lstm_masked.json: the .npz written beside it is the input archive.
        try assertRefused(["convert", json.path, "--to", "keras", "-o", dir.appendingPathComponent("basic_lstm_masked.json").path],
                          "would replace the experiment's input \(npz.path)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("basic_lstm_masked.json").path))
        // A symbolic link to the input archive, where the .npz would be written.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("k.npz").path, withDestinationPath: npz.path)
        try assertRefused(["convert", json.path, "--to", "keras", "-o", dir.appendingPathComponent("k.json").path],
                          "would replace the experiment's input \(npz.path)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("k.json").path))
    }

    func testSpecialFilesAreRefusedNotReplaced() throws {
        let fifo = dir.appendingPathComponent("fifo.npz")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0, "mkfifo")
        try assertRefused(["run", json.path, "-o", fifo.path], "is not a regular file")
        let devNull = dir.appendingPathComponent("null.npz")
        try FileManager.default.createSymbolicLink(atPath: devNull.path, withDestinationPath: "/dev/null")
        try assertRefused(["run", json.path, "-o", devNull.path], "is not a regular file")
        let fifoNpz = dir.appendingPathComponent("c.npz")
        XCTAssertEqual(mkfifo(fifoNpz.path, 0o600), 0, "mkfifo")
        try assertRefused(["convert", json.path, "--to", "torch", "-o", dir.appendingPathComponent("c.json").path], "is not a regular file")
        for node in [fifo, fifoNpz] {
            let type = try FileManager.default.attributesOfItem(atPath: node.path)[.type] as? FileAttributeType
            XCTAssertNotEqual(type, .typeRegular, "\(node.lastPathComponent) is still a FIFO")
        }
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: devNull.path), "/dev/null")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.json").path))
    }

    /// `convert` whose `.json` cannot be written (here a 2 MB description past a 1 MB `ulimit -f`, SIGXFSZ
    /// ignored so the write fails with EFBIG as on a full disk) leaves no output at all: no `.npz`, no partial
    /// `.json`, no temporary (issue 21, item 11: the `.npz` and a partial `.json` were left).
    func testConvertThatFailsLeavesNoOutput() throws {
        var spec = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any])
        spec["description"] = String(repeating: "x", count: 2_000_000)
        let big = dir.appendingPathComponent("big.json")
        try JSONSerialization.data(withJSONObject: spec).write(to: big)
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        let script = "trap '' XFSZ; ulimit -f 1024; exec \"$0\" \"$@\""
        let r = try ProcessRunner.run(["/bin/sh", "-c", script, BinaryRunner.executable.path, "convert", big.path, "--to", "keras",
                                       "-o", dir.appendingPathComponent("out.json").path])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("out.json: cannot write the experiment file"), r.stderr)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), before, "nothing written, nothing left")
    }

    /// SIGINT or SIGTERM while `run` writes its archive removes the hidden temporary and still ends the process by
    /// that signal (issue 21, item 12: `.out.npz.<UUID>.tmp` was left, up to 115 MB).
    func testSignalDuringAWriteRemovesTheTemporary() throws {
        let exp = dir.appendingPathComponent("big.json")
        // A 50 MB archive: long enough to be caught writing it.
        try #"{"cell": {"type": "basic_rnn", "num_units": 64}, "batch_size": 100, "max_time": 2000, "input_depth": 1}"#
            .write(to: exp, atomically: true, encoding: .utf8)
        for sig in [SIGINT, SIGTERM] {
            let process = Process()
            process.executableURL = BinaryRunner.executable
            process.arguments = ["run", exp.path, "-o", dir.appendingPathComponent("out.npz").path]
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            var sawTemporary = false
            while process.isRunning && Date() < deadline {
                if try FileManager.default.contentsOfDirectory(atPath: dir.path).contains(where: { $0.hasPrefix(".out.npz.") }) {
                    sawTemporary = true
                    usleep(20_000) // some bytes written
                    kill(process.processIdentifier, sig)
                    break
                }
                usleep(2_000)
            }
            process.waitUntilExit()
            XCTAssertTrue(sawTemporary, "the write was not caught in time (signal \(sig))")
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "signal \(sig)")
            XCTAssertEqual(process.terminationStatus, sig)
            let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") || $0 == "out.npz" }
            XCTAssertEqual(left, [], "signal \(sig)")
        }
    }
}
