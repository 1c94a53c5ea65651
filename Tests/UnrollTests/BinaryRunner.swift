import Experiment
import Foundation
import XCTest

/// Runs the built `unroll` executable (it sits next to the test bundle) and captures what it prints.
enum BinaryRunner {
    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    static var executable: URL { productsDirectory.appendingPathComponent("unroll") }

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory for one test.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static var conformanceDirectory: URL { sharedConformance.appendingPathComponent("cases") }
    /// TensorFlow's gradient cases (`tf.gradients` through `dynamic_rnn`).
    static var gradientCasesDirectory: URL { sharedConformance.appendingPathComponent("gradients") }

    private static var sharedConformance: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/conformance")
    }

    /// How the arrays `unroll run` wrote differ from a case's `expected/...` ones (names, shapes, dtypes, values
    /// within 1e-5 for float32 and 1e-10 for float64), as one message each; empty when they match.
    static func mismatches(written out: URL, expected caseNpz: URL) throws -> [String] {
        let got = try Npz.read(out), expected = try Npz.read(caseNpz)
        var problems: [String] = []
        for (key, want) in expected.sorted(by: { $0.key < $1.key }) where key.hasPrefix("expected/") {
            let name = String(key.dropFirst("expected/".count))
            guard let have = got[name] else { problems.append("no \(name) in \(got.keys.sorted())"); continue }
            guard have.shape == want.shape, have.dtype == want.dtype else {
                problems.append("\(name): \(have.dtype) \(have.shape), expected \(want.dtype) \(want.shape)")
                continue
            }
            let tol = want.dtype == .float64 ? 1e-10 : 1e-5
            let worst = zip(have.asDoubles(), want.asDoubles()).map { abs($0 - $1) - tol * abs($1) }.max() ?? 0
            if worst > tol { problems.append("\(name): off by \(worst)") }
        }
        let wanted = Set(expected.keys.filter { $0.hasPrefix("expected/") }.map { String($0.dropFirst(9)) })
        if Set(got.keys) != wanted { problems.append("wrote \(got.keys.sorted()), expected exactly \(wanted.sorted())") }
        return problems
    }
}
