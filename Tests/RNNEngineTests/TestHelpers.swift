import Foundation
import XCTest
@testable import RNNEngine

// MARK: - Building tensors

/// A tensor from a shape and Double values (converted to the scalar type under test).
func tensor<S: RNNScalar>(_ shape: [Int], _ values: [Double], as _: S.Type = S.self) -> Tensor<S> {
    precondition(shape.reduce(1, *) == values.count, "test bug: \(shape) vs \(values.count) values")
    return try! Tensor<S>(shape: shape, scalars: values.map { S($0) })
}

/// Reproducible uniform values in [-scale, scale).
func randomValues(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in (rng.nextUniform() * 2 - 1) * scale }
}

/// A reproducible random tensor.
func randomTensor<S: RNNScalar>(_ shape: [Int], seed: UInt64, scale: Double = 1, as _: S.Type = S.self) -> Tensor<S> {
    tensor(shape, randomValues(shape.reduce(1, *), seed: seed, scale: scale))
}

/// A random state of the given structure for `batch` rows.
func randomState<S: RNNScalar>(_ sizes: Nest<Int>, batch: Int, seed: UInt64, as _: S.Type = S.self) -> Nest<Tensor<S>> {
    var k: UInt64 = 0
    return sizes.map { size -> Tensor<S> in
        k += 1
        return randomTensor([batch, size], seed: seed &+ k &* 7919, scale: 0.9)
    }
}

/// Row `b` of a batch-major `[batch, time, depth]` tensor, as a `[1, time', depth]` tensor of its first `time'` steps.
func rowPrefix<S: RNNScalar>(_ x: Tensor<S>, row b: Int, steps: Int) -> Tensor<S> {
    let time = x.shape[1], depth = x.shape[2]
    var out: [S] = []
    for t in 0..<steps { for k in 0..<depth { out.append(x[b, t, k]) } }
    precondition(steps <= time)
    return try! Tensor(shape: [1, steps, depth], scalars: out)
}

/// Row `b` of a `[batch, n]` tensor as a `[1, n]` tensor.
func rowOf<S: RNNScalar>(_ x: Tensor<S>, _ b: Int) -> Tensor<S> {
    let n = x.shape[1]
    return try! Tensor(shape: [1, n], scalars: Array(x.scalars[(b * n)..<((b + 1) * n)]))
}

/// Row `b` of every tensor of a state.
func stateRow<S: RNNScalar>(_ s: Nest<Tensor<S>>, _ b: Int) -> Nest<Tensor<S>> {
    s.map { rowOf($0, b) }
}

/// Output `[batch, time, width]` at `(b, t)` as an array.
func outputAt<S: RNNScalar>(_ y: Tensor<S>, b: Int, t: Int) -> [S] {
    let w = y.shape[2]
    return (0..<w).map { y[b, t, $0] }
}

// MARK: - Assertions (closeness: TestSupport)

/// Asserts `body` throws exactly `expected`.
func assertThrows<T>(_ expected: RNNError, _ body: @autoclosure () throws -> T, _ message: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing was thrown \(message)", file: file, line: line)
    } catch let e as RNNError {
        XCTAssertEqual(e, expected, message, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error) \(message)", file: file, line: line)
    }
}

/// Asserts `body` throws an RNNError matching `matches` (for cases whose message text is free-form).
func assertThrowsCase<T>(_ body: @autoclosure () throws -> T, _ caseName: String, _ message: String = "",
                         file: StaticString = #filePath, line: UInt = #line, matches: (RNNError) -> Bool) {
    do {
        _ = try body()
        XCTFail("expected \(caseName), nothing was thrown \(message)", file: file, line: line)
    } catch let e as RNNError {
        XCTAssertTrue(matches(e), "expected \(caseName), got \(e) \(message)", file: file, line: line)
    } catch {
        XCTFail("expected \(caseName), got \(error) \(message)", file: file, line: line)
    }
}

// MARK: - Reference math in plain Double

enum Ref {
    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    static func act(_ a: Activation, _ x: Double) -> Double {
        switch a {
        case .tanh: return Foundation.tanh(x)
        case .relu: return x > 0 ? x : 0
        case .sigmoid: return sigmoid(x)
        case .softsign: return x / (1 + abs(x))
        case .elu: return x < 0 ? Foundation.exp(x) - 1 : x
        }
    }

    /// `[x, h]·W + b` for one row; `w` is row-major `[x.count + h.count, width]`.
    static func linear(_ x: [Double], _ h: [Double], _ w: [Double], _ b: [Double]?, width: Int) -> [Double] {
        let v = x + h
        precondition(w.count == v.count * width, "test bug: kernel size")
        return (0..<width).map { j in
            var s = b?[j] ?? 0
            for i in 0..<v.count { s += v[i] * w[i * width + j] }
            return s
        }
    }

    static func clip(_ v: Double, _ limit: Double?) -> Double {
        guard let l = limit else { return v }
        return min(max(v, -l), l)
    }
}

/// Deterministic, nicely varied weights: `count` values in about [-scale, scale].
func weights(_ count: Int, seed: Int, scale: Double = 0.8) -> [Double] {
    (0..<count).map { i in
        let v = Double((i * 7 + seed * 13 + 3) % 17) / 8.0 - 1.0   // in [-1, 1]
        return v * scale
    }
}
