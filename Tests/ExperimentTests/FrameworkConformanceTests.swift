import Experiment
import Foundation
import RNNEngine
import XCTest
import TestSupport

/// Every case Keras 3 and PyTorch computed (../shared/conformance/frameworks, and the project's own in
/// Fixtures/framework_cases) through the engine via the experiment loader: 1e-5 for float32, 1e-10 for float64.
final class FrameworkConformanceTests: XCTestCase {
    static var sharedDirectory: URL {
        RepositoryPaths.frameworkCases
    }

    static var fixtureDirectory: URL {
        RepositoryPaths.fixtures.appendingPathComponent("framework_cases")
    }

    static func cases(in dir: URL) throws -> [URL] {
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    }

    /// Runs each case through the loader: every `expected/...` array matches, and exactly those arrays are produced.
    static func check(_ urls: [URL], file: StaticString = #filePath, line: UInt = #line) throws {
        for url in urls {
            let produced = try ExperimentLoader.runFile(url)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let problems = ConformanceCases.compare(produced: produced, expected: expected)
            XCTAssertTrue(problems.isEmpty, "\(url.lastPathComponent): \(problems.joined(separator: "; "))", file: file, line: line)
            let wanted = Set(expected.keys.filter { $0.hasPrefix("expected/") }.map { String($0.dropFirst(9)) })
            XCTAssertEqual(Set(produced.map(\.0)), wanted, "\(url.lastPathComponent): exactly the framework's arrays", file: file, line: line)
        }
    }

    func testEveryKerasAndPyTorchCaseMatches() throws {
        let urls = try Self.cases(in: Self.sharedDirectory)
        XCTAssertGreaterThanOrEqual(urls.count, 12, "expected the 12 public framework cases at least")
        XCTAssertTrue(urls.contains { $0.lastPathComponent.hasPrefix("keras_") })
        XCTAssertTrue(urls.contains { $0.lastPathComponent.hasPrefix("torch_") })
        try Self.check(urls)
    }

    /// Specs in Fixtures/framework_cases/specs.json.txt, made with ../shared/tools/make_framework_cases.py (Keras 3.15.1,
    /// PyTorch 2.15.0): length 0 under Keras, time-major float64, bidirectional with initial states, deep PyTorch stacks.
    func testProjectFrameworkCasesMatch() throws {
        let urls = try Self.cases(in: Self.fixtureDirectory)
        XCTAssertEqual(urls.count, 14)
        try Self.check(urls)
    }

    /// Keras' names mean nothing to the tf convention: the loader says which weight has the wrong shape.
    func testKerasWeightsUnderTheTFConventionAreRefused() throws {
        let url = Self.sharedDirectory.appendingPathComponent("keras_lstm_masked.json")
        var spec = try ExperimentLoader.readSpec(url)
        spec.convention = .tf
        spec.cell = .lstm(numUnits: 4, options: LSTMOptions())
        let base = url.deletingLastPathComponent()
        XCTAssertThrowsError(try ExperimentLoader.load(spec, file: url.path, baseDirectory: base, as: Float.self).run()) { e in
            XCTAssertTrue("\(e)".contains("rnn/lstm_cell/kernel has shape [3, 16], expected [7, 16]"), "\(e)")
        }
    }

    /// A loaded Keras case compared with the tf rules: exactly equal up to each row's length, then Keras' repeats.
    func testComparingAFrameworkCaseWithTF() throws {
        let url = Self.sharedDirectory.appendingPathComponent("keras_lstm_masked.json")
        let spec = try ExperimentLoader.readSpec(url)
        let loaded = try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        let c = try loaded.compare(.keras, .tf)
        XCTAssertEqual(c.firstDifference?.time, 2)
        XCTAssertEqual(c.firstDifference?.example, 1)
        XCTAssertTrue(c.summary.contains("Keras repeats the output of t=1"), c.summary)
        let torch = FrameworkConformanceTests.sharedDirectory.appendingPathComponent("torch_lstm2_bidirectional.json")
        let t = try ExperimentLoader.load(try ExperimentLoader.readSpec(torch), file: "t.json", baseDirectory: torch.deletingLastPathComponent(), as: Float.self)
        XCTAssertThrowsError(try t.compare(.torch, .tf)) { e in
            XCTAssertTrue("\(e)".hasPrefix("t.json: cell: torch and tf compose a bidirectional stack differently"), "\(e)")
        }
    }
}
