import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// The three views a lecture needs (keys 2, 3, 4), at 80x24, in ASCII and without colour.
final class ViewTests: ExplorerAppTestCase {
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// The numbers of an equation line: `i = σ(W_i·[x, h] + b_i) = σ(-0.089) = +0.478` gives [-0.089, 0.478].
    func numbers(_ line: String) -> [Double] {
        let pattern = try! NSRegularExpression(pattern: #"[+-]?\d+\.\d+|(?<=[(+ ])\d+(?=[ )])"#)
        let ns = line as NSString
        return pattern.matches(in: line, range: NSRange(location: 0, length: ns.length)).compactMap { Double(ns.substring(with: $0.range)) }
    }

    func testUnrolledNetworkDrawsMaskedStepsAsTheyAre() throws {
        let (app, term) = try makeApp(width: 80, height: 24)
        press(app, .char("j"))
        for _ in 0..<5 { press(app, .char("l")) }
        press(app, .char("2"))
        let text = screen(app, term)
        for needle in ["Unrolled network", "L0", "L1", "[lstm", "[gru", "══copy═▶", "▼t=5", "length 5"] {
            XCTAssertTrue(text.contains(needle), "missing \(needle):\n\(text)")
        }
        let lines = text.split(separator: "\n").map(String.init)
        // Steps 3 and 4 run and emit; steps 5 and 6 are masked: 0 is emitted and the state goes around.
        guard let out = lines.first(where: { $0.contains("out ") && $0.contains("↑ y") }) else { return XCTFail(text) }
        XCTAssertEqual(out.components(separatedBy: "↑ y").count - 1, 2, out)
        XCTAssertEqual(out.filter { $0 == "0" }.count, 2, out)
        XCTAssertEqual(lines.filter { $0.contains("copy") && $0.contains("══copy═▶ ══copy═▶") }.count, 2, "a bypass per layer:\n\(text)")
        // ASCII, no colour.
        let (ascii, aterm) = try makeApp(width: 80, height: 24, colorMode: .none, unicode: false)
        press(ascii, .char("j"), .char("G"), .char("2"))
        let a = screen(ascii, aterm)
        XCTAssertTrue(a.unicodeScalars.allSatisfy(\.isASCII), a)
        XCTAssertTrue(a.contains("==copy=>"), a)
    }

    func testUnrolledShowsBothDirections() throws {
        let spec = ExperimentSpec(name: "bi", cell: .lstm(numUnits: 3, options: LSTMOptions()),
                                  cellBackward: .gru(numUnits: 2, activation: .tanh), bidirectional: true,
                                  sequenceLength: [5, 4, 3], batchSize: 3, maxTime: 5, inputDepth: 2, seed: 1)
        let (app, term) = try makeApp(width: 100, height: 32, spec: spec)
        press(app, .char("j"), .char("2"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("forward (fw)"), text)
        XCTAssertTrue(text.contains("backward (bw)"), text)
        XCTAssertTrue(text.contains("x@3"), "bw step 0 of example 1 (length 4) reads input step 3:\n\(text)")
    }

    /// The substituted numbers are the engine's: the printed gate is σ of the printed pre-activation, and c and h
    /// follow from the printed values (to the 3 decimals shown).
    func testEquationsCarryTheStepsNumbers() throws {
        let (app, term) = try makeApp(width: 200, height: 50)
        press(app, .char("j"), .char("l"), .char("l"), .char("."), .char("3"))
        var text = screen(app, term)
        // The right-hand pane's line that starts with `prefix`.
        func line(_ prefix: String) -> [Double] {
            for raw in text.split(separator: "\n") {
                guard let r = raw.range(of: "│" + prefix) else { continue }
                // Skip the left-hand side and the formula: the numbers start after the second " = ".
                let eq = String(raw[r.lowerBound...].dropFirst().prefix { $0 != "│" })
                return numbers(eq.components(separatedBy: " = ").dropFirst(2).joined(separator: " = "))
            }
            XCTFail("no line \(prefix):\n\(text)")
            return []
        }
        let i = line("i = σ"), j = line("j = tanh"), f = line("f = σ"), c = line("c = f·c_prev"), o = line("o = σ"), h = line("h = o·tanh")
        XCTAssertEqual(i.count, 2, "\(i)"); XCTAssertEqual(f.count, 3, "\(f)"); XCTAssertEqual(c.count, 5, "\(c)")
        guard i.count == 2, j.count == 2, f.count == 3, c.count == 5, o.count == 2, h.count == 3 else { return }
        XCTAssertEqual(sigmoid(i[0]), i[1], accuracy: 1e-3)
        XCTAssertEqual(tanh(j[0]), j[1], accuracy: 1e-3)
        XCTAssertEqual(f[1], 1)  // forget_bias
        XCTAssertEqual(sigmoid(f[0] + f[1]), f[2], accuracy: 1e-3)
        XCTAssertEqual(c[0], f[2]); XCTAssertEqual(c[2], i[1]); XCTAssertEqual(c[3], j[1])
        XCTAssertEqual(c[0] * c[1] + c[2] * c[3], c[4], accuracy: 2e-3)
        XCTAssertEqual(sigmoid(o[0]), o[1], accuracy: 1e-3)
        XCTAssertEqual(h[0] * tanh(h[1]), h[2], accuracy: 2e-3)
        // The same numbers as the frame (unit 1, example 1, t=2).
        let frame = try XCTUnwrap(app.model.window(direction: .forward, range: 2..<3).frames.first)
        let gi = try XCTUnwrap(frame.layers[0].gate("i").flatMap { rowValues($0, 1) })
        XCTAssertEqual(gi[1], i[1], accuracy: 5e-4)
        // GRU: h = u·h_prev + (1 - u)·c̃.
        press(app, .char("]"))
        text = screen(app, term)
        let n = line("h = u·h_prev")
        let hl = "\(n)"
        XCTAssertEqual(n.count, 6, "\(n) in \(hl)")
        if n.count == 6 { XCTAssertEqual(n[0] * n[1] + (n[2] - n[3]) * n[4], n[5], accuracy: 2e-3) }
    }

    func testEquationsShowTheClipAndItsBound() throws {
        let spec = ExperimentSpec(name: "clip", cell: .lstm(numUnits: 4, options: LSTMOptions(usePeepholes: true, cellClip: 0.2)),
                                  batchSize: 2, maxTime: 4, inputDepth: 3, seed: 2, inputScale: 4)
        let (app, term) = try makeApp(width: 120, height: 40, spec: spec)
        var bound = false
        for _ in 0..<4 {
            for _ in 0..<4 {
                let text = screen(app, term)
                if app.state.view != .equations { press(app, .char("3")); continue }
                XCTAssertTrue(text.contains("w_f⊙c_prev"), text)
                XCTAssertTrue(text.contains("c = clip(c, ±0.2)"), text)
                if text.contains("! the clip bound") { bound = true }
                press(app, .char("."))
            }
            press(app, .char("l"), .char("g"), .char("l"))
        }
        XCTAssertTrue(bound, "with inputs of scale 4 and cell_clip 0.2 the clip binds somewhere")
    }

    /// Saturation fractions as counted directly from the engine's frames.
    func testSaturationMatchesACountOfTheFrames() throws {
        let spec = ExperimentSpec(name: "sat", cell: .lstm(numUnits: 3, options: LSTMOptions()), sequenceLength: [6, 3],
                                  batchSize: 2, maxTime: 6, inputDepth: 2, seed: 4, inputScale: 6)
        let (app, term) = try makeApp(width: 80, height: 24, spec: spec)
        press(app, .char("4"))
        let text = screen(app, term)
        XCTAssertTrue(text.contains("Gate saturation"), text)
        let frames = app.model.window(direction: .forward, range: 0..<6).frames
        var low = 0, high = 0, samples = 0
        for f in frames {
            for b in 0..<2 where !(f.masked[b]) {
                samples += 1
                let v = rowValues(f.layers[0].gate("f")!, b)![0]
                if v < 0.1 { low += 1 } else if v > 0.9 { high += 1 }
            }
        }
        XCTAssertEqual(samples, 9)
        func pct(_ n: Int) -> String { "\(Int((Double(n) / Double(samples) * 100).rounded()))%" }
        XCTAssertTrue(text.contains("unit 0 f: \(pct(low)) < 0.1, \(pct(high)) > 0.9"), "expected f \(pct(low))/\(pct(high)):\n\(text)")
        XCTAssertTrue(text.contains("9 unmasked"), text)
        let (ascii, aterm) = try makeApp(width: 80, height: 24, colorMode: .none, unicode: false, spec: spec)
        press(ascii, .char("4"))
        XCTAssertTrue(screen(ascii, aterm).unicodeScalars.allSatisfy(\.isASCII), aterm.screenText)
    }

    /// Keras: a reset_after GRU's equations with its numbers, and a masked step that repeats the last valid output.
    func testKerasResetAfterGRUEquationsAndMasking() throws {
        let spec = ExperimentSpec(name: "k", cell: .gruResetAfter(numUnits: 3, activation: .tanh), convention: .keras,
                                  sequenceLength: [4, 2], batchSize: 2, maxTime: 4, inputDepth: 2, seed: 3)
        let (app, term) = try makeApp(width: 200, height: 50, spec: spec)
        press(app, .char("j"), .char("l"), .char("l"))  // example 1 (length 2) at t=2: masked
        var text = screen(app, term)
        XCTAssertTrue(text.contains("emitted =last"), text)
        XCTAssertFalse(text.contains("emitted =0"), text)
        press(app, .char("k"), .char("3"))
        text = screen(app, term)
        guard let line = text.split(separator: "\n").first(where: { $0.contains("│u = σ(x·W_u") }) else { return XCTFail(text) }
        let eq = String(line.split(separator: "│").first { $0.hasPrefix("u = σ") } ?? "")
        let n = numbers(eq.components(separatedBy: " = ").dropFirst(2).joined(separator: " = "))
        XCTAssertEqual(n.count, 3, eq)
        if n.count == 3 { XCTAssertEqual(sigmoid(n[0] + n[1]), n[2], accuracy: 1e-3) }
        XCTAssertTrue(text.contains("c̃ = tanh(x·W_c + b_c + r·(h·U_c + b'_c))"), text)
    }

    /// At the 60x18 minimum the equations do not fit: J scrolls them and the border says what is left.
    func testEquationsScrollAtTheMinimumSize() throws {
        let (app, term) = try makeApp(width: 60, height: 18)
        press(app, .char("3"))
        var text = screen(app, term)
        XCTAssertTrue(text.contains("more"), text)
        XCTAssertFalse(text.contains("h = o·tanh(c)"), text)
        for _ in 0..<30 { press(app, .char("J")) }
        text = screen(app, term)
        XCTAssertTrue(text.contains("h = o·tanh(c)"), text)
        XCTAssertTrue(text.contains("↑"), text)
    }
}
