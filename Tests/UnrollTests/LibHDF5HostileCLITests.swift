import Foundation
import TestSupport
import XCTest

/// A file that reaches a memory-safety bug inside libhdf5 1.10.8 itself (FuzzKeras found it: `H5Aexists_by_name`
/// copies past a heap buffer while iterating a corrupt object header's attribute messages). Unroll cannot check
/// that structure from outside the library; what it promises is that the plain build answers in one line with
/// exit 1 and writes nothing, as `.h5`, `.keras` and `.weights.h5`. Not in the AddressSanitizer pass of .ci/run
/// (the sanitizer stops at libhdf5's overflow, which is the point of keeping the file).
final class LibHDF5HostileCLITests: XCTestCase {
    func testAFileThatOverflowsInsideLibHDF5IsRefusedInOneLine() throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/libhdf5-attribute-overflow.h5")
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, experiment) in [
            ("m.h5", #"{"model": "m.h5", "inputs": "io.npz"}"#),
            ("m.keras", #"{"model": "m.keras", "inputs": "io.npz"}"#),
            ("w.weights.h5", #"{"convention": "keras", "cell": {"type": "lstm", "num_units": 4}, "weights": "w.weights.h5", "inputs": "io.npz"}"#),
        ] {
            try FileManager.default.copyItem(at: source, to: dir.appendingPathComponent(name))
            let json = dir.appendingPathComponent("e-\(name).json")
            try Data(experiment.utf8).write(to: json)
            for command in [["shapes", json.path], ["run", json.path, "--output", dir.appendingPathComponent("out.npz").path]] {
                let result = try BinaryRunner.run(command)
                XCTAssertEqual(result.status, 1, "\(command): \(result.stderr)")
                XCTAssertTrue(result.stderr.hasPrefix("error: ") && result.stderr.contains(name), result.stderr)
                XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "one line: \(result.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.npz").path))
            }
        }
    }
}
