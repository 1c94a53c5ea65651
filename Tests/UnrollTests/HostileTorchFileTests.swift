@testable import Experiment
import Foundation
import XCTest
import TestSupport

/// Pickles written opcode by opcode, for the restricted unpickler's tests.
enum PickleBytes {
    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func str(_ s: String) -> [UInt8] { [0x58] + u32(UInt32(s.utf8.count)) + Array(s.utf8) }
    static func int(_ v: Int) -> [UInt8] { [0x4A] + u32(UInt32(truncatingIfNeeded: v)) }
    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static let mark: [UInt8] = [0x28], tuple: [UInt8] = [0x74], reduce: [UInt8] = [0x52], stop: [UInt8] = [0x2E]
    static let proto: [UInt8] = [0x80, 2], emptyTuple: [UInt8] = [0x29]
    static let orderedDict = global("collections", "OrderedDict") + emptyTuple + reduce

    /// `torch._utils._rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict())` as torch.save writes it.
    static func tensor(key: String, count: Int, offset: Int = 0, shape: [Int], stride: [Int], storage: String = "FloatStorage") -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + mark
            + mark + str("storage") + global("torch", storage) + str(key) + str("cpu") + int(count) + tuple + [0x51]
            + int(offset) + mark + shape.flatMap(int) + tuple + mark + stride.flatMap(int) + tuple + [0x89] + orderedDict
            + tuple + reduce
    }

    /// An OrderedDict of `entries` (name, value opcodes), then STOP.
    static func stateDict(_ entries: [(String, [UInt8])]) -> [UInt8] {
        proto + orderedDict + mark + entries.flatMap { str($0.0) + $0.1 } + [0x75] + stop
    }

    /// A torch.save-style zip: `m/data.pkl`, `m/byteorder`, and each storage as `m/data/<key>`.
    static func pt(_ pickle: [UInt8], storages: [String: Data], byteorder: String? = "little") -> Data {
        var entries = [HostileFiles.stored("m/data.pkl", Data(pickle))]
        if let byteorder { entries.append(HostileFiles.stored("m/byteorder", Data(byteorder.utf8))) }
        for (k, v) in storages.sorted(by: { $0.key < $1.key }) { entries.append(HostileFiles.stored("m/data/\(k)", v)) }
        return HostileFiles.zip(entries)
    }

    static func floats(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }
}

/// Hostile and odd PyTorch files read through the library (issue 18, item 8): pickles that name forbidden globals,
/// opcodes torch's weights_only unpickler refuses, memo indices never stored, deep nesting, huge counts, truncation;
/// storages that do not hold their tensors; safetensors headers that lie. Each is refused with one line, quickly.
final class HostileTorchFileTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func write(_ data: Data, _ name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    private func assertRefused(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any) {
        let start = Date()
        do {
            _ = try body()
            XCTFail("expected an error containing \(fragments)", file: file, line: line)
        } catch {
            let text = "\(error)"
            for f in fragments { XCTAssertTrue(text.contains(f), "«\(text)» lacks «\(f)»", file: file, line: line) }
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            XCTAssertLessThanOrEqual(text.count, 700, file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, file: file, line: line)
    }

    private func unpickle(_ bytes: [UInt8]) throws -> Unpickler.Value { try Unpickler.load(Data(bytes)).value }

    // MARK: - What reads

    func testAHandWrittenStateDictReadsItsTensors() throws {
        let pickle = PickleBytes.stateDict([
            ("rnn.weight_ih_l0", PickleBytes.tensor(key: "0", count: 6, shape: [2, 3], stride: [3, 1])),
            ("rnn.bias_ih_l0", PickleBytes.tensor(key: "0", count: 6, offset: 2, shape: [2, 2], stride: [2, 1])),
            ("rnn.scalar", PickleBytes.tensor(key: "0", count: 6, offset: 5, shape: [1], stride: [7])),
        ])
        let url = try write(PickleBytes.pt(pickle, storages: ["0": PickleBytes.floats([1, 2, 3, 4, 5, 6])]), "ok.pt")
        let archive = try TorchArchive(url)
        XCTAssertEqual(archive.keys, ["rnn.weight_ih_l0", "rnn.bias_ih_l0", "rnn.scalar"])
        XCTAssertEqual(try archive.array("rnn.weight_ih_l0", maxBytes: 1 << 20), try NumpyArray(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]))
        XCTAssertEqual(try archive.array("rnn.bias_ih_l0", maxBytes: 1 << 20), try NumpyArray(float32: [3, 4, 5, 6], shape: [2, 2]))
        XCTAssertEqual(try archive.array("rnn.scalar", maxBytes: 1 << 20), try NumpyArray(float32: [6], shape: [1]))
        XCTAssertEqual(try archive.info("rnn.bias_ih_l0").byteCount, 16)
        assertRefused(["needs 16 B", "more than the 8 B"]) { try archive.array("rnn.bias_ih_l0", maxBytes: 8) }
        assertRefused(["no tensor 'rnn.weight_hh_l0'", "found: rnn.weight_ih_l0"]) { try archive.info("rnn.weight_hh_l0") }
    }

    // MARK: - Globals, calls and opcodes

    func testEveryOtherGlobalIsRefusedByNameAndNothingIsCalled() {
        for (module, name) in [("os", "system"), ("builtins", "eval"), ("builtins", "exec"), ("posix", "system"),
                               ("subprocess", "Popen"), ("torch", "load"), ("torch._utils", "_rebuild_qtensor"),
                               ("collections", "Counter"), ("__builtin__", "getattr")] {
            let pickle = PickleBytes.proto + PickleBytes.global(module, name) + PickleBytes.str("touch /tmp/unroll-pwned")
                + [0x85] + PickleBytes.reduce + PickleBytes.stop
            assertRefused(["refuses the global \(module).\(name)", "byte 2"]) { try unpickle(pickle) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/unroll-pwned"))
        // A GLOBAL whose name is not one printable line.
        assertRefused(["not a line"]) { try unpickle(PickleBytes.proto + [0x63] + Array(repeating: 0x61, count: 300)) }
        assertRefused(["printable"]) { try unpickle(PickleBytes.proto + [0x63, 0x6F, 0x73, 0x01, 0x0A, 0x61, 0x0A]) }
    }

    /// `__reduce__` tricks: REDUCE of something that is not an allowed function, BUILD and NEWOBJ on other objects,
    /// a persistent id that is not a storage.
    func testReduceBuildAndPersistentTricksAreRefused() {
        let p = PickleBytes.self
        assertRefused(["REDUCE calls a tuple"]) { try unpickle(p.proto + p.emptyTuple + p.emptyTuple + p.reduce + p.stop) }
        assertRefused(["REDUCE calls a str"]) { try unpickle(p.proto + p.str("os.system") + p.emptyTuple + p.reduce + p.stop) }
        assertRefused(["torch.FloatStorage cannot be called"]) {
            try unpickle(p.proto + p.global("torch", "FloatStorage") + p.emptyTuple + p.reduce + p.stop)
        }
        assertRefused(["arguments, not a tuple"]) { try unpickle(p.proto + p.orderedDict.dropLast(2) + p.str("x") + p.reduce + p.stop) }
        assertRefused(["called with 1 arguments"]) { try unpickle(p.proto + p.global("collections", "OrderedDict") + p.int(1) + [0x85] + p.reduce + p.stop) }
        assertRefused(["_rebuild_tensor_v2 needs"]) { try unpickle(p.proto + p.global("torch._utils", "_rebuild_tensor_v2") + p.emptyTuple + p.reduce + p.stop) }
        assertRefused(["BUILD of a list"]) { try unpickle(p.proto + [0x5D] + [0x7D] + [0x62] + p.stop) }
        assertRefused(["NEWOBJ of the global torch.FloatStorage"]) { try unpickle(p.proto + p.global("torch", "FloatStorage") + p.emptyTuple + [0x81] + p.stop) }
        assertRefused(["not ('storage'"]) { try unpickle(p.proto + p.mark + p.str("module") + p.tuple + [0x51] + p.stop) }
        assertRefused(["not a torch storage class"]) {
            try unpickle(p.proto + p.mark + p.str("storage") + p.str("x") + p.str("0") + p.str("cpu") + p.int(1) + p.tuple + [0x51] + p.stop)
        }
        assertRefused(["APPEND(S) onto a dict"]) { try unpickle(p.proto + [0x7D] + p.int(1) + [0x61] + p.stop) }
        assertRefused(["SETITEM(S) onto a list"]) { try unpickle(p.proto + [0x5D] + p.int(1) + p.int(2) + [0x73] + p.stop) }
        assertRefused(["odd number"]) { try unpickle(p.proto + [0x7D] + p.mark + p.int(1) + [0x75] + p.stop) }
    }

    func testOpcodesTorchRefusesAreRefused() {
        // INST, OBJ, STACK_GLOBAL, MEMOIZE, SHORT_BINUNICODE, INT, STRING, FRAME, PERSID, NEWOBJ_EX, EXT1, BINBYTES.
        for op: UInt8 in [0x69, 0x6F, 0x93, 0x94, 0x8C, 0x49, 0x53, 0x95, 0x50, 0x92, 0x82, 0x42] {
            assertRefused(["opcode 0x\(String(op, radix: 16))", "weights_only"]) { try unpickle(PickleBytes.proto + [op, 0, 0, 0, 0] + PickleBytes.stop) }
        }
        assertRefused(["pickle protocol 0"]) { try unpickle([0x80, 0, 0x4E, 0x2E]) }
    }

    // MARK: - The machine's limits

    func testMemoIndicesNeverStoredAreRefused() {
        assertRefused(["memo index 5 was never stored", "(0 stored"]) { try unpickle(PickleBytes.proto + [0x68, 5] + PickleBytes.stop) }
        assertRefused(["memo index 4294967295"]) { try unpickle(PickleBytes.proto + [0x4E, 0x71, 0] + [0x6A, 0xFF, 0xFF, 0xFF, 0xFF] + PickleBytes.stop) }
        assertRefused(["empty stack"]) { try unpickle(PickleBytes.proto + [0x71, 0] + PickleBytes.stop) }
    }

    func testDeepNestingIsBounded() {
        assertRefused(["more than 64 open MARKs"]) { try unpickle(PickleBytes.proto + Array(repeating: 0x28, count: 100_000) + PickleBytes.stop) }
        assertRefused(["nested more than 64 deep"]) {
            try unpickle(PickleBytes.proto + PickleBytes.emptyTuple + Array(repeating: 0x85, count: 100_000) + PickleBytes.stop)
        }
        // A list holding itself is data, not a cycle of objects: it loads, and is not a state_dict.
        XCTAssertNoThrow(try unpickle(PickleBytes.proto + [0x5D, 0x71, 0, 0x68, 0, 0x61] + PickleBytes.stop))
    }

    func testHugeCountsAreCheckedAgainstTheBytesPresent() throws {
        assertRefused(["a string of 4294967295 bytes", "left"]) { try unpickle(PickleBytes.proto + [0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x61]) }
        assertRefused(["LONG1 of 200 bytes"]) { try unpickle(PickleBytes.proto + [0x8A, 200] + Array(repeating: 1, count: 200) + PickleBytes.stop) }
        assertRefused(["more than 1048576 values on the stack"]) {
            try unpickle(PickleBytes.proto + Array(repeating: 0x4E, count: Unpickler.maxStackItems + 1) + PickleBytes.stop)
        }
        assertRefused(["not valid UTF-8"]) { try unpickle(PickleBytes.proto + [0x58, 2, 0, 0, 0, 0xC3, 0x28] + PickleBytes.stop) }
        // A tensor claiming 2^31 × 2^31 elements of a storage claiming 2^62: the storage entry does not hold them.
        let huge = PickleBytes.stateDict([("w", PickleBytes.global("torch._utils", "_rebuild_tensor_v2") + PickleBytes.mark
            + PickleBytes.mark + PickleBytes.str("storage") + PickleBytes.global("torch", "FloatStorage") + PickleBytes.str("0")
            + PickleBytes.str("cpu") + [0x8A, 8] + PickleBytes.u32(0) + PickleBytes.u32(1 << 30) + PickleBytes.tuple + [0x51]
            + PickleBytes.int(0) + PickleBytes.mark + [0x8A, 5, 0, 0, 0, 0x80, 0] + [0x8A, 5, 0, 0, 0, 0x80, 0] + PickleBytes.tuple
            + PickleBytes.mark + [0x8A, 5, 0, 0, 0, 0x80, 0] + PickleBytes.int(1) + PickleBytes.tuple + [0x89] + PickleBytes.orderedDict
            + PickleBytes.tuple + PickleBytes.reduce)])
        let archive = try TorchArchive(try write(PickleBytes.pt(huge, storages: ["0": PickleBytes.floats([1])]), "huge.pt"))
        assertRefused(["holds 4 bytes", "4611686018427387904 float32 elements need"]) { try archive.info("w") }
    }

    func testEveryTruncationOfARealPickleIsRefused() throws {
        let url = TorchModelFiles.directory.appendingPathComponent("torch_tagger_lstm_packed.pt")
        let zip = try ZipReader(path: url.path)
        let entry = try XCTUnwrap(zip.entries.first { $0.name.hasSuffix("/data.pkl") })
        var pickle = Data()
        try zip.extract(entry) { pickle.append($0); return true }
        XCTAssertNoThrow(try Unpickler.load(pickle))
        for cut in 0..<(pickle.count - 1) {
            XCTAssertThrowsError(try Unpickler.load(pickle.prefix(cut)), "cut at \(cut)")
        }
    }

    // MARK: - Storages

    func testStoragesThatDoNotHoldTheirTensorsAreRefused() throws {
        func archive(_ entries: [(String, [UInt8])], storages: [String: Data] = ["0": PickleBytes.floats([1, 2, 3, 4])],
                     byteorder: String? = "little") throws -> TorchArchive {
            try TorchArchive(try write(PickleBytes.pt(PickleBytes.stateDict(entries), storages: storages, byteorder: byteorder), "s.pt"))
        }
        let t = { (key: String, count: Int, offset: Int, shape: [Int], stride: [Int], storage: String) in
            PickleBytes.tensor(key: key, count: count, offset: offset, shape: shape, stride: stride, storage: storage)
        }
        assertRefused(["offset 3 + 2 elements lies outside its storage of 4"]) {
            try archive([("w", t("0", 4, 3, [2], [1], "FloatStorage"))]).info("w")
        }
        assertRefused(["offset -1"]) { try archive([("w", t("0", 4, -1, [2], [1], "FloatStorage"))]).info("w") }
        assertRefused(["holds 16 bytes; 5 float32 elements need 20"]) { try archive([("w", t("0", 5, 0, [2], [1], "FloatStorage"))]).info("w") }
        assertRefused(["storage 'data/7' is not in the archive"]) { try archive([("w", t("7", 4, 0, [2], [1], "FloatStorage"))]).info("w") }
        assertRefused(["strides [1, 2] for shape [2, 2] are not contiguous"]) {
            try archive([("w", t("0", 4, 0, [2, 2], [1, 2], "FloatStorage"))]).array("w", maxBytes: 1 << 20)
        }
        assertRefused(["negative dimension"]) { try archive([("w", t("0", 4, 0, [-2], [1], "FloatStorage"))]).info("w") }
        // Other dtypes are listed but refused by name when read.
        let half = try archive([("w", t("0", 8, 0, [2], [1], "HalfStorage"))])
        XCTAssertEqual(half.keys, ["w"])
        assertRefused(["dtype float16 (torch.HalfStorage)", "only float32 and float64"]) { try half.array("w", maxBytes: 1 << 20) }
        assertRefused(["byteorder is 'big'"]) { try archive([], byteorder: "big") }
        assertRefused(["holds a list, not a state_dict"]) {
            try TorchArchive(try write(PickleBytes.pt(PickleBytes.proto + [0x5D] + PickleBytes.stop, storages: [:]), "l.pt"))
        }
        assertRefused(["no data.pkl entry"]) {
            try TorchArchive(try write(HostileFiles.zip([HostileFiles.stored("m/version", Data("3\n".utf8))]), "n.pt"))
        }
        assertRefused(["2 data.pkl entries"]) {
            try TorchArchive(try write(HostileFiles.zip([HostileFiles.stored("a/data.pkl", Data()), HostileFiles.stored("b/data.pkl", Data())]), "2.pt"))
        }
        assertRefused(["not a readable zip archive", "torch.save"]) { try TorchArchive(try write(Data(PickleBytes.proto + PickleBytes.stop), "legacy.pt")) }
        assertRefused(["is a directory"]) { try TorchArchive(dir) }
    }

    // MARK: - Safetensors

    private func safetensors(_ header: String, _ data: Data = Data(count: 8), claimedLength: UInt64? = nil) throws -> URL {
        var bytes = Data()
        withUnsafeBytes(of: (claimedLength ?? UInt64(header.utf8.count)).littleEndian) { bytes.append(contentsOf: $0) }
        return try write(bytes + Data(header.utf8) + data, "t.safetensors")
    }

    func testSafetensorsHeadersThatLieAreRefused() throws {
        let ok = try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#,
                                                        PickleBytes.floats([1.5, -2])))
        XCTAssertEqual(ok.keys, ["a"])
        XCTAssertEqual(try ok.array("a", maxBytes: 64), try NumpyArray(float32: [1.5, -2], shape: [2]))
        // Overlapping ranges are not refused (safetensors' own reader refuses them; each tensor still lies in the file).
        let overlap = try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                                             PickleBytes.floats([1, 2])))
        XCTAssertEqual(try overlap.array("b", maxBytes: 64), try NumpyArray(float32: [2], shape: [1]))

        let h = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        assertRefused(["header length 9223372036854775807 exceeds the file size"]) { try SafetensorsArchive(try safetensors(h, claimedLength: UInt64(Int64.max))) }
        assertRefused(["header length 1000 exceeds the file size (70 bytes"]) { try SafetensorsArchive(try safetensors(h, claimedLength: 1000)) }
        assertRefused(["starts with an 8-byte header length"]) { try SafetensorsArchive(try write(Data([1, 2, 3]), "short.safetensors")) }
        assertRefused(["data_offsets [0, 100] lie outside the 8 data bytes"]) {
            try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[25],"data_offsets":[0,100]}}"#))
        }
        assertRefused(["data_offsets [8, 0] lie outside"]) { try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#)) }
        assertRefused(["data_offsets [-8, 0] lie outside"]) { try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#)) }
        assertRefused(["shape [3] of F32 needs 12 bytes, its data_offsets hold 8"]) {
            try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#))
        }
        assertRefused(["too many elements"]) {
            try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#))
        }
        assertRefused(["shape holds a negative size"]) { try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#)) }
        assertRefused(["dtype 'F128' is not a safetensors dtype"]) { try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F128","shape":[],"data_offsets":[0,16]}}"#)) }
        let f16 = try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#))
        assertRefused(["dtype F16; only F32 and F64"]) { try f16.array("a", maxBytes: 64) }
        assertRefused(["the header is not valid JSON"]) { try SafetensorsArchive(try safetensors(#"{"a":"#)) }
        assertRefused(["the header is a list"]) { try SafetensorsArchive(try safetensors("[]")) }
        assertRefused(["tensor 'a': is a string"]) { try SafetensorsArchive(try safetensors(#"{"a":"x"}"#)) }
        assertRefused(["no data_offsets"]) { try SafetensorsArchive(try safetensors(#"{"a":{"dtype":"F32","shape":[2]}}"#)) }
    }

    /// What `unroll convert --to torch` writes is read back as written.
    func testSafetensorsWrittenAreReadBack() throws {
        let a = try NumpyArray(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3]), b = try NumpyArray(float64: [0.25], shape: [1])
        let data = try SafetensorsArchive.encode([(name: "rnn.weight_ih_l0", array: a), (name: "b", array: b)])
        let headerLength = Int(data[0]) | Int(data[1]) << 8
        XCTAssertEqual(headerLength % 8, 0, "safetensors pads the header to a multiple of 8")
        XCTAssertEqual(data.count, 8 + headerLength + 24 + 8)
        let archive = try SafetensorsArchive(try write(data, "w.safetensors"))
        XCTAssertEqual(archive.keys, ["b", "rnn.weight_ih_l0"])
        XCTAssertEqual(try archive.array("rnn.weight_ih_l0", maxBytes: 1 << 20), a)
        XCTAssertEqual(try archive.array("b", maxBytes: 1 << 20), b)
    }
}

/// Where the PyTorch model files are.
enum TorchModelFiles {
    static var directory: URL { RepositoryPaths.sharedConformance.appendingPathComponent("models") }
}
