import Experiment
import XCTest

extension XCTestCase {
    /// Asserts `body` throws a `NumpyError` whose description contains every fragment.
    func assertNumpyError<T>(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> T) {
        do {
            _ = try body()
            XCTFail("expected an error containing \(fragments)", file: file, line: line)
        } catch let error as NumpyError {
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment),
                              "'\(error.description)' lacks '\(fragment)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected a NumpyError, got \(error)", file: file, line: line)
        }
    }
}
