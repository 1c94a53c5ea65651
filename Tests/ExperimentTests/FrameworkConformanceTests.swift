import Experiment
import Foundation
import RNNEngine
import XCTest

/// Every case Keras 3 and PyTorch computed (../shared/conformance/frameworks, and the project's own in
/// Fixtures/framework_cases) through the engine via the experiment loader: 1e-5 for float32, 1e-10 for float64.
final class FrameworkConformanceTests: XCTestCase {
    static var sharedDirectory: URL {
        ConformanceCases.directory.deletingLastPathComponent().appendingPathComponent("frameworks")
    }

    static var fixtureDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/framework_cases")
    }

    static func cases(in dir: URL) throws -> [URL] {
        guard FileManager.default.fileExists(atPath: dir.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
    }

    func check(_ urls: [URL]) throws {
        for url in urls {
            let produced = try ExperimentLoader.runFile(url)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let problems = ConformanceCases.compare(produced: produced, expected: expected)
            XCTAssertTrue(problems.isEmpty, "\(url.lastPathComponent): \(problems.joined(separator: "; "))")
            let wanted = Set(expected.keys.filter { $0.hasPrefix("expected/") }.map { String($0.dropFirst(9)) })
            XCTAssertEqual(Set(produced.map(\.0)), wanted, "\(url.lastPathComponent): exactly the framework's arrays")
        }
    }

    func testEveryKerasAndPyTorchCaseMatches() throws {
        let urls = try Self.cases(in: Self.sharedDirectory)
        XCTAssertGreaterThanOrEqual(urls.count, 12, "expected the 12 public framework cases at least")
        XCTAssertTrue(urls.contains { $0.lastPathComponent.hasPrefix("keras_") })
        XCTAssertTrue(urls.contains { $0.lastPathComponent.hasPrefix("torch_") })
        try check(urls)
    }

    func testProjectFrameworkCasesMatch() throws {
        try check(try Self.cases(in: Self.fixtureDirectory))
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
}
