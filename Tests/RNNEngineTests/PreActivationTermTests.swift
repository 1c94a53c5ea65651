import XCTest
@testable import RNNEngine

/// The terms a frame records for the equations view agree with the gates they produce (checked with the
/// written-out activations, not the engine's kernels).
final class PreActivationTermTests: XCTestCase {
    func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    func frame(_ cell: any RNNCell<Double>, depth: Int = 3, batch: Int = 2, time: Int = 3, lengths: [Int]? = nil) throws -> [Frame<Double>] {
        // Inputs in ±3 from a fixed formula (no generator needed).
        let x = try Tensor<Double>(shape: [batch, time, depth], scalars: (0..<(batch * time * depth)).map { 3 * sin(Double($0) * 1.7 + 0.3) })
        let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: lengths, initialState: nil,
                                    dtype: .float64, timeMajor: false, scope: "rnn")
        var state = loop.initialState
        var out: [Frame<Double>] = []
        for t in 0..<time {
            let r = try loop.step(from: state, at: t, record: true)
            state = r.state
            out.append(try XCTUnwrap(r.frame))
        }
        return out
    }

    func term(_ l: LayerFrame<Double>, _ name: String) throws -> [Double] { try XCTUnwrap(l.terms.first { $0.name == name }).value.scalars }
    func gate(_ l: LayerFrame<Double>, _ name: String) throws -> [Double] { try XCTUnwrap(l.gates.first { $0.name == name }).value.scalars }

    func testLSTMWithPeepholesAndClipRecordsItsTerms() throws {
        let store = VariableStore<Double>(arrays: [:], missing: .initialize(seed: 3))
        let cell = try LSTMCell<Double>(numUnits: 4, options: LSTMOptions(usePeepholes: true, cellClip: 0.5, numProj: 3, projClip: 0.1, forgetBias: 1), store: store)
        for f in try frame(cell) {
            let l = f.layers[0]
            let fPre = try term(l, "f_pre"), peepF = try term(l, "peep_f"), fg = try gate(l, "f")
            for k in fg.indices { XCTAssertEqual(fg[k], sigmoid(fPre[k] + 1 + peepF[k]), accuracy: 1e-12) }
            let iPre = try term(l, "i_pre"), peepI = try term(l, "peep_i"), ig = try gate(l, "i")
            for k in ig.indices { XCTAssertEqual(ig[k], sigmoid(iPre[k] + peepI[k]), accuracy: 1e-12) }
            let jPre = try term(l, "j_pre"), jg = try gate(l, "j")
            for k in jg.indices { XCTAssertEqual(jg[k], tanh(jPre[k]), accuracy: 1e-12) }
            guard case let .lstm(cNew, _) = l.computedState, case let .lstm(cOld, _) = l.stateBefore else { return XCTFail() }
            let raw = try term(l, "c_unclipped")
            for k in raw.indices {
                XCTAssertEqual(raw[k], fg[k] * cOld.scalars[k] + ig[k] * jg[k], accuracy: 1e-12)
                XCTAssertEqual(cNew.scalars[k], min(0.5, max(-0.5, raw[k])), accuracy: 1e-12)
            }
            let oPre = try term(l, "o_pre"), peepO = try term(l, "peep_o"), og = try gate(l, "o")
            for k in og.indices { XCTAssertEqual(og[k], sigmoid(oPre[k] + peepO[k]), accuracy: 1e-12) }
            let proj = try term(l, "proj_unclipped")
            for (k, v) in l.cellOutput.scalars.enumerated() { XCTAssertEqual(v, min(0.1, max(-0.1, proj[k])), accuracy: 1e-12) }
        }
        // The clip binds somewhere with inputs in ±3 and a clip of 0.5: the point of recording it.
        XCTAssertTrue(try frame(cell).contains { f in try term(f.layers[0], "c_unclipped").contains { abs($0) > 0.5 } })
    }

    func testGRUAndBasicRNNRecordTheirTerms() throws {
        let store = VariableStore<Double>(arrays: [:], missing: .initialize(seed: 4))
        let gru = try GRUCell<Double>(numUnits: 3, store: store)
        for f in try frame(gru) {
            let l = f.layers[0]
            let r = try gate(l, "r"), rPre = try term(l, "r_pre"), u = try gate(l, "u"), uPre = try term(l, "u_pre")
            let c = try gate(l, "c"), cPre = try term(l, "c_pre")
            for k in r.indices {
                XCTAssertEqual(r[k], sigmoid(rPre[k]), accuracy: 1e-12)
                XCTAssertEqual(u[k], sigmoid(uPre[k]), accuracy: 1e-12)
                XCTAssertEqual(c[k], tanh(cPre[k]), accuracy: 1e-12)
            }
        }
        let rnn = try BasicRNNCell<Double>(numUnits: 3, store: store)
        for f in try frame(rnn) {
            let l = f.layers[0]
            let pre = try term(l, "h_pre")
            for (k, v) in l.cellOutput.scalars.enumerated() { XCTAssertEqual(v, tanh(pre[k]), accuracy: 1e-12) }
        }
    }
}
