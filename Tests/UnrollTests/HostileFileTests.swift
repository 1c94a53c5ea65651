@testable import Experiment
import Foundation
import RNNEngine
import XCTest
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Hostile files (issue 10) read through the library: each is refused with a clear error, quickly, before any
/// large allocation. `HostileCLITests` drives the same files through the built `unroll` under a memory limit.
final class HostileFileTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func write(_ data: Data, _ name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    private func assertThrows<T>(_ fragments: [String], within seconds: Double = 1, file: StaticString = #filePath,
                                 line: UInt = #line, _ body: () throws -> T) {
        let start = Date()
        do {
            _ = try body()
            XCTFail("expected an error containing \(fragments)", file: file, line: line)
        } catch {
            let text = "\(error)"
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "«\(text)» lacks «\(fragment)»", file: file, line: line)
            }
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            XCTAssertLessThanOrEqual(text.count, 700, file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, file: file, line: line)
    }

    // MARK: - 1. Headers

    func testDeeplyNestedHeadersAreRefusedAtTheDepthLimit() throws {
        assertThrows(["nested more than 16 levels deep"]) { try Npy.decode(HostileFiles.deepShapeHeader(depth: 32_000)) }
        assertThrows(["nested more than 16 levels deep"]) { try Npy.decode(HostileFiles.deepExtraKeyHeader(depth: 18_000)) }
        // The same inside an archive.
        let url = try write(HostileFiles.zip([HostileFiles.stored("inputs.npy", HostileFiles.deepShapeHeader(depth: 32_000))]), "deep.npz")
        assertThrows(["deep.npz, entry 'inputs.npy'", "nested more than 16 levels deep"]) { try Npz.read(url) }
        // Up to the limit, nesting is only a wrong type for 'shape'.
        assertThrows(["'shape' must be a tuple of integers"]) { try Npy.decode(HostileFiles.deepShapeHeader(depth: 15)) }
    }

    func testHeadersNeedExactlyNumpysKeys() {
        let payload = Data(count: 8)
        assertThrows(["header has unexpected key 'extra'", "exactly 'descr', 'fortran_order' and 'shape'"]) {
            try Npy.decode(HostileFiles.npy(dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", payload: payload))
        }
        assertThrows(["header has no 'fortran_order' key"]) {
            try Npy.decode(HostileFiles.npy(dict: "{'descr': '<f4', 'shape': (2,)}", payload: payload))
        }
        assertThrows(["more than 24 digits"]) {
            try Npy.decode(HostileFiles.npy(dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (\(String(repeating: "9", count: 5000)),)}"))
        }
        assertThrows(["'shape' has 65 dimensions; at most 64"]) {
            try Npy.decode(HostileFiles.npy(dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (\(Array(repeating: "1", count: 65).joined(separator: ","))), }"))
        }
    }

    // MARK: - 2. Declared sizes

    func testLyingSizesAreRefusedBeforeAllocating() throws {
        let lying = try write(HostileFiles.lyingSizeArchive(), "lying.npz")
        assertThrows(["lying.npz, entry 'inputs.npy'", "claims 4294967024 bytes of data, but only"]) { try Npz.read(lying) }
        let bomb = try write(HostileFiles.zip64Bomb(), "zip64.npz")
        assertThrows(["zip64.npz, entry 'inputs.npy'", "deflate cannot expand more than 1032:1"]) { try Npz.read(bomb) }
        // A header claiming more than the bytes its (honest) entry holds.
        let short = HostileFiles.npyHeader([1_000_000]) + Data(count: 16)
        let truncated = try write(HostileFiles.zip([HostileFiles.stored("a.npy", short)]), "short.npz")
        assertThrows(["data is truncated", "needs 4000000 bytes, got 16"]) { try Npz.read(truncated) }
    }

    func testArraysBeyondTheAllowanceAreRefusedFromTheirHeadersAlone() throws {
        let url = try write(HostileFiles.inflateBomb(keys: ["rnn/a", "rnn/b"], gigabytes: 2), "two.npz")
        let archive = try NpzArchive(url)
        XCTAssertEqual(try archive.info("rnn/a").byteCount, 2_000_000_000)
        assertThrows(["two.npz: its arrays need more than 4.0 GB", "more than the 3.0 GB"]) {
            try archive.arrays(["rnn/a", "rnn/b"], maxBytes: 3_000_000_000)
        }
        assertThrows(["two.npz, entry 'rnn/a.npy'", "needs 2.0 GB, more than the 1.0 GB"]) {
            try archive.array("rnn/a", maxBytes: 1_000_000_000)
        }
    }

    func testArchivesWithTooManyEntriesAreRefused() throws {
        let tiny = Npy.encode(try NumpyArray(float32: [1], shape: [1]))
        let entries = (0..<10_001).map { HostileFiles.stored("a\($0).npy", tiny) }
        let url = try write(HostileFiles.zip(entries), "many.npz")
        assertThrows(["many.npz: not a readable zip archive (it declares 10001 entries; more than 10000"]) { try Npz.keys(url) }
        // An end record that understates the count: the directory itself is cut off at the limit.
        var data = HostileFiles.zip(entries)
        data.replaceSubrange(data.count - 14..<data.count - 10, with: [1, 0, 1, 0])
        let lying = try write(data, "lying-count.npz")
        assertThrows(["lying-count.npz: not a readable zip archive (more than 10000 entries are not read"]) { try Npz.keys(lying) }
        let fewer = try write(HostileFiles.zip(Array(entries.prefix(1000))), "fewer.npz")
        XCTAssertEqual(try Npz.keys(fewer).count, 1000)
    }

    func testInflationStopsAtTheDeclaredSize() throws {
        let url = try write(HostileFiles.overInflatingArchive(), "over.npz")
        assertThrows(["over.npz, entry 'inputs.npy'", "inflates past its declared"], within: 0.5) { try Npz.read(url) }
    }

    func testCutShortAndCorruptDeflateStreamsEnd() throws {
        // A deflate stream cut in the middle (ZIPFoundation's reader spins forever on this one).
        let entry = try HostileFiles.deflated("a.npy", count: 4096) { range in
            Data((range).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        }
        var cut = entry
        cut.payload = entry.payload.prefix(entry.payload.count / 2)
        cut.claimedCompressed = UInt64(cut.payload.count)
        let url = try write(HostileFiles.zip([cut]), "cut.npz")
        assertThrows(["cut.npz, entry 'a.npy'"]) { try Npz.read(url) }
    }

    // MARK: - 3. Only what the experiment uses

    func testUnusedEntriesAreNeverDecoded() throws {
        let junk = HostileFiles.stored("junk.npy", HostileFiles.deepShapeHeader(depth: 32_000))
        var lying = HostileFiles.stored("rnn_other/kernel.npy", Data(count: 100), claimedSize: 4_294_967_024)
        lying.zip64 = false
        _ = try write(HostileFiles.zip([HostileFiles.stored("inputs.npy", try HostileFiles.inputsNpy()), junk, lying]), "mixed.npz")
        let json = #"{"cell": {"type": "basic_rnn", "num_units": 3}, "inputs": "mixed.npz"}"#
        let specURL = try write(Data(json.utf8), "e.json")
        let spec = try ExperimentLoader.readSpec(specURL)
        let loaded = try ExperimentLoader.load(spec, file: specURL.path, baseDirectory: URL(fileURLWithPath: dir.path, isDirectory: true), as: Float.self)
        XCTAssertEqual(loaded.inputs.shape, [2, 3, 2])
        XCTAssertEqual(loaded.inputs.scalars.prefix(3), [0.1, 0.2, 0.3])
        // Asked for, the junk entry is refused.
        assertThrows(["nested more than 16 levels deep"]) { try Npz.read(dir.appendingPathComponent("mixed.npz"), key: "junk") }
    }

    // MARK: - 4. The memory budget

    func testBudgetIsTheLeastOfTheLimits() {
        XCTAssertEqual(MemoryBudget.Limits(physical: 16e9).budget, 8e9)
        XCTAssertEqual(MemoryBudget.Limits(physical: 16e9, cgroup: 2e9).budget, 1e9)
        XCTAssertEqual(MemoryBudget.Limits(physical: 16e9, cgroup: 2e9, addressSpace: 1.5e9).budget, 0.75e9)
        XCTAssertEqual(MemoryBudget.Limits(physical: 16e9, cgroup: 2e9, addressSpace: 3e9, data: 1e9).budget, 0.5e9)
        XCTAssertEqual(MemoryBudget.Limits(physical: 16e9, addressSpace: -5).budget, 0)
        XCTAssertTrue(MemoryBudget.Limits(physical: 16e9, addressSpace: 1e9).reason.contains("ulimit -v"))
        XCTAssertTrue(MemoryBudget.Limits(physical: 16e9, cgroup: 1e9).reason.contains("cgroup"))
        XCTAssertTrue(MemoryBudget.Limits(physical: 16e9, data: 1e9).reason.contains("ulimit -d"))
        XCTAssertEqual(MemoryBudget.Limits(physical: 16e9, cgroup: 20e9).reason, "half of this machine's memory")
    }

    func testCgroupLimitsAreReadForVersion1And2() throws {
        let fs = FileManager.default
        let root = dir.appendingPathComponent("cgroup")
        try fs.createDirectory(at: root.appendingPathComponent("job/a"), withIntermediateDirectories: true)
        try fs.createDirectory(at: root.appendingPathComponent("memory/box"), withIntermediateDirectories: true)
        try "1073741824\n".write(to: root.appendingPathComponent("job/a/memory.max"), atomically: true, encoding: .utf8)
        try "max\n".write(to: root.appendingPathComponent("memory.max"), atomically: true, encoding: .utf8)
        try "536870912\n".write(to: root.appendingPathComponent("memory/box/memory.limit_in_bytes"), atomically: true, encoding: .utf8)
        try "9223372036854771712\n".write(to: root.appendingPathComponent("memory/memory.limit_in_bytes"), atomically: true, encoding: .utf8)
        let v2 = try write(Data("0::/job/a\n".utf8), "v2")
        XCTAssertEqual(MemoryBudget.cgroupLimit(procCgroup: v2.path, root: root.path), 1_073_741_824)
        let v1 = try write(Data("4:memory:/box\n3:cpuset:/\n".utf8), "v1")
        XCTAssertEqual(MemoryBudget.cgroupLimit(procCgroup: v1.path, root: root.path), 536_870_912)
        let none = try write(Data("0::/\n".utf8), "none")
        XCTAssertNil(MemoryBudget.cgroupLimit(procCgroup: none.path, root: root.path))
    }

    /// The 118-byte experiment of the issue: 5·10⁸ generated input values.
    static let hugeGenerated = #"{"cell":{"type":"basic_rnn","num_units":1},"batch_size":100000,"max_time":5000,"input_depth":1}"#

    func testTheEstimateCountsOutputsAndRefusesTheHugeGeneratedExperiment() throws {
        let spec = try ExperimentSpec.parse(Data(Self.hugeGenerated.utf8), file: "huge.json")
        let (total, parts) = MemoryBudget.estimate(spec)
        // Inputs 2 GB of float32, outputs 2 GB twice over (the result and its .npz copy).
        XCTAssertEqual(parts.first { $0.0 == "inputs" }?.1, 2e9)
        XCTAssertEqual(parts.first { $0.0 == "outputs" }?.1, 4e9)
        XCTAssertGreaterThan(total, 6e9)
        XCTAssertThrowsError(try MemoryBudget.check(spec, file: "huge.json", limits: .init(physical: 32e9, addressSpace: 4e9))) {
            XCTAssertTrue("\($0)".contains("more than the 2.0 GB allowed (half of the room left under the address-space limit, ulimit -v)"), "\($0)")
        }
        XCTAssertNoThrow(try MemoryBudget.check(spec, file: "huge.json", limits: .init(physical: 32e9)))
    }

    // MARK: - 5. Regular files only

    func testFifosDevicesAndDirectoriesAreRefusedAtOnce() throws {
        let fifo = dir.appendingPathComponent("pipe.npz")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        assertThrows(["pipe.npz: is a FIFO (named pipe), not a regular file"]) { try Npz.read(fifo) }
        assertThrows(["pipe.npz: is a FIFO (named pipe), not a regular file"]) { try ExperimentLoader.readSpec(fifo) }
        assertThrows(["/dev/zero: is a device, not a regular file"]) { try Npz.read(URL(fileURLWithPath: "/dev/zero")) }
        assertThrows(["/dev/zero: is a device, not a regular file"]) { try ExperimentLoader.readSpec(URL(fileURLWithPath: "/dev/zero")) }
        assertThrows(["is a directory"]) { try ExperimentLoader.readSpec(dir) }
        // A symbolic link is followed: a link to a FIFO is refused like the FIFO.
        let link = dir.appendingPathComponent("link.npz")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: fifo)
        assertThrows(["link.npz: is a FIFO"]) { try Npz.read(link) }
        // Named by an experiment.
        let specURL = try write(Data(#"{"cell": {"type": "gru", "num_units": 2}, "inputs": "pipe.npz"}"#.utf8), "e.json")
        let spec = try ExperimentLoader.readSpec(specURL)
        assertThrows(["e.json: inputs: pipe.npz: is a FIFO"]) {
            try ExperimentLoader.load(spec, file: specURL.path, baseDirectory: URL(fileURLWithPath: dir.path, isDirectory: true), as: Float.self)
        }
    }

    // MARK: - 6. Messages

    func testMessagesQuoteUserTextOnOneLine() throws {
        XCTAssertEqual(SafeText.quote("a\nb\tc\u{1b}[31m"), "a\\nb\\tc\\u{1b}[31m")
        let long = String(repeating: "x", count: 1_000_000) + "/end.npz"
        let cut = SafeText.quote(long, limit: 100)
        XCTAssertLessThanOrEqual(cut.count, 100)
        XCTAssertTrue(cut.contains("…") && cut.hasSuffix("/end.npz") && cut.hasPrefix("xxx"), cut)
        XCTAssertEqual(SafeText.quote("short"), "short")

        let newlines = String(repeating: "lstm\n", count: 50)
        let json = #"{"cell": {"type": "\#(newlines.replacingOccurrences(of: "\n", with: "\\n"))", "num_units": 2}}"#
        assertThrows(["lstm\\nlstm"]) { try ExperimentSpec.parse(Data(json.utf8), file: "cell.json") }
        let longPath = String(repeating: "d", count: 1_000_000) + ".npz"
        let pathJSON = #"{"cell": {"type": "gru", "num_units": 2}, "inputs": "\#(longPath)"}"#
        let specURL = try write(Data(pathJSON.utf8), "long.json")
        let spec = try ExperimentLoader.readSpec(specURL)
        assertThrows(["long.json: inputs: ddd", "…"]) {
            try ExperimentLoader.load(spec, file: specURL.path, baseDirectory: URL(fileURLWithPath: dir.path, isDirectory: true), as: Float.self)
        }
        let error = ExperimentError(file: "a\nb", field: "c\rd", String(repeating: "e\n", count: 10_000))
        XCTAssertFalse(error.description.contains("\n") || error.description.contains("\r"))
        XCTAssertLessThanOrEqual(error.description.count, 700)
    }
}
