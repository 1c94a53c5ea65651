import Experiment
@testable import Explorer
import Foundation
import XCTest
import TestSupport

/// The explorer's `x` export on a disk that fills up while the CSV is written (issue 21, item 3: a `try!` trapped,
/// leaving a partial `frames.csv`): an error to show in the app, and no file left, not even the `.npz`.
final class ExportFailureTests: XCTestCase {
    func testExportThatCannotWriteTheCSVThrowsAndLeavesNoFile() throws {
        let dir = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try ExplorerModel.builtIn()
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let fits = dir.appendingPathComponent("fits")
        try FileManager.default.createDirectory(at: fits, withIntermediateDirectories: true)
        _ = try Export.write(session: model.session, to: fits.appendingPathComponent("frames.npz").path)
        let npzBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: fits.appendingPathComponent("frames.npz").path)[.size] as? Int)
        let csvBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: fits.appendingPathComponent("frames.csv").path)[.size] as? Int)
        XCTAssertLessThan(npzBytes + 4096, csvBytes, "the CSV must be the larger file for this test")

        // A file-size limit the .npz fits under and the CSV does not: writes past it fail with EFBIG, as on a full
        // disk (SIGXFSZ ignored so the write returns the error instead of killing the process).
        let full = dir.appendingPathComponent("full")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        let savedHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = saved
        limit.rlim_cur = rlim_t(npzBytes + 4096)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit), 0)
        var thrown: Error?
        do {
            _ = try Export.write(session: model.session, to: full.appendingPathComponent("frames.npz").path)
        } catch {
            thrown = error
        }
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, savedHandler)
        let error = try XCTUnwrap(thrown, "the export must fail")
        XCTAssertTrue("\(error)".contains("frames.csv: cannot write the file"), "\(error)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: full.path), [], "no partial file, no archive")
    }
}
