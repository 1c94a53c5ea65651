import Experiment
import Foundation
import RNNEngine
import XCTest

/// Every case TensorFlow generated in ../shared/conformance/cases, run through the engine (via the
/// experiment loader) and compared with TF's results: 1e-5 for float32, 1e-10 for float64 (numpy's allclose).
final class ConformanceTests: XCTestCase {
    func testEveryConformanceCaseMatchesTensorFlow() throws {
        let cases = try ConformanceCases.all()
        XCTAssertGreaterThanOrEqual(cases.count, 14, "expected the 14 public cases at least")
        for url in cases {
            let name = url.deletingPathExtension().lastPathComponent
            let produced = try ExperimentLoader.runFile(url)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let problems = ConformanceCases.compare(produced: produced, expected: expected)
            XCTAssertTrue(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
        }
    }

    /// The comparison itself must notice a change far smaller than any real bug.
    func testComparisonCatchesAPerturbation() throws {
        guard let url = try ConformanceCases.all().first else { return XCTFail("no conformance cases") }
        let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
        var produced = try ExperimentLoader.runFile(url)
        XCTAssertTrue(ConformanceCases.compare(produced: produced, expected: expected).isEmpty)
        var values = produced[0].1.asFloats()
        values[values.count / 2] += 1e-4
        produced[0].1 = try NumpyArray(float32: values, shape: produced[0].1.shape)
        XCTAssertFalse(ConformanceCases.compare(produced: produced, expected: expected).isEmpty)
    }

    /// The same cases with the other layout: transposing inputs and flipping time_major must give the
    /// transposed outputs and the same state.
    func testConformanceCasesAgreeAcrossLayouts() throws {
        for url in try ConformanceCases.all() {
            let spec = try ExperimentLoader.readSpec(url)
            guard spec.dtype == .float32 else { continue }
            let base = url.deletingLastPathComponent()
            let loaded = try ExperimentLoader.load(spec, file: url.path, baseDirectory: base, as: Float.self)
            var flipped = spec
            flipped.timeMajor.toggle()
            let other = LoadedExperiment(spec: flipped, file: url.path, inputs: loaded.inputs.transposedFirstTwo(),
                                         store: loaded.store, initialState: loaded.initialState,
                                         initialStateBackward: loaded.initialStateBackward)
            let a = try loaded.run(), b = try other.run()
            for (x, y) in zip(a.outputs, b.outputs) {
                XCTAssertEqual(x.transposedFirstTwo(), y, url.lastPathComponent)
            }
            for (x, y) in zip(a.states, b.states) {
                XCTAssertEqual(x.flattened, y.flattened, url.lastPathComponent)
            }
        }
    }
}

/// Locating and comparing the shared conformance cases.
enum ConformanceCases {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/conformance/cases")
    }

    static func all() throws -> [URL] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        return files.filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    }

    /// Differences between our arrays and the `expected/...` ones, as numpy.allclose would judge them.
    static func compare(produced: [(String, NumpyArray)], expected: [String: NumpyArray]) -> [String] {
        let ours = Dictionary(produced, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        for (key, want) in expected.sorted(by: { $0.key < $1.key }) where key.hasPrefix("expected/") {
            let name = String(key.dropFirst("expected/".count))
            guard let have = ours[name] else { problems.append("missing \(name)"); continue }
            guard have.shape == want.shape else { problems.append("\(name): shape \(have.shape), expected \(want.shape)"); continue }
            guard have.dtype == want.dtype else { problems.append("\(name): dtype \(have.dtype), expected \(want.dtype)"); continue }
            let tol = want.dtype == .float64 ? 1e-10 : 1e-5
            for (h, w) in zip(have.asDoubles(), want.asDoubles()) where !(abs(h - w) <= tol + tol * abs(w)) {
                problems.append("\(name): \(h) vs TF \(w)")
                break
            }
        }
        return problems
    }
}
