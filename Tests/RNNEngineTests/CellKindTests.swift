import XCTest
@testable import RNNEngine

/// Each built-in kind's descriptor against the cells it builds: the counts, structure, names, recorded terms and
/// fused kernel it declares are what the built cell creates and does.
final class CellKindTests: XCTestCase {
    /// Every kind, with its options at the defaults and (for the LSTM) set in every combination that changes a count.
    var layers: [CellLayer] {
        var out: [CellLayer] = CellKind.allCases.flatMap { kind in
            [CellLayer(kind: kind, numUnits: 4), CellLayer(kind: kind, numUnits: 3, activation: .relu, options: CellOptions(forgetBias: 0.5))]
        }
        for (peep, proj, cellClip, projClip) in [(true, nil, nil, nil), (false, 2, nil, nil), (true, 5, 1.0, 0.5), (false, nil, 3.0, nil),
                                                 (false, 2, nil, 0.25)] as [(Bool, Int?, Double?, Double?)] {
            out.append(CellLayer(kind: .lstm, numUnits: 4, options: CellOptions(usePeepholes: peep, cellClip: cellClip, numProj: proj, projClip: projClip)))
        }
        out.append(CellLayer(kind: .onnxLSTM, numUnits: 4, options: CellOptions(usePeepholes: true, clip: 0.5, inputForget: true)))
        out.append(CellLayer(kind: .onnxGRU, numUnits: 3, options: CellOptions(clip: 1, linearBeforeReset: true)))
        return out
    }

    func testParameterCountStateAndOutputAreTheBuiltCells() throws {
        try check(Float.self)
        try check(Double.self)
    }

    private func check<S: RNNScalar>(_: S.Type) throws {
        for layer in layers {
            let d = layer.descriptor, name = CellSpec.layer(layer).summary
            let store = VariableStore<S>(missing: .initialize(seed: 1))
            let cell = try d.makeCell(layer, store: store)
            try cell.build(inputDepth: 3, scope: "rnn")
            let created = store.requests.map { $0.expectedShape.reduce(1, *) }.reduce(0, +)
            XCTAssertEqual(d.estimatedParameters(layer, inputDepth: 3), Double(created), name)
            XCTAssertEqual(CellSpec.layer(layer).parameterCount(inputDepth: 3), created, name)
            XCTAssertEqual(d.stateSize(layer), cell.stateSize, name)
            XCTAssertEqual(d.outputSize(layer), cell.outputSize, name)
            XCTAssertEqual(d.scopeName, cell.name, name)
            XCTAssertEqual(CellKind(cellName: cell.name)?.descriptor.scopeName, cell.name, name)
        }
    }

    /// The variables the built cell creates have the layout and block count the descriptor declares.
    func testVariablesHaveTheDeclaredLayoutAndBlocks() throws {
        let depth = 3
        for layer in layers {
            let d = layer.descriptor, u = layer.numUnits, k = d.blockCount, h = d.outputSize(layer)
            let store = VariableStore<Float>(missing: .initialize(seed: 1))
            try d.makeCell(layer, store: store).build(inputDepth: depth, scope: "rnn")
            var shapes: [String: [Int]] = [:]
            for r in store.requests { shapes[String(r.name.dropFirst("rnn/\(d.scopeName)/".count))] = r.expectedShape }
            switch d.tensorFlowVariables {
            case .concatenated:
                XCTAssertEqual(shapes["kernel"], [depth + h, k * u], layer.kind.rawValue)
                XCTAssertEqual(shapes["bias"], [k * u], layer.kind.rawValue)
            case .gatesAndCandidate:
                XCTAssertEqual(shapes["gates/kernel"], [depth + u, (k - 1) * u], layer.kind.rawValue)
                XCTAssertEqual(shapes["candidate/kernel"], [depth + u, u], layer.kind.rawValue)
            case .inputAndRecurrent:
                XCTAssertEqual(shapes["kernel"], [depth, k * u], layer.kind.rawValue)
                XCTAssertEqual(shapes["recurrent_kernel"], [u, k * u], layer.kind.rawValue)
                XCTAssertEqual(shapes["bias"], [2, k * u], layer.kind.rawValue)
            }
            XCTAssertEqual(d.hasRecurrentBias, d.tensorFlowVariables == .inputAndRecurrent)
        }
    }

    /// Every framework stores each gate block once, as many as the kernel has; TF's order where the kernel follows
    /// the gate table is the table's.
    func testGateOrdersHoldEachBlockOnce() {
        for kind in CellKind.allCases {
            let d = kind.descriptor
            XCTAssertEqual(d.neutralGateOrder.count, d.blockCount, kind.rawValue)
            XCTAssertEqual(Set(d.neutralGateOrder).count, d.blockCount, kind.rawValue)
            for c in Convention.allCases {
                XCTAssertEqual(d.storedGateOrder(c).count, d.blockCount, "\(kind) \(c)")
                XCTAssertEqual(Set(d.storedGateOrder(c)), Set(d.neutralGateOrder), "\(kind) \(c)")
            }
            XCTAssertTrue(d.gates.isEmpty || d.gates.count == d.blockCount, kind.rawValue)
            XCTAssertEqual(d.gates.compactMap { Gate(tfName: $0.name) }.count, d.gates.count, kind.rawValue)
        }
        // The orders the weight layouts use (their tests check the arrays): TF i, j, f, o; Keras i, f, c, o; PyTorch
        // i, f, g, o; TF 1's GRU gates r, u then the candidate; Keras' GRUs z, r, h; PyTorch's r, z, n.
        XCTAssertEqual(CellKind.lstm.descriptor.storedGateOrder(.tf), [.input, .candidate, .forget, .output])
        XCTAssertEqual(CellKind.basicLSTM.descriptor.storedGateOrder(.tf), [.input, .candidate, .forget, .output])
        XCTAssertEqual(CellKind.lstm.descriptor.storedGateOrder(.keras), [.input, .forget, .candidate, .output])
        XCTAssertEqual(CellKind.lstm.descriptor.storedGateOrder(.torch), [.input, .forget, .candidate, .output])
        XCTAssertEqual(CellKind.gru.descriptor.storedGateOrder(.tf), [.reset, .update, .candidate])
        XCTAssertEqual(CellKind.gru.descriptor.storedGateOrder(.keras), [.update, .reset, .candidate])
        XCTAssertEqual(CellKind.gruResetAfter.descriptor.storedGateOrder(.tf), [.update, .reset, .candidate])
        XCTAssertEqual(CellKind.gruResetAfter.descriptor.storedGateOrder(.keras), [.update, .reset, .candidate])
        XCTAssertEqual(CellKind.gruResetAfter.descriptor.storedGateOrder(.torch), [.reset, .update, .candidate])
    }

    /// A recorded step holds exactly the gates and terms the descriptor names (plus `m` before a projection).
    func testRecordedGatesAndTerms() throws {
        for layer in layers {
            let d = layer.descriptor, name = CellSpec.layer(layer).summary
            let cell = try d.makeCell(layer, store: VariableStore<Double>(missing: .initialize(seed: 2)))
            let x = randomTensor([2, 2, 3], seed: 5, as: Double.self)
            let loop = try UnrolledLoop(cell: cell, inputs: .leaf(x), sequenceLength: nil, initialState: nil, dtype: .float64,
                                        timeMajor: false, scope: "rnn")
            let frame = try XCTUnwrap(try loop.step(from: loop.initialState, at: 0, record: true).frame)
            let l = try XCTUnwrap(frame.layers.first)
            XCTAssertEqual(l.gates.map(\.name).filter { $0 != "m" }, d.gates.map(\.name), name)
            XCTAssertEqual(l.gates.contains { $0.name == "m" }, layer.options.numProj != nil, name)
            XCTAssertEqual(Set(l.terms.map(\.name)), Set(d.recordedTerms(layer)), name)
            XCTAssertEqual(l.terms.count, d.recordedTerms(layer).count, name)
        }
    }

    /// The fast path plans each kind with the fused kernel its descriptor names (none: step by step).
    func testFusedKernel() throws {
        for layer in layers {
            let cell = try layer.descriptor.makeCell(layer, store: VariableStore<Float>(missing: .initialize(seed: 1)))
            try cell.build(inputDepth: 3, scope: "rnn")
            XCTAssertEqual(FastLayer.make(cell)?.kind, layer.descriptor.fusedKernel, CellSpec.layer(layer).summary)
        }
    }

    /// The names: the key's raw value, the experiment type and its `reset_after`, TF's scope, one descriptor per key.
    func testNamesAndLookups() {
        XCTAssertEqual(CellKind.jsonTypes, ["basic_rnn", "basic_lstm", "lstm", "gru"])
        for kind in CellKind.allCases {
            let d = kind.descriptor
            XCTAssertEqual(d.kind, kind)
            XCTAssertEqual(CellKind.kind(jsonType: d.jsonType, resetAfter: d.resetAfter, defaultResetAfter: false,
                                         convention: d.onlyConvention ?? .tf), kind)
            XCTAssertEqual(Array(d.jsonKeys.prefix(2)), ["type", "num_units"], kind.rawValue)
            // ONNX's kinds take ONNX's `activations` list, the others TF's `activation`.
            XCTAssertEqual(d.jsonKeys.contains("activation"), d.onlyConvention == nil, kind.rawValue)
            XCTAssertEqual(d.jsonKeys.contains("activations"), d.onlyConvention == .onnx, kind.rawValue)
            XCTAssertEqual(d.jsonKeys.contains("reset_after"), d.resetAfter != nil, kind.rawValue)
            // Kinds sharing a type in one convention take the same keys.
            for other in CellKind.allCases where other.descriptor.jsonType == d.jsonType && other.descriptor.onlyConvention == d.onlyConvention {
                XCTAssertEqual(other.descriptor.jsonKeys, d.jsonKeys)
            }
        }
        XCTAssertEqual(CellKind.kind(jsonType: "gru", resetAfter: nil, defaultResetAfter: true), .gruResetAfter)
        XCTAssertEqual(CellKind.kind(jsonType: "gru", resetAfter: nil, defaultResetAfter: false), .gru)
        XCTAssertNil(CellKind.kind(jsonType: "multi", resetAfter: nil, defaultResetAfter: false))
        // Under onnx a type means ONNX's operator, whatever reset_after says; elsewhere never.
        XCTAssertEqual(CellKind.kind(jsonType: "gru", resetAfter: nil, defaultResetAfter: true, convention: .onnx), .onnxGRU)
        XCTAssertEqual(CellKind.kind(jsonType: "lstm", resetAfter: nil, defaultResetAfter: true, convention: .onnx), .onnxLSTM)
        XCTAssertEqual(CellKind.kind(jsonType: "basic_rnn", resetAfter: nil, defaultResetAfter: true, convention: .onnx), .onnxRNN)
        XCTAssertNil(CellKind.kind(jsonType: "basic_lstm", resetAfter: nil, defaultResetAfter: true, convention: .onnx))
        XCTAssertEqual(CellKind.kind(jsonType: "lstm", resetAfter: nil, defaultResetAfter: true, convention: .torch), .lstm)
        XCTAssertEqual(CellKind(cellName: "gru_cell"), .gru)
        XCTAssertNil(CellKind(cellName: "multi_rnn_cell"))
        XCTAssertEqual(CellKind.allCases.map(\.descriptor.scopeName), ["basic_rnn_cell", "basic_lstm_cell", "lstm_cell", "gru_cell", "gru_cell",
                                                                       "onnx_lstm", "onnx_gru", "onnx_rnn"])
    }

    /// A framework has a class for a kind exactly when its convention runs the kind with its default options.
    func testFrameworkClassesAgreeWithWhatEachConventionRuns() {
        for kind in CellKind.allCases {
            let d = kind.descriptor
            for c in Convention.allCases {
                let runs = CellKind.offered(by: c).contains(kind)
                switch c {
                case .tf: XCTAssertEqual(d.onlyConvention == nil, runs, kind.rawValue)
                case .keras: XCTAssertEqual(d.kerasClass != nil, runs, kind.rawValue)
                case .torch: XCTAssertEqual(d.torchModule != nil, runs, kind.rawValue)
                case .onnx: XCTAssertEqual(d.onlyConvention == .onnx, runs, kind.rawValue)
                }
            }
        }
        XCTAssertEqual(CellKind.offered(by: .tf), [.basicRNN, .basicLSTM, .lstm, .gru, .gruResetAfter])
        XCTAssertEqual(CellKind.offered(by: .onnx), [.onnxLSTM, .onnxGRU, .onnxRNN])
        XCTAssertEqual(CellKind.offered(by: .keras), [.basicRNN, .lstm, .gru, .gruResetAfter])
        XCTAssertEqual(CellKind.offered(by: .torch), [.basicRNN, .lstm, .gruResetAfter])
    }

    /// Why a framework refuses a layer, word for word as `RNNModel.validate` has always said it.
    func testUnsupportedReasonsReadAsBefore() {
        func reason(_ spec: CellSpec, _ c: Convention) -> String {
            do { try RNNModel(cell: spec, convention: c).validate(); return "" } catch { return "\(error)" }
        }
        let lstm = { (o: LSTMOptions) in CellSpec.lstm(numUnits: 3, options: o) }
        let cases: [(CellSpec, Convention, String)] = [
            (.basicRNN(numUnits: 3, activation: .sigmoid), .torch, "nn.RNN's nonlinearity is tanh or relu, got sigmoid"),
            (.basicLSTM(numUnits: 3, forgetBias: 0, activation: .tanh), .keras,
             "Keras has no BasicLSTMCell; use \"lstm\" (the same equations without a forget_bias term)"),
            (.basicLSTM(numUnits: 3, forgetBias: 0, activation: .tanh), .torch,
             "PyTorch has no BasicLSTMCell; use \"lstm\" (the same equations without a forget_bias term)"),
            (lstm(LSTMOptions(usePeepholes: true, forgetBias: 0)), .torch, "PyTorch's LSTM has no peepholes (use_peepholes)"),
            (lstm(LSTMOptions(cellClip: 1, forgetBias: 0)), .keras, "Keras' LSTM has no cell_clip"),
            (lstm(LSTMOptions(numProj: 2, projClip: 1, forgetBias: 0)), .torch, "PyTorch's LSTM has no proj_clip"),
            (lstm(LSTMOptions(numProj: 2, forgetBias: 0)), .keras, "Keras' LSTM has no projection (num_proj); PyTorch's proj_size has one"),
            // nn.LSTM: "proj_size has to be smaller than hidden_size" (issue 21).
            (lstm(LSTMOptions(numProj: 3, forgetBias: 0)), .torch,
             "PyTorch's LSTM refuses num_proj = 3 with num_units = 3 (proj_size has to be smaller than hidden_size)"),
            (lstm(LSTMOptions(numProj: 7, forgetBias: 0)), .torch,
             "PyTorch's LSTM refuses num_proj = 7 with num_units = 3 (proj_size has to be smaller than hidden_size)"),
            (lstm(LSTMOptions(forgetBias: 1)), .torch,
             "PyTorch's LSTM has no forget_bias term (got forget_bias = 1.0); it lives in the forget gate's bias"),
            (lstm(LSTMOptions(forgetBias: 0, activation: .relu)), .torch, "nn.LSTM's activation is tanh, got relu"),
            (.gru(numUnits: 3, activation: .tanh), .torch,
             "PyTorch's GRU always applies the reset gate after the recurrent product: it needs \"reset_after\": true"),
            (.gruResetAfter(numUnits: 3, activation: .elu), .torch, "nn.GRU's activation is tanh, got elu"),
        ]
        for (spec, c, why) in cases {
            XCTAssertEqual(reason(spec, c), RNNError.invalidCell("convention \(c.rawValue): " + why).description, spec.summary)
        }
        for (spec, c) in [(lstm(LSTMOptions(numProj: 2, forgetBias: 0)), Convention.torch), (lstm(LSTMOptions(forgetBias: 0, activation: .relu)), .keras),
                          (.gru(numUnits: 3, activation: .tanh), .keras), (.basicRNN(numUnits: 3, activation: .sigmoid), .keras)] {
            XCTAssertEqual(reason(spec, c), "", spec.summary)
        }
    }

    /// A layer keeps only the options its kind takes, so layers that build the same cell are equal.
    func testLayersKeepOnlyTheirKindsOptions() {
        let gru = CellLayer(kind: .gru, numUnits: 2, options: CellOptions(forgetBias: 3, usePeepholes: true, numProj: 4))
        XCTAssertEqual(CellSpec.layer(gru), .gru(numUnits: 2, activation: .tanh))
        XCTAssertEqual(gru.options, CellOptions(forgetBias: 0))
        var basic = CellLayer(kind: .basicLSTM, numUnits: 2, options: CellOptions(forgetBias: 0.5))
        basic.options.numProj = 3
        XCTAssertEqual(CellSpec.layer(basic), .basicLSTM(numUnits: 2, forgetBias: 0.5, activation: .tanh))
        XCTAssertEqual(CellSpec.lstm(numUnits: 2, options: LSTMOptions(numProj: 1, activation: .elu)).unwrappedLayer?.lstmOptions,
                       LSTMOptions(numProj: 1, activation: .elu))
    }
    /// A cell made with arguments TF refuses throws the error naming the cell's class and the argument.
    func testCellsRefuseBadArgumentsByName() {
        let store = VariableStore<Float>(missing: .initialize(seed: 1))
        func message(_ spec: CellSpec) -> String {
            do {
                _ = try spec.makeCell(store: store)
                return "made"
            } catch { return "\(error)" }
        }
        let cases: [(CellSpec, String)] = [
            (.basicRNN(numUnits: 0, activation: .tanh), "BasicRNNCell: num_units must be at least 1, got 0"),
            (.basicLSTM(numUnits: -2, forgetBias: 1, activation: .tanh), "BasicLSTMCell: num_units must be at least 1, got -2"),
            (.lstm(numUnits: 0, options: LSTMOptions()), "LSTMCell: num_units must be at least 1, got 0"),
            (.lstm(numUnits: 3, options: LSTMOptions(numProj: 0)), "LSTMCell: num_proj must be at least 1, got 0"),
            (.lstm(numUnits: 3, options: LSTMOptions(cellClip: -1)), "LSTMCell: cell_clip must be non-negative, got -1.0"),
            (.lstm(numUnits: 3, options: LSTMOptions(numProj: 2, projClip: .nan)), "LSTMCell: proj_clip must be non-negative, got nan"),
            (.gru(numUnits: 0, activation: .tanh), "GRUCell: num_units must be at least 1, got 0"),
            (.gruResetAfter(numUnits: 0, activation: .tanh), "GRUCell(reset_after): num_units must be at least 1, got 0"),
        ]
        for (spec, expected) in cases {
            XCTAssertEqual(message(spec), RNNError.invalidCell(expected).description, spec.summary)
        }
        XCTAssertEqual(message(.lstm(numUnits: 3, options: LSTMOptions(cellClip: 0, numProj: 1, projClip: 0))), "made")
    }
}
