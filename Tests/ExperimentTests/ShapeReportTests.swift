import Experiment
import Foundation
import RNNEngine
import XCTest

/// `unroll shapes` (issue 21, items 7 and 13): the weights' names and shapes come from the layouts alone, never
/// from their values, and everything taken from a file is escaped.
final class ShapeReportTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("shape-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func report(_ json: String, arrays: [(String, NumpyArray)] = []) throws -> ShapeReport {
        if !arrays.isEmpty { try Npz.write(arrays, to: dir.appendingPathComponent("w.npz")) }
        let url = dir.appendingPathComponent("e.json")
        try Data(json.utf8).write(to: url)
        let spec = try ExperimentLoader.readSpec(url)
        return ShapeReport(try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: Float.self, shapesOnly: true))
    }

    /// Models of every kind, option and composition each convention runs.
    static var models: [RNNModel] {
        let layers: [CellSpec] = [
            .basicRNN(numUnits: 3, activation: .tanh), .basicLSTM(numUnits: 3, forgetBias: 1, activation: .tanh),
            .lstm(numUnits: 4, options: LSTMOptions(forgetBias: 0)),
            .lstm(numUnits: 4, options: LSTMOptions(usePeepholes: true, cellClip: 1, numProj: 2, forgetBias: 1)),
            .lstm(numUnits: 4, options: LSTMOptions(numProj: 3, forgetBias: 0)),
            .gru(numUnits: 3, activation: .tanh), .gruResetAfter(numUnits: 3, activation: .tanh),
        ]
        var models: [RNNModel] = []
        for c in Convention.allCases {
            for l in layers {
                models.append(RNNModel(cell: l, convention: c))
                models.append(RNNModel(cell: .multi([l, .residual(.dropout(l, DropoutOptions())), l]), convention: c))
                models.append(RNNModel(cell: l, bidirectional: true, convention: c))
                models.append(RNNModel(cell: .multi([l, l]), bidirectional: true, convention: c))
            }
        }
        return models.filter { (try? $0.validate()) != nil }
    }

    /// What a layout lists is what its `write` produces (Keras, PyTorch) and what the engine's cells ask for, in
    /// their order (TF): the shapes `unroll shapes` prints are the ones a run reads.
    func testLayoutsListWhatTheCellsRequestAndWhatTheyWrite() throws {
        let models = Self.models
        XCTAssertGreaterThan(Set(models.map(\.convention)).count, 2)
        for model in models {
            let listed = try WeightLayouts.frameworkShapes(model: model, inputDepth: 5)
            let store = VariableStore<Float>(missing: .initialize(seed: 1))
            for layer in model.layers(inputDepth: 5) {
                try layer.spec.makeCell(store: store).build(inputDepth: layer.inputDepth, scope: layer.scope)
            }
            let label = "\(model.convention) \(model.cell.summary)\(model.bidirectional ? " bidirectional" : "")"
            if model.convention == .tf {
                XCTAssertEqual(listed.map(\.name), store.requests.map(\.name), label)
                XCTAssertEqual(listed.map(\.shape), store.requests.map(\.expectedShape), label)
            } else {
                var engine: [String: Tensor<Float>] = [:]
                for r in store.requests { engine[r.name] = try store.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
                let written = try WeightLayouts.frameworkArrays(model: model, inputDepth: 5, engine: engine)
                XCTAssertEqual(listed.map(\.name), written.map(\.name), label)
                XCTAssertEqual(listed.map(\.shape), written.map(\.tensor.shape), label)
            }
        }
    }

    /// A 100-byte LSTM(7000) asks for 784 MB of weights: `shapes` lists them without making, converting or
    /// transposing any (it took over 15 s under torch, 79% in an element-by-element transpose).
    func testShapesNeedNoWeightValues() throws {
        for convention in ["tf", "keras", "torch"] {
            let start = Date()
            let r = try report(#"{"convention": "\#(convention)", "cell": {"type": "lstm", "num_units": 7000\#(convention == "tf" ? "" : #", "forget_bias": 0"#)}, "batch_size": 1, "max_time": 1, "input_depth": 1}"#)
            let seconds = Date().timeIntervalSince(start)
            XCTAssertFalse(r.hasProblems, r.text)
            let kernel = convention == "torch" ? "weight_hh_l0" : convention == "keras" ? "rnn/lstm_cell/recurrent_kernel" : "rnn/lstm_cell/kernel"
            let shape = convention == "torch" ? "[28000, 7000]" : convention == "keras" ? "[7000, 28000]" : "[7001, 28000]"
            XCTAssertTrue(r.lines.contains { $0.label == kernel && $0.value.hasPrefix("expected \(shape)") }, r.text)
            XCTAssertLessThan(seconds, 3, "\(convention): shapes took \(seconds) s")
        }
    }

    /// The experiment's name and the names of unused archive entries are escaped (ESC, OSC, CSI, NUL, C1 U+009B).
    func testTextFromTheFileIsEscaped() throws {
        let hostile = "\u{1b}]0;owned\u{07}\u{1b}[2J\u{0}\u{9b}31m"
        let weights = [("rnn/basic_rnn_cell/kernel", try NumpyArray(Tensor<Float>(zeros: [3, 2]))),
                       ("rnn/basic_rnn_cell/bias", try NumpyArray(Tensor<Float>(zeros: [2]))),
                       ("rnn/" + hostile, try NumpyArray(Tensor<Float>(zeros: [1])))]
        let nameJSON = hostile.unicodeScalars.map { String(format: "\\u%04x", $0.value) }.joined()
        let r = try report(#"{"name": "\#(nameJSON)", "cell": {"type": "basic_rnn", "num_units": 2}, "batch_size": 1, "max_time": 1, "input_depth": 1, "weights": "w.npz"}"#,
                           arrays: weights)
        for line in r.text.split(separator: "\n") {
            let controls = line.unicodeScalars.filter { $0.properties.generalCategory == .control }
            XCTAssertTrue(controls.isEmpty, "raw control characters in «\(line)»")
        }
        XCTAssertTrue(r.text.contains(#"\u{1b}]0;owned\u{7}\u{1b}[2J\u{0}\u{9b}31m"#), r.text)
        XCTAssertTrue(r.lines.contains { $0.problem && $0.label.hasPrefix(#"rnn/\u{1b}]0;owned"#) }, r.text)
    }

    /// The report, or the error, of `url` loaded for its shapes alone (weights' headers only) and loaded in full.
    private func bothWays(_ url: URL) -> (headers: String, full: String) {
        func text(_ shapesOnly: Bool) -> String {
            do {
                let spec = try ExperimentLoader.readSpec(url)
                func report<S: RNNScalar>(_: S.Type) throws -> String {
                    ShapeReport(try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(),
                                                          as: S.self, shapesOnly: shapesOnly)).text
                }
                return spec.dtype == .float64 ? try report(Double.self) : try report(Float.self)
            } catch {
                return "error: \(error)"
            }
        }
        return (text(true), text(false))
    }

    /// Reading only the weights' headers reports what loading them reports: every sample and framework case, and
    /// a PyTorch file with an array missing, of the wrong shape or of the wrong dtype.
    func testHeadersAloneReportWhatLoadingReports() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var urls: [URL] = []
        for folder in [root.appendingPathComponent("samples"), root.appendingPathComponent("Tests/ExperimentTests/Fixtures/framework_cases"),
                       FrameworkConformanceTests.sharedDirectory] {
            urls += try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
        }
        var withWeights = 0
        for url in urls {
            guard let spec = try? ExperimentLoader.readSpec(url), spec.weights != nil else { continue }
            withWeights += 1
            let (headers, full) = bothWays(url)
            XCTAssertEqual(headers, full, url.lastPathComponent)
        }
        XCTAssertGreaterThan(withWeights, 10)

        let json = #"{"convention": "torch", "cell": {"type": "lstm", "num_units": 3, "forget_bias": 0}, "batch_size": 1, "max_time": 2, "input_depth": 2, "weights": "w.npz"}"#
        let spec = try ExperimentSpec.parse(Data(json.utf8), file: "e.json")
        let store = VariableStore<Float>(missing: .initialize(seed: 3))
        for layer in spec.model.layers(inputDepth: 2) {
            try layer.spec.makeCell(store: store).build(inputDepth: layer.inputDepth, scope: layer.scope)
        }
        var engine: [String: Tensor<Float>] = [:]
        for r in store.requests { engine[r.name] = try store.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
        let good = try WeightLayouts.frameworkArrays(model: spec.model, inputDepth: 2, engine: engine).map { ($0.name, try NumpyArray($0.tensor)) }
        let variants: [[(String, NumpyArray)]] = [
            good,
            good.filter { $0.0 != "bias_hh_l0" },
            good.map { $0.0 == "weight_hh_l0" ? ($0.0, try! NumpyArray(Tensor<Float>(zeros: [12, 2]))) : $0 },
            good.map { $0.0 == "weight_ih_l0" ? ($0.0, try! NumpyArray(Tensor<Double>(zeros: [12, 2]))) : $0 },
        ]
        for (k, arrays) in variants.enumerated() {
            try Npz.write(arrays, to: dir.appendingPathComponent("w.npz"))
            let url = dir.appendingPathComponent("e.json")
            try Data(json.utf8).write(to: url)
            let (headers, full) = bothWays(url)
            XCTAssertEqual(headers, full, "variant \(k)")
            XCTAssertEqual(headers.hasPrefix("error: "), k > 0, headers)
        }
    }
}
