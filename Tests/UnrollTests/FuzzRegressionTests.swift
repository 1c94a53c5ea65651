import Foundation
import XCTest
import TestSupport

/// Replays every input scripts/fuzz.sh kept (fuzz/crashes/<target>/) through the built `unroll`, for both `run`
/// and `shapes`: each must end with exit 0 or 1 (never a signal), within the time limit, under `ulimit -v`.
/// The experiment seeds (fuzz/corpus/FuzzExperiment/) are replayed too, so the harness itself is always tested.
final class FuzzRegressionTests: XCTestCase {
    private static var fuzzDirectory: URL {
        RepositoryPaths.root.appendingPathComponent("fuzz")
    }

    private func keptInputs(_ target: String, in kind: String = "crashes") -> [URL] {
        let folder = Self.fuzzDirectory.appendingPathComponent("\(kind)/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
    }

    func testKeptFuzzInputsEndCleanly() throws {
        let npy = keptInputs("FuzzNpy"), npz = keptInputs("FuzzNpz")
        let experiments = keptInputs("FuzzExperiment") + keptInputs("FuzzExperiment", in: "corpus")
        XCTAssertFalse(experiments.isEmpty, "fuzz/corpus/FuzzExperiment/ holds the seeds")
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The archives the fuzzed experiments may name (as the FuzzExperiment target provides them).
        let repository = Self.fuzzDirectory.deletingLastPathComponent()
        for folder in [repository.appendingPathComponent("samples"), BinaryRunner.conformanceDirectory] {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".npz") {
                try? FileManager.default.copyItem(at: folder.appendingPathComponent(name), to: dir.appendingPathComponent(name))
            }
        }
        let experiment = dir.appendingPathComponent("kept.json")
        let archive = #"{"cell": {"type": "lstm", "num_units": 3}, "inputs": "kept.npz", "weights": "kept.npz"}"#
        var cases: [(URL, () throws -> Void)] = []
        for input in npy {
            cases.append((input, {
                try HostileFiles.zip([HostileFiles.stored("inputs.npy", try Data(contentsOf: input))])
                    .write(to: dir.appendingPathComponent("kept.npz"))
                try Data(archive.utf8).write(to: experiment)
            }))
        }
        for input in npz {
            cases.append((input, {
                try FileManager.default.removeItem(at: dir.appendingPathComponent("kept.npz"))
                try FileManager.default.copyItem(at: input, to: dir.appendingPathComponent("kept.npz"))
                try Data(archive.utf8).write(to: experiment)
            }))
        }
        for input in experiments {
            cases.append((input, { try Data(contentsOf: input).write(to: experiment) }))
        }
        try Data().write(to: dir.appendingPathComponent("kept.npz"))
        for (input, prepare) in cases {
            try prepare()
            for arguments in [["run", experiment.path, "--output", dir.appendingPathComponent("out.npz").path],
                              ["shapes", experiment.path]] {
                let r = try BinaryRunner.runLimited(arguments, timeout: 20)
                let label = "\(input.lastPathComponent) (\(arguments[0]))"
                XCTAssertFalse(r.timedOut, "\(label) hung")
                XCTAssertNil(r.signal, "\(label) died of signal \(r.signal ?? 0): \(r.stderr.prefix(2000))")
                XCTAssertTrue(r.status == 0 || r.status == 1, "\(label) exited \(r.status ?? -1)")
                if r.status == 1 {
                    XCTAssertTrue(r.stderr.hasPrefix("error: "), "\(label): \(r.stderr.prefix(500))")
                }
            }
        }
    }
}
