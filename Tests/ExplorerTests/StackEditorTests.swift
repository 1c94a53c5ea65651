import XCTest
@testable import Explorer
import RNNEngine

/// The editor's type cycle, per convention: exactly the kinds that convention runs, each with its default options.
final class StackEditorTests: XCTestCase {
    /// The layers `T` visits from `start` until it comes back to a kind it has seen.
    func cycle(from start: CellSpec, _ c: Convention) throws -> [CellLayer] {
        var seen: [CellLayer] = [], spec = start
        for _ in 0...CellKind.allCases.count {
            guard case let .success(r) = StackEditor.apply(.cycleType, to: spec, layer: 0, convention: c) else {
                XCTFail("\(c): type change refused"); return seen
            }
            let layer = try XCTUnwrap(r.cell.unwrappedLayer)
            if seen.contains(where: { $0.kind == layer.kind }) { break }
            seen.append(layer)
            spec = r.cell
        }
        return seen
    }

    func testTheCycleOffersWhatEachConventionRuns() throws {
        let expected: [Convention: Set<CellKind>] = [
            .tf: [.basicRNN, .basicLSTM, .lstm, .gru, .gruResetAfter], .onnx: [.onnxLSTM, .onnxGRU, .onnxRNN], .keras: [.basicRNN, .lstm, .gru, .gruResetAfter], .torch: [.basicRNN, .lstm, .gruResetAfter],
        ]
        for c in Convention.allCases {
            let forgetBias: Double = c == .tf ? 1 : 0
            // What RNNModel accepts, kind by kind, with the convention's default forget_bias.
            let accepted = Set(CellKind.allCases.filter { kind in
                (try? RNNModel(cell: .layer(CellLayer(kind: kind, numUnits: 4, options: CellOptions(forgetBias: forgetBias))),
                               convention: c).validate()) != nil
            })
            XCTAssertEqual(accepted, expected[c], "\(c)")
            // From any kind (offered or not) and any activation, the cycle goes round exactly the accepted kinds.
            for kind in CellKind.allCases {
                for a in [Activation.tanh, .sigmoid] {
                    let start = CellSpec.layer(CellLayer(kind: kind, numUnits: 4, activation: a))
                    let visited = try cycle(from: start, c)
                    XCTAssertEqual(Set(visited.map(\.kind)), accepted, "\(c) from \(start.summary)")
                    XCTAssertEqual(visited.count, accepted.count, "\(c) from \(start.summary)")
                    for layer in visited {
                        XCTAssertEqual(layer.numUnits, 4)
                        XCTAssertNoThrow(try RNNModel(cell: .layer(layer), convention: c).validate(), "\(c): \(layer.summary(for: c))")
                        if layer.descriptor.jsonKeys.contains(CellOptions.Key.forgetBias) {
                            XCTAssertEqual(layer.options.forgetBias, forgetBias, "\(c): \(layer.summary(for: c))")
                        }
                    }
                }
            }
        }
        // tf's order, the reset-after GRU included; the activation is kept where the convention takes it.
        let tf = try cycle(from: .basicRNN(numUnits: 4, activation: .relu), .tf).map { CellSpec.layer($0) }
        XCTAssertEqual(tf, [.basicLSTM(numUnits: 4, forgetBias: 1, activation: .relu), .lstm(numUnits: 4, options: LSTMOptions(activation: .relu)),
                            .gru(numUnits: 4, activation: .relu), .gruResetAfter(numUnits: 4, activation: .relu), .basicRNN(numUnits: 4, activation: .relu)])
        let torch = try cycle(from: .basicRNN(numUnits: 4, activation: .relu), .torch).map { CellSpec.layer($0) }
        XCTAssertEqual(torch, [.lstm(numUnits: 4, options: LSTMOptions(forgetBias: 0)), .gruResetAfter(numUnits: 4, activation: .tanh),
                               .basicRNN(numUnits: 4, activation: .tanh)])
    }

    /// Options an edit changes are the kind's own: the LSTM's are refused on another kind, as before.
    func testOptionEditsGoByTheKindsKeys() {
        let gru = CellSpec.gruResetAfter(numUnits: 3, activation: .tanh)
        for edit in [StackEdit.togglePeepholes, .cycleCellClip, .setProjection(2)] {
            guard case let .failure(r) = StackEditor.apply(edit, to: gru, layer: 0) else { return XCTFail("\(edit) on a GRU") }
            XCTAssertEqual(r.reason, "peepholes, cell_clip and num_proj are LSTMCell options: T changes this gru layer's type")
        }
        guard case let .failure(r) = StackEditor.apply(.cycleForgetBias, to: gru, layer: 0) else { return XCTFail("forget_bias on a GRU") }
        XCTAssertEqual(r.reason, "forget_bias is an LSTM option; this layer is gru")
        guard case let .success(b) = StackEditor.apply(.cycleForgetBias, to: .basicLSTM(numUnits: 2, forgetBias: 1, activation: .elu), layer: 0),
              case let .success(p) = StackEditor.apply(.setProjection(3), to: .residual(.lstm(numUnits: 2, options: LSTMOptions())), layer: 0)
        else { return XCTFail("an LSTM option refused") }
        XCTAssertEqual(b.cell, .basicLSTM(numUnits: 2, forgetBias: 0, activation: .elu))
        XCTAssertEqual(p.cell, .residual(.lstm(numUnits: 2, options: LSTMOptions(numProj: 3))))
        XCTAssertEqual(StackEditor.numProj(p.cell), 3)
    }
}
