import Foundation
import XCTest
@testable import Experiment
import TestSupport

final class NpzTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("NpzTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Helpers

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let conformanceCases = RepositoryPaths.conformanceCases


    /// The files in the test directory (to check nothing half-written is left behind).
    func directoryContents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    func sampleArrays() throws -> [(String, NumpyArray)] {
        [
            ("rnn/lstm_cell/kernel", try NumpyArray(float32: (0..<24).map { Float($0) / 7 }, shape: [2, 3, 4])),
            ("rnn/lstm_cell/bias", try NumpyArray(float64: [0.1, -0.2, 0.3, 1e-300, -4, 5], shape: [6])),
            ("expected/state/0/c", try NumpyArray(int32: [Int32.min, 0, Int32.max], shape: [3])),
            ("scalar", try NumpyArray(int64: [-9], shape: [])),
            ("empty", try NumpyArray(float32: [], shape: [0])),
            ("inputs", try NumpyArray(float64: [], shape: [2, 0, 3])),
        ]
    }

    // MARK: - Round trips

    func testRoundTripStoredAndCompressed() throws {
        let arrays = try sampleArrays()
        for compressed in [false, true] {
            let url = directory.appendingPathComponent(compressed ? "c.npz" : "s.npz")
            try Npz.write(arrays, to: url, compressed: compressed)
            XCTAssertEqual(try Npz.keys(url), arrays.map(\.0))
            let read = try Npz.read(url)
            XCTAssertEqual(read.count, arrays.count)
            for (key, array) in arrays {
                XCTAssertEqual(read[key], array, key)
                XCTAssertEqual(try Npz.read(url, key: key), array, key)
            }
        }
        XCTAssertEqual(try directoryContents(), ["c.npz", "s.npz"])
    }

    func testCompressedIsSmallerForRedundantData() throws {
        let array = try NumpyArray(float32: [Float](repeating: 1, count: 10_000), shape: [100, 100])
        let stored = directory.appendingPathComponent("stored.npz")
        let deflated = directory.appendingPathComponent("deflated.npz")
        try Npz.write([("x", array)], to: stored)
        try Npz.write([("x", array)], to: deflated, compressed: true)
        let size = { (url: URL) in try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int ?? 0 }
        XCTAssertGreaterThan(try size(stored), 40_000)
        XCTAssertLessThan(try size(deflated), 2_000)
        XCTAssertEqual(try Npz.read(deflated)["x"], array)
    }

    func testOverwritesAnExistingArchive() throws {
        let url = directory.appendingPathComponent("out.npz")
        try Npz.write([("a", NumpyArray(int32: [1], shape: [1]))], to: url)
        try Npz.write([("b", NumpyArray(int32: [2], shape: [1]))], to: url)
        XCTAssertEqual(try Npz.keys(url), ["b"])
        XCTAssertEqual(try directoryContents(), ["out.npz"])
    }

    // MARK: - Streaming sources

    func testStreamsALargeArrayInChunks() throws {
        let count = 300_000  // 1.2 MB: several chunks, and chunk edges fall inside elements.
        var requested: [Range<Int>] = []
        let source = try NpzEntrySource(shape: [count / 100, 100], dtype: .float32) { range in
            requested.append(range)
            let values = range.map { Float($0) * 0.5 }
            return values.withUnsafeBufferPointer { Data(buffer: $0) }
        }
        for compressed in [false, true] {
            requested = []
            let url = directory.appendingPathComponent("big-\(compressed).npz")
            try Npz.write([("outputs", source), ("small", NpzEntrySource(NumpyArray(int64: [1, 2], shape: [2])))],
                          to: url, compressed: compressed)
            XCTAssertGreaterThan(requested.count, 3)
            XCTAssertTrue(requested.allSatisfy { $0.count < count / 2 }, "asked for too much at once")
            XCTAssertEqual(requested.first?.lowerBound, 0)
            XCTAssertEqual(requested.last?.upperBound, count)

            let read = try Npz.read(url)
            XCTAssertEqual(read["outputs"]?.shape, [count / 100, 100])
            let values = read["outputs"]?.asFloats() ?? []
            XCTAssertEqual(values.count, count)
            XCTAssertTrue(values.enumerated().allSatisfy { $0.element == Float($0.offset) * 0.5 })
            XCTAssertEqual(read["small"]?.asInts(), [1, 2])
        }
    }

    func testFailingSourceLeavesNoFileAndKeepsTheOldOne() throws {
        let url = directory.appendingPathComponent("out.npz")
        let good = try NumpyArray(float64: [1, 2, 3], shape: [3])
        try Npz.write([("good", good)], to: url)

        let shortSource = try NpzEntrySource(shape: [10], dtype: .float64) { range in
            Data(count: (range.count - 1) * 8)
        }
        assertNumpyError(["out.npz, entry 'broken.npy'", "gave 72 bytes for elements 0..<10, expected 80"]) {
            try Npz.write([("ok", NpzEntrySource(good)), ("broken", shortSource)], to: url)
        }
        struct EngineFailure: Error {}
        let throwingSource = try NpzEntrySource(shape: [2], dtype: .int32) { _ in throw EngineFailure() }
        assertNumpyError(["out.npz, entry 'x.npy': cannot write the entry: EngineFailure"]) {
            try Npz.write([("x", throwingSource)], to: url, compressed: true)
        }

        XCTAssertEqual(try directoryContents(), ["out.npz"])
        XCTAssertEqual(try Npz.read(url), ["good": good])
    }

    func testWriteRejectsBadKeysAndUnwritableDestinations() throws {
        let array = try NumpyArray(int32: [1], shape: [1])
        let url = directory.appendingPathComponent("k.npz")
        assertNumpyError(["k.npz", "array key 'a' appears twice"]) { try Npz.write([("a", array), ("a", array)], to: url) }
        assertNumpyError(["an array key is empty"]) { try Npz.write([("", array)], to: url) }
        let missingDirectory = directory.appendingPathComponent("no/such/dir/x.npz")
        assertNumpyError(["x.npz", "cannot create the archive"]) { try Npz.write([("a", array)], to: missingDirectory) }
        XCTAssertEqual(try directoryContents(), [])
        XCTAssertThrowsError(try NpzEntrySource(shape: [-3], dtype: .float32) { _ in Data() })
    }

    // MARK: - Archives written by numpy

    /// The fixtures were made once with numpy 2.4 (the tests do not need Python):
    ///
    ///     arrays = {
    ///         "rnn/lstm_cell/kernel": (np.arange(24, dtype=np.float32).reshape(3, 8) / 8 - 1) + np.float32(0.1),
    ///         "rnn/lstm_cell/bias": np.arange(8, dtype=np.float32) * 0.5,
    ///         "expected/state/0/c": np.array([[0.1, -2.5], [1e-300, 3.0]], dtype=np.float64),
    ///         "sequence_length": np.array([3, 1, 2147483647], dtype=np.int32),
    ///         "steps": np.array(-5, dtype=np.int64),
    ///         "empty": np.zeros((0,), dtype=np.float32),
    ///     }
    ///     np.savez("numpy_savez.npz", **arrays)
    ///     np.savez_compressed("numpy_savez_compressed.npz", **arrays)
    func testReadsNumpySavezFixtures() throws {
        let expectedKeys = ["rnn/lstm_cell/kernel", "rnn/lstm_cell/bias", "expected/state/0/c",
                            "sequence_length", "steps", "empty"]
        for name in ["numpy_savez.npz", "numpy_savez_compressed.npz"] {
            let url = Self.fixtures.appendingPathComponent(name)
            XCTAssertEqual(try Npz.keys(url), expectedKeys, name)
            let arrays = try Npz.read(url)
            let kernel = (0..<24).map { (Float($0) / 8 - 1) + Float(0.1) }
            XCTAssertEqual(arrays["rnn/lstm_cell/kernel"], try NumpyArray(float32: kernel, shape: [3, 8]), name)
            XCTAssertEqual(arrays["rnn/lstm_cell/bias"], try NumpyArray(float32: (0..<8).map { Float($0) * 0.5 }, shape: [8]))
            XCTAssertEqual(arrays["expected/state/0/c"], try NumpyArray(float64: [0.1, -2.5, 1e-300, 3], shape: [2, 2]))
            XCTAssertEqual(arrays["sequence_length"], try NumpyArray(int32: [3, 1, Int32.max], shape: [3]))
            XCTAssertEqual(arrays["steps"], try NumpyArray(int64: [-5], shape: []))
            XCTAssertEqual(arrays["empty"], try NumpyArray(float32: [], shape: [0]))
        }
    }

    func testReadsAConformanceCase() throws {
        let url = Self.conformanceCases.appendingPathComponent("basic_rnn_tanh.npz")
        // CI always has ../shared beside the clone (as ConformanceTests requires): a missing case fails here too.
        XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "no conformance cases at \(Self.conformanceCases.path)")
        let keys = try Npz.keys(url)
        XCTAssertTrue(keys.contains("rnn/basic_rnn_cell/kernel") && keys.contains("inputs"), "\(keys)")
        let arrays = try Npz.read(url)
        XCTAssertEqual(Set(arrays.keys), Set(keys))
        XCTAssertEqual(arrays["rnn/basic_rnn_cell/kernel"]?.shape, [6, 4])
        XCTAssertEqual(arrays["rnn/basic_rnn_cell/kernel"]?.dtype, .float32)
        XCTAssertEqual(arrays["inputs"]?.shape, [3, 5, 2])
        XCTAssertEqual(arrays["inputs"]?.dtype, .float32)
    }

    // MARK: - Read errors

    func testMissingFileAndDirectory() {
        let missing = directory.appendingPathComponent("missing.npz")
        assertNumpyError(["missing.npz: no such file"]) { try Npz.read(missing) }
        assertNumpyError(["missing.npz: no such file"]) { try Npz.keys(missing) }
        assertNumpyError(["is a directory"]) { try Npz.read(directory) }
    }

    func testNonZipFile() throws {
        let url = directory.appendingPathComponent("notes.npz")
        try Data("just some text, not a zip archive at all".utf8).write(to: url)
        assertNumpyError(["notes.npz: not a readable zip archive"]) { try Npz.read(url) }
        let empty = directory.appendingPathComponent("empty.npz")
        try Data().write(to: empty)
        assertNumpyError(["empty.npz: not a readable zip archive"]) { try Npz.keys(empty) }
    }

    func testMissingKey() throws {
        let url = directory.appendingPathComponent("a.npz")
        try Npz.write([("x", NumpyArray(int32: [1], shape: [1]))], to: url)
        assertNumpyError(["a.npz: no array 'y'"]) { try Npz.read(url, key: "y") }
    }

    func testCorruptArchives() throws {
        let url = directory.appendingPathComponent("good.npz")
        let values = (0..<1000).map { Float($0) }
        try Npz.write([("values", NumpyArray(float32: values, shape: [1000]))], to: url)
        let bytes = try Data(contentsOf: url)

        // Cut off the end: the central directory is gone.
        let truncated = directory.appendingPathComponent("truncated.npz")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        assertNumpyError(["truncated.npz: not a readable zip archive"]) { try Npz.read(truncated) }

        // Flip a byte inside the elements: the CRC no longer matches.
        var flipped = bytes
        flipped[flipped.startIndex + 2000] ^= 0xFF
        let corrupt = directory.appendingPathComponent("corrupt.npz")
        try flipped.write(to: corrupt)
        assertNumpyError(["corrupt.npz, entry 'values.npy'", "checksum mismatch"]) { try Npz.read(corrupt) }

        // Garbage in a deflated stream.
        let deflated = directory.appendingPathComponent("deflated.npz")
        try Npz.write([("values", NumpyArray(float32: values, shape: [1000]))], to: deflated, compressed: true)
        var garbled = try Data(contentsOf: deflated)
        for offset in 100..<400 { garbled[garbled.startIndex + offset] = UInt8(truncatingIfNeeded: offset &* 37) }
        try garbled.write(to: deflated)
        assertNumpyError(["deflated.npz, entry 'values.npy'"]) { try Npz.read(deflated) }
    }

    func testEntryThatIsNotNpy() throws {
        let url = directory.appendingPathComponent("mixed.npz")
        try Npz.write([("a", NumpyArray(int32: [1], shape: [1])), ("notes", NumpyArray(int32: [2], shape: [1]))], to: url)
        // Rename "notes.npy" to "notes.txt" in both the local header and the central directory.
        let renamed = try Self.replacing(Data("notes.npy".utf8), with: Data("notes.txt".utf8), in: Data(contentsOf: url))
        try renamed.write(to: url)
        assertNumpyError(["mixed.npz: entry 'notes.txt' is not an .npy file"]) { try Npz.keys(url) }
        assertNumpyError(["mixed.npz: entry 'notes.txt' is not an .npy file"]) { try Npz.read(url) }
    }

    func testBadNpyInsideArchiveNamesTheEntry() throws {
        let url = directory.appendingPathComponent("bad.npz")
        try Npz.write([("rnn/kernel", NumpyArray(float32: [1, 2], shape: [2]))], to: url)
        let bigEndian = try Self.replacing(Data("'<f4'".utf8), with: Data("'>f4'".utf8), in: Data(contentsOf: url))
        try bigEndian.write(to: url)
        assertNumpyError(["bad.npz, entry 'rnn/kernel.npy': unsupported dtype '>f4' (big-endian)"]) { try Npz.read(url) }
    }

    static func replacing(_ target: Data, with replacement: Data, in data: Data) throws -> Data {
        var result = data
        var searchStart = result.startIndex
        var replaced = 0
        while let range = result.range(of: target, in: searchStart..<result.endIndex) {
            result.replaceSubrange(range, with: replacement)
            searchStart = range.lowerBound + replacement.count
            replaced += 1
        }
        guard replaced > 0 else { throw NumpyError("test", "pattern not found") }
        return result
    }
}
