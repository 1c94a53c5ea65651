import RNNEngine
import XCTest

/// Whether `actual` is close to `expected`: within `max(atol, rtol · |expected|)` of it. NaN is never close. The one
/// closeness test of the test suites (`assertClose` and every tolerance comparison build on it).
public func isClose(_ actual: Double, _ expected: Double, rtol: Double, atol: Double) -> Bool {
    abs(actual - expected) <= max(atol, rtol * abs(expected))
}

/// A tolerance for comparing against plain Double arithmetic.
public func tolerance<S: RNNScalar>(_: S.Type) -> Double { S.self == Float.self ? 2e-6 : 1e-13 }

/// Asserts every element of `actual` is within `tol · max(1, |expected|)` of `expected` (`isClose` with
/// rtol = atol = tol); reports the first one that is not.
public func assertClose<S: RNNScalar>(_ actual: Tensor<S>, _ expected: [Double], tol: Double? = nil, _ message: String = "",
                                      file: StaticString = #filePath, line: UInt = #line) {
    let tol = tol ?? tolerance(S.self)
    XCTAssertEqual(actual.count, expected.count, "count differs \(message)", file: file, line: line)
    for (i, (a, e)) in zip(actual.scalars, expected).enumerated() where !isClose(Double(a), e, rtol: tol, atol: tol) {
        XCTFail("element \(i): got \(a), expected \(e) (|diff| \(abs(Double(a) - e)) > \(tol)) \(message)", file: file, line: line)
        return
    }
}

/// `assertClose` on two tensors of the same shape.
public func assertClose<S: RNNScalar>(_ actual: Tensor<S>, _ expected: Tensor<S>, tol: Double, _ message: String = "",
                                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "shape differs \(message)", file: file, line: line)
    assertClose(actual, expected.scalars.map { Double($0) }, tol: tol, message, file: file, line: line)
}

/// `assertClose` on every tensor of two nests of the same structure.
public func assertNestClose<S: RNNScalar>(_ actual: Nest<Tensor<S>>, _ expected: Nest<Tensor<S>>, tol: Double, _ message: String = "",
                                          file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertTrue(actual.sameStructure(as: expected), "structure differs \(message)", file: file, line: line)
    for ((p, a), e) in zip(actual.flattenedWithPaths, expected.flattened) {
        assertClose(a, e, tol: tol, "\(message) at \(p)", file: file, line: line)
    }
}
