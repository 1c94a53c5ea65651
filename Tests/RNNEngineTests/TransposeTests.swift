import RNNEngine
import XCTest

/// The tiled transpose the layouts and the backward products use (issue 21, item 7): every shape, including
/// those that are not multiples of the tile, gives exactly the element-by-element transpose.
final class TransposeTests: XCTestCase {
    func testTiledTransposeMatchesTheDefinition() {
        for (rows, cols) in [(0, 3), (1, 1), (1, 5), (5, 1), (2, 3), (31, 33), (32, 32), (64, 96), (70, 45), (33, 129)] {
            let values = (0..<(rows * cols)).map { "\($0)" }
            var expected = [String](repeating: "", count: rows * cols)
            for r in 0..<rows { for c in 0..<cols { expected[c * rows + r] = values[r * cols + c] } }
            XCTAssertEqual(Transpose.matrix(values, rows: rows, cols: cols), expected, "\(rows) × \(cols)")
            XCTAssertEqual(Transpose.matrix(Transpose.matrix(values, rows: rows, cols: cols), rows: cols, cols: rows), values)
        }
    }
}
