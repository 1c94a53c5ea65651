import Experiment
import Foundation
import XCTest
import TestSupport

extension BinaryRunner {
    /// Runs `unroll run` on every case in `directory` and compares each `expected/...` array with what it wrote
    /// (1e-5 for float32, 1e-10 for float64); it must write exactly TF's arrays.
    /// `include` picks the cases of a folder that holds several kinds (the Keras files of `models/`).
    static func assertRunMatchesEveryCase(in directory: URL, atLeast minimum: Int, include: (URL) throws -> Bool = { _ in true },
                                          file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }.filter(include)
        XCTAssertGreaterThanOrEqual(cases.count, minimum, file: file, line: line)
        for url in cases {
            let name = url.deletingPathExtension().lastPathComponent
            let out = dir.appendingPathComponent(name + ".npz")
            let r = try run(["run", url.path, "--output", out.path])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)", file: file, line: line)
            let got = try Npz.read(out)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            for (key, want) in expected where key.hasPrefix("expected/") {
                let array = String(key.dropFirst("expected/".count))
                guard let have = got[array] else {
                    XCTFail("\(name): no \(array) in \(got.keys.sorted())", file: file, line: line)
                    continue
                }
                XCTAssertEqual(have.shape, want.shape, "\(name) \(array)", file: file, line: line)
                XCTAssertEqual(have.dtype, want.dtype, "\(name) \(array)", file: file, line: line)
                let tol = want.dtype == .float64 ? 1e-10 : 1e-5
                let worst = zip(have.asDoubles(), want.asDoubles()).map { abs($0 - $1) - tol * abs($1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, tol, "\(name) \(array)", file: file, line: line)
            }
            XCTAssertEqual(Set(got.keys), Set(expected.keys.filter { $0.hasPrefix("expected/") }.map { String($0.dropFirst(9)) }),
                           "\(name): unroll run writes exactly TF's arrays", file: file, line: line)
        }
    }
}
