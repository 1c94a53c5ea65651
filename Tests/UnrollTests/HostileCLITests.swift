import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Every hostile file of issue 10 through the built `unroll`, for both `run` and `shapes`, under a 4 GB
/// address-space limit: exit 1 and one `error:` line naming the file and the problem, within 2 s and 200 MB.
final class HostileCLITests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// Writes `json` as an experiment beside `files`, runs both commands on it and checks each outcome.
    private func assertRefused(_ json: String, files: [String: Data] = [:], fifo: String? = nil, _ fragments: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
        if let fifo { XCTAssertEqual(mkfifo(dir.appendingPathComponent(fifo).path, 0o600), 0, file: file, line: line) }
        let experiment = dir.appendingPathComponent("e.json")
        if fifo != "e.json" { try Data(json.utf8).write(to: experiment) }
        let out = dir.appendingPathComponent("out.npz")
        for arguments in [["run", experiment.path, "--output", out.path], ["shapes", experiment.path]] {
            let r = try BinaryRunner.runLimited(arguments)
            let label = arguments[0]
            XCTAssertFalse(r.timedOut, "\(label) hung", file: file, line: line)
            XCTAssertNil(r.signal, "\(label) died of signal \(r.signal ?? 0): \(r.stderr)", file: file, line: line)
            XCTAssertEqual(r.status, 1, "\(label): \(r.stderr)", file: file, line: line)
            XCTAssertTrue(r.stderr.hasPrefix("error: \(experiment.path): "), "\(label): \(r.stderr)", file: file, line: line)
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "\(label): one line: \(r.stderr)", file: file, line: line)
            XCTAssertLessThanOrEqual(r.stderr.count, 700, "\(label)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(r.stderr.contains(fragment), "\(label): «\(r.stderr)» lacks «\(fragment)»", file: file, line: line)
            }
            XCTAssertLessThan(r.seconds, 2, "\(label) took \(r.seconds) s", file: file, line: line)
            XCTAssertLessThan(r.peakMegabytes, 200, "\(label) reached \(r.peakMegabytes) MB", file: file, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no output on error", file: file, line: line)
        }
    }

    private let lstm = #""cell": {"type": "lstm", "num_units": 3}"#

    func testDeepHeader() throws {
        try assertRefused(#"{\#(lstm), "inputs": "deep.npz"}"#,
                          files: ["deep.npz": HostileFiles.zip([HostileFiles.stored("inputs.npy", HostileFiles.deepShapeHeader(depth: 32_000))])],
                          ["inputs: deep.npz: ", "entry 'inputs.npy'", "nested more than 16 levels deep"])
        try assertRefused(#"{\#(lstm), "inputs": "extra.npz"}"#,
                          files: ["extra.npz": HostileFiles.zip([HostileFiles.stored("inputs.npy", HostileFiles.deepExtraKeyHeader(depth: 18_000))])],
                          ["inputs: extra.npz: ", "nested more than 16 levels deep"])
    }

    func testLyingSizesAndZip64Bomb() throws {
        try assertRefused(#"{\#(lstm), "inputs": "lying.npz"}"#, files: ["lying.npz": HostileFiles.lyingSizeArchive()],
                          ["lying.npz", "claims 4294967024 bytes of data, but only"])
        try assertRefused(#"{\#(lstm), "inputs": "zip64.npz"}"#, files: ["zip64.npz": try HostileFiles.zip64Bomb()],
                          ["zip64.npz", "deflate cannot expand more than 1032:1"])
    }

    func testInflateBombs() throws {
        // 4 GB declared in one entry, then 2 GB in each of two: the budget refuses them from their headers alone.
        try assertRefused(#"{\#(lstm), "inputs": "one.npz"}"#,
                          files: ["one.npz": try HostileFiles.inflateBomb(keys: ["inputs"], gigabytes: 4)],
                          ["allowed (half of the room left under the address-space limit, ulimit -v)"])
        try assertRefused(#"{\#(lstm), "batch_size": 2, "max_time": 3, "input_depth": 2, "weights": "two.npz"}"#,
                          files: ["two.npz": try HostileFiles.inflateBomb(keys: ["rnn/a", "rnn/b"], gigabytes: 2)],
                          ["arrays read from files: 4.0 GB", "allowed (half of the room left under the address-space limit, ulimit -v)"])
        try assertRefused(#"{\#(lstm), "inputs": "over.npz"}"#, files: ["over.npz": try HostileFiles.overInflatingArchive()],
                          ["over.npz", "inflates past its declared"])
    }

    func testHugeGeneratedExperiment() throws {
        try assertRefused(HostileFileTests.hugeGenerated, ["inputs: this experiment would need about",
                                                          "allowed (half of the room left under the address-space limit, ulimit -v)"])
    }

    func testShapesAllocatesNoInputs() throws {
        // 5·10⁷ generated values (200 MB of float32, within the budget): `shapes` reports them without making them.
        let json = #"{"cell":{"type":"basic_rnn","num_units":1},"batch_size":10000,"max_time":5000,"input_depth":1}"#
        let experiment = dir.appendingPathComponent("big.json")
        try Data(json.utf8).write(to: experiment)
        let r = try BinaryRunner.runLimited(["shapes", experiment.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("inputs") && r.stdout.contains("[10000, 5000, 1]"), r.stdout)
        XCTAssertLessThan(r.peakMegabytes, 120, "shapes reached \(r.peakMegabytes) MB")
        XCTAssertLessThan(r.seconds, 2)
        // The same inputs from an archive: only the header is read.
        try HostileFiles.declaredOnly(keys: ["inputs"], shape: [10000, 5000, 1]).write(to: dir.appendingPathComponent("big.npz"))
        try Data(#"{"cell":{"type":"basic_rnn","num_units":1},"inputs":"big.npz"}"#.utf8).write(to: experiment)
        let fromFile = try BinaryRunner.runLimited(["shapes", experiment.path])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        XCTAssertTrue(fromFile.stdout.contains("[10000, 5000, 1]"), fromFile.stdout)
        XCTAssertLessThan(fromFile.peakMegabytes, 120, "shapes reached \(fromFile.peakMegabytes) MB")
    }

    func testFifos() throws {
        try assertRefused(#"{\#(lstm), "inputs": "pipe.npz"}"#, fifo: "pipe.npz", ["inputs: pipe.npz: is a FIFO (named pipe), not a regular file"])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("e.json"))
        try assertRefused("", fifo: "e.json", ["is a FIFO (named pipe), not a regular file"])
    }

    func testUserTextInMessages() throws {
        let cellType = String(repeating: "lstm\\n", count: 50)
        try assertRefused(#"{"cell": {"type": "\#(cellType)", "num_units": 2}}"#, ["lstm\\nlstm"])
        try assertRefused(#"{"cell": {"type": "gru", "num_units": 2}, "dtype": "float\n32\n"}"#.replacingOccurrences(of: "\n", with: "\\n"), ["float\\n32"])
        try assertRefused(#"{"cell": {"type": "gru", "num_units": 2}, "inputs": "\#(String(repeating: "p", count: 1_000_000)).npz"}"#,
                          ["inputs: ppp", "…"])
        try assertRefused(#"{"cell": {"type": "gru", "num_units": 2}, "batch_size": 2, "max_time": 2, "input_depth": 1, "sequence_length": [1, "a\nb"]}"#
                            .replacingOccurrences(of: "\n", with: "\\n"), ["sequence_length"])
    }
}
