import Foundation
import XCTest
@testable import Experiment

/// The table signal handlers read to remove temporaries (run's, convert's and the explorer's exports).
final class TemporaryFilesTests: XCTestCase {
    private func makeFile() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-tmpfiles-\(UUID().uuidString).tmp")
        try Data("x".utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testRemoveRegisteredUnlinksWhatIsRegisteredOnly() throws {
        let kept = try makeFile(), removed = try makeFile(), done = try makeFile()
        let slot = TemporaryFiles.register(removed.path)
        let finished = TemporaryFiles.register(done.path)
        XCTAssertNotNil(slot)
        TemporaryFiles.unregister(finished)  // renamed into place: must survive a signal now
        TemporaryFiles.removeRegistered()
        XCTAssertFalse(FileManager.default.fileExists(atPath: removed.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: done.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: kept.path))
        TemporaryFiles.unregister(slot)
    }

    func testSlotsAreReusedAfterUnregistering() throws {
        // More registrations than the table holds, one at a time: each gets a slot because the last was freed.
        for _ in 0..<200 {
            let slot = TemporaryFiles.register("/nonexistent/unroll-\(UUID().uuidString)")
            XCTAssertNotNil(slot)
            TemporaryFiles.unregister(slot)
        }
    }
}
