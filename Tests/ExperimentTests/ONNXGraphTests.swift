@testable import Experiment
import Foundation
import TestSupport
import XCTest

/// Exported ONNX graphs (`torch.onnx.export`, ../shared/conformance/models/onnx_*): every case through the loader
/// against onnxruntime's results; the shape operators on hand-derived examples; hostile graphs (cycles, undefined
/// values, absurd reshapes, mismatched concats, wild slices, external data outside the folder) refused in one line
/// naming the model file.
final class ONNXGraphTests: XCTestCase {
    static var modelsDirectory: URL { RepositoryPaths.sharedConformance.appendingPathComponent("models") }

    /// The exported-graph cases: every `onnx_*.json` of models/ (cases added later run too).
    static func graphCases() throws -> [URL] {
        try FrameworkConformanceTests.cases(in: modelsDirectory).filter { $0.lastPathComponent.hasPrefix("onnx_") }
    }

    func testEveryExportedGraphCaseMatchesOnnxruntime() throws {
        let urls = try Self.graphCases()
        XCTAssertGreaterThanOrEqual(urls.count, 2, "expected the 2 public exported-graph cases at least")
        XCTAssertTrue(urls.contains { $0.lastPathComponent == "onnx_lstm_init.json" }, "the case with external data")
        try FrameworkConformanceTests.check(urls)
        for url in urls {
            let spec = try ExperimentLoader.readSpec(url)
            XCTAssertNotNil(spec.onnxGraph, url.lastPathComponent)
            // Both are plain PyTorch stacks: loaded as the torch experiment they are (what the explorer steps
            // through), which runs to onnxruntime's results too, and whose loops step.
            XCTAssertEqual(spec.convention, .torch, url.lastPathComponent)
            let loaded = try ExperimentLoader.load(spec, file: url.lastPathComponent, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let problems = ConformanceCases.compare(produced: try loaded.run().namedArrays(), expected: expected)
            XCTAssertTrue(problems.isEmpty, "\(url.lastPathComponent): \(problems)")
            for backward in spec.bidirectional ? [false, true] : [false] where spec.cell.layers.count == 1 {
                let loop = try loaded.makeLoop(backward: backward)
                XCTAssertEqual(loop.maxTime, loaded.maxTime)
            }
        }
    }

    /// A graph whose nodes PyTorch's module cannot be (here a clip on one node) still runs; loading it for the
    /// explorer is refused in one line saying why.
    func testAGraphThatIsNoPlainStackRunsButIsNotStepped() throws {
        var m = try original("onnx_gru_bidir2")
        var clip = Onnx_AttributeProto()
        clip.name = "clip"
        clip.type = .float
        clip.f = 0.5
        m.graph.node[try nodeIndex(m, "/rnn/GRU_1")].attribute.append(clip)
        let results = try run("onnx_gru_bidir2", m)
        XCTAssertEqual(results.map(\.0), ["output", "h_n"])
        // The first layer is unclipped: its h_n rows are the case's.
        let expected = try XCTUnwrap(try Npz.read(Self.modelsDirectory.appendingPathComponent("onnx_gru_bidir2.npz"))["expected/h_n"]).asDoubles()
        let hn = try XCTUnwrap(results.last?.1).asDoubles()
        for (a, b) in zip(hn.prefix(18), expected.prefix(18)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let url = folder.appendingPathComponent("onnx_gru_bidir2.json")
        let spec = try ExperimentLoader.readSpec(url)
        XCTAssertEqual(spec.convention, .onnx)
        XCTAssertThrowsError(try ExperimentLoader.load(spec, file: "e.json", baseDirectory: folder, as: Float.self)) { e in
            XCTAssertTrue("\(e)".contains("not a plain PyTorch stack (node /rnn/GRU_1 (GRU) has clip"), "\(e)")
            XCTAssertTrue("\(e)".contains("unroll run computes it"), "\(e)")
            XCTAssertFalse("\(e)".contains("\n"), "\(e)")
        }
    }

    /// How a layer's input or initial state is wired decides whether the graph is a stack, not names.
    func testOnlyPlainlyWiredStacksAreStacks() throws {
        func stack(_ m: Onnx_ModelProto) throws -> Result<ONNXStack, ONNXModelFile.Problem> {
            try ONNXGraph(model: m, directory: Self.modelsDirectory).stack()
        }
        guard case let .success(s) = try stack(try original("onnx_lstm_init")) else { return XCTFail("onnx_lstm_init is a stack") }
        XCTAssertEqual([s.h0, s.c0], ["h_0", "c_0"])
        XCTAssertFalse(s.timeMajor)
        XCTAssertEqual(Set(s.weights.keys), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
        // The second layer reading the first one's output other than as [T, B, D·H] (another perm).
        var perm = try original("onnx_gru_bidir2")
        perm.graph.node[try nodeIndex(perm, "/rnn/Transpose")].attribute[0].ints = [0, 1, 2, 3]
        guard case let .failure(p) = try stack(perm) else { return XCTFail("another perm is no stack") }
        XCTAssertTrue(p.description.contains("does not read node /rnn/GRU (GRU)'s output"), p.description)
        // The initial state sliced at another place.
        var slice = try original("onnx_lstm_init")
        let i = try XCTUnwrap(slice.graph.initializer.firstIndex { $0.name == "val_3" })
        slice.graph.initializer[i].rawData = withUnsafeBytes(of: Int64(2).littleEndian) { Data($0) }
        guard case let .failure(q) = try stack(slice) else { return XCTFail("another slice is no stack") }
        XCTAssertTrue(q.description.contains("initial state is neither zeros nor its slice"), q.description)
    }

    // MARK: - The shape operators, on values derived by hand

    private func node(_ op: String, _ inputs: [String], ints: [String: [Int64]] = [:]) -> ONNXGraph.Node {
        ONNXGraph.Node(op: op, name: "n", inputs: inputs, outputs: ["out"], ints: ints, constant: nil, recurrent: nil)
    }

    private func ints(_ v: [Int64], _ shape: [Int]? = nil) -> ONNXGraph.Value { .init(shape: shape ?? [v.count], storage: .int(v)) }

    /// Runs `op` on the named values and returns its output's values and shape.
    private func eval(_ op: String, _ values: [String: ONNXGraph.Value], _ inputs: [String], ints attrs: [String: [Int64]] = [:]) throws -> ([Int64], [Int]) {
        var interpreter = ONNXGraph.Interpreter(byteLimit: 1 << 20)
        interpreter.values = values
        try interpreter.run(node(op, inputs, ints: attrs))
        let out = try XCTUnwrap(interpreter.values["out"])
        guard case let .int(v) = out.storage else { XCTFail("not int"); return ([], []) }
        return (v, out.shape)
    }

    func testShapeOperatorsOnHandDerivedValues() throws {
        // x = [[0, 1, 2], [3, 4, 5]]
        let x = ints([0, 1, 2, 3, 4, 5], [2, 3])
        XCTAssertEqual(try eval("Transpose", ["x": x], ["x"]).0, [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try eval("Transpose", ["x": x], ["x"]).1, [3, 2])
        XCTAssertEqual(try eval("Shape", ["x": x], ["x"]).0, [2, 3])
        XCTAssertEqual(try eval("Shape", ["x": x], ["x"], ints: ["start": [-1]]).0, [3])
        // Gather rows [1, -2] of x: row 1, then row 0.
        XCTAssertEqual(try eval("Gather", ["x": x, "i": ints([1, -2])], ["x", "i"]).0, [3, 4, 5, 0, 1, 2])
        // Gather column 2 with a scalar index: shape [2].
        let column = try eval("Gather", ["x": x, "i": ints([2], [])], ["x", "i"], ints: ["axis": [1]])
        XCTAssertEqual(column.0, [2, 5])
        XCTAssertEqual(column.1, [2])
        // Reshape with 0 (copy) and -1 (inferred): [2, 3] -> [2, 3] -> [3, -1] = [3, 2].
        XCTAssertEqual(try eval("Reshape", ["x": x, "s": ints([0, -1])], ["x", "s"]).1, [2, 3])
        XCTAssertEqual(try eval("Reshape", ["x": x, "s": ints([3, -1])], ["x", "s"]).1, [3, 2])
        // Slice: columns 2, 0 (start -1, end -4, step -2); rows 1.. .
        let s = try eval("Slice", ["x": x, "b": ints([-1]), "e": ints([-4]), "a": ints([1]), "st": ints([-2])], ["x", "b", "e", "a", "st"])
        XCTAssertEqual(s.0, [2, 0, 5, 3])
        XCTAssertEqual(s.1, [2, 2])
        // Wild bounds clamp to the axis: the whole axis, or nothing.
        let all = try eval("Slice", ["x": x, "b": ints([Int64.min]), "e": ints([Int64.max])], ["x", "b", "e"])
        XCTAssertEqual(all.0, [0, 1, 2, 3, 4, 5])
        let backward = try eval("Slice", ["x": x, "b": ints([Int64.max]), "e": ints([Int64.min]), "a": ints([0]), "st": ints([Int64.min])], ["x", "b", "e", "a", "st"])
        XCTAssertEqual(backward.0, [3, 4, 5])   // row 1 alone: the first step already leaves the axis
        XCTAssertEqual(try eval("Slice", ["x": x, "b": ints([5]), "e": ints([9])], ["x", "b", "e"]).1, [0, 3])
        // Unsqueeze at 0 and -1, then Squeeze them again.
        let u = try eval("Unsqueeze", ["x": x, "a": ints([0, -1])], ["x", "a"])
        XCTAssertEqual(u.1, [1, 2, 3, 1])
        XCTAssertEqual(try eval("Squeeze", ["x": ints(u.0, u.1)], ["x"]).1, [2, 3])
        // Expand [2, 1] to [2, 2]: each row's value repeated.
        XCTAssertEqual(try eval("Expand", ["x": ints([7, 8], [2, 1]), "s": ints([1, 2])], ["x", "s"]).0, [7, 7, 8, 8])
        // Concat on axis 1: [[0, 1, 2, 9], [3, 4, 5, 9]].
        XCTAssertEqual(try eval("Concat", ["x": x, "y": ints([9, 9], [2, 1])], ["x", "y"], ints: ["axis": [1]]).0, [0, 1, 2, 9, 3, 4, 5, 9])
    }

    func testShapeOperatorsRefuseWhatTheirSpecificationForbids() {
        let x = ints([0, 1, 2, 3, 4, 5], [2, 3])
        func refused(_ op: String, _ values: [String: ONNXGraph.Value], _ inputs: [String], ints attrs: [String: [Int64]] = [:], _ words: String,
                     line: UInt = #line) {
            XCTAssertThrowsError(try eval(op, values, inputs, ints: attrs), line: line) { e in
                XCTAssertTrue("\(e)".contains(words), "\(e) lacks \(words)", line: line)
            }
        }
        refused("Reshape", ["x": x, "s": ints([4, -1])], ["x", "s"], "cannot reshape")
        refused("Reshape", ["x": x, "s": ints([-1, -1])], ["x", "s"], "more than one -1")
        refused("Reshape", ["x": x, "s": ints([1 << 40, 1 << 40, 1 << 40])], ["x", "s"], "cannot reshape")
        refused("Reshape", ["x": x, "s": ints([Int64.max, Int64.max, -1])], ["x", "s"], "cannot reshape")
        refused("Expand", ["x": x, "s": ints([1 << 30, 1 << 30, 2, 3])], ["x", "s"], "this process may use")
        refused("Expand", ["x": x, "s": ints([3, 3])], ["x", "s"], "cannot broadcast")
        refused("Concat", ["x": x, "y": ints([1, 2, 3, 4])], ["x", "y"], ints: ["axis": [0]], "must agree")
        refused("Concat", ["x": x, "y": .init(shape: [1, 3], storage: .float([1, 2, 3]))], ["x", "y"], ints: ["axis": [0]], "must agree")
        refused("Slice", ["x": x, "b": ints([0]), "e": ints([2]), "a": ints([0]), "st": ints([0])], ["x", "b", "e", "a", "st"], "step of 0")
        refused("Slice", ["x": x, "b": ints([0, 0]), "e": ints([2, 2]), "a": ints([1, 1])], ["x", "b", "e", "a"], "slices an axis twice")
        refused("Slice", ["x": x, "b": ints([0]), "e": ints([2]), "a": ints([5])], ["x", "b", "e", "a"], "outside")
        refused("Gather", ["x": x, "i": ints([2])], ["x", "i"], "index 2 is outside")
        refused("Transpose", ["x": x], ["x"], ints: ["perm": [0, 0]], "not a permutation")
        refused("Squeeze", ["x": x, "a": ints([0])], ["x", "a"], "which is not 1")
        refused("Unsqueeze", ["x": x, "a": ints([0, 0])], ["x", "a"], "repeat an axis")
        refused("Unsqueeze", ["x": x, "a": ints(Array(repeating: 0, count: 9).enumerated().map { Int64($0.offset) })], ["x", "a"], "rank")
    }

    // MARK: - Hostile graphs

    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["onnx_gru_bidir2", "onnx_lstm_init"] {
            for ext in [".json", "_io.npz", ".npz", ".onnx", ".onnx.data"] {
                let source = Self.modelsDirectory.appendingPathComponent(name + ext)
                if FileManager.default.fileExists(atPath: source.path) {
                    try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent(name + ext))
                }
            }
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func original(_ name: String) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: Data(contentsOf: Self.modelsDirectory.appendingPathComponent(name + ".onnx")))
    }

    private func run(_ name: String, _ model: Onnx_ModelProto) throws -> [(String, NumpyArray)] {
        try model.serializedData().write(to: folder.appendingPathComponent(name + ".onnx"))
        return try ExperimentLoader.runFile(folder.appendingPathComponent(name + ".json"))
    }

    private func assertRefused(_ name: String, _ model: Onnx_ModelProto, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try run(name, model), file: file, line: line) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("\(name).onnx"), text, file: file, line: line)
            XCTAssertTrue(text.contains(words), "\(text) lacks \(words)", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
        }
    }

    private func assertMatchesCase(_ name: String, _ produced: [(String, NumpyArray)], file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try Npz.read(Self.modelsDirectory.appendingPathComponent(name + ".npz"))
        let problems = ConformanceCases.compare(produced: produced, expected: expected)
        XCTAssertTrue(problems.isEmpty, problems.joined(separator: "; "), file: file, line: line)
    }

    private func nodeIndex(_ m: Onnx_ModelProto, _ name: String) throws -> Int { try XCTUnwrap(m.graph.node.firstIndex { $0.name == name }) }

    private func setConstant(_ m: inout Onnx_ModelProto, _ node: String, ints: [Int64]) throws {
        let i = try nodeIndex(m, node)
        var t = Onnx_TensorProto()
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.dims = [Int64(ints.count)]
        t.int64Data = ints
        m.graph.node[i].attribute[0].t = t
    }

    func testTheUnchangedGraphsMatchAndNodeOrderDoesNotMatter() throws {
        try assertMatchesCase("onnx_gru_bidir2", try run("onnx_gru_bidir2", try original("onnx_gru_bidir2")))
        var reversed = try original("onnx_gru_bidir2")
        reversed.graph.node.reverse()
        try assertMatchesCase("onnx_gru_bidir2", try run("onnx_gru_bidir2", reversed))
    }

    func testCyclesAndUndefinedOrTwiceWrittenValuesAreRefused() throws {
        var cycle = try original("onnx_gru_bidir2")
        // The zero state's Shape reads the GRU's output, which waits on the zero state.
        cycle.graph.node[try nodeIndex(cycle, "/rnn/Shape")].input = ["/rnn/GRU_output_0"]
        assertRefused("onnx_gru_bidir2", cycle, "cycle")
        var undefined = try original("onnx_gru_bidir2")
        undefined.graph.node[try nodeIndex(undefined, "/rnn/Transpose")].input = ["nowhere"]
        assertRefused("onnx_gru_bidir2", undefined, "reads nowhere, which no node, graph input or initializer defines")
        var twice = try original("onnx_gru_bidir2")
        twice.graph.node[try nodeIndex(twice, "/rnn/Transpose_1")].output = ["/rnn/Transpose_output_0"]
        assertRefused("onnx_gru_bidir2", twice, "writes /rnn/Transpose_output_0, which node /rnn/Transpose (Transpose) writes too")
        // A node writing one value twice (found by FuzzOnnx: the message named a node not yet read).
        var itself = try original("onnx_gru_bidir2")
        itself.graph.node[try nodeIndex(itself, "/rnn/GRU")].output = ["/rnn/GRU_output_0", "/rnn/GRU_output_0"]
        assertRefused("onnx_gru_bidir2", itself, "node /rnn/GRU (GRU) writes /rnn/GRU_output_0, which it writes too")
        var noOutput = try original("onnx_gru_bidir2")
        noOutput.graph.output[0].name = "missing"
        assertRefused("onnx_gru_bidir2", noOutput, "the graph output missing is written by no node")
    }

    func testOtherOperatorsAreRefusedByTypeAndName() throws {
        var conv = try original("onnx_gru_bidir2")
        conv.graph.node[try nodeIndex(conv, "/rnn/Transpose")].opType = "Conv"
        assertRefused("onnx_gru_bidir2", conv, "node /rnn/Transpose (Conv) is an operator Unroll does not run")
        var domain = try original("onnx_gru_bidir2")
        domain.graph.node[0].domain = "com.microsoft"
        assertRefused("onnx_gru_bidir2", domain, "domain com.microsoft")
        var attribute = try original("onnx_gru_bidir2")
        attribute.graph.node[try nodeIndex(attribute, "/rnn/GRU")].attribute[1].i = -3   // hidden_size
        assertRefused("onnx_gru_bidir2", attribute, "node /rnn/GRU (GRU): the GRU node's attribute hidden_size is -3")
        var shapeOnly = try original("onnx_gru_bidir2")
        shapeOnly.graph.node = Array(shapeOnly.graph.node[...(try nodeIndex(shapeOnly, "/rnn/Expand"))])
        shapeOnly.graph.output = [shapeOnly.graph.output[0]]
        shapeOnly.graph.output[0].name = "/rnn/Expand_output_0"
        assertRefused("onnx_gru_bidir2", shapeOnly, "no LSTM, GRU or RNN node")
    }

    func testAbsurdReshapesExpandsAndGathersAreRefusedBeforeAllocating() throws {
        var reshape = try original("onnx_gru_bidir2")
        try setConstant(&reshape, "/rnn/Constant_3", ints: [1 << 40, 1 << 40, -1])
        assertRefused("onnx_gru_bidir2", reshape, "node /rnn/Reshape (Reshape): cannot reshape")
        var expand = try original("onnx_gru_bidir2")
        var one = Onnx_TensorProto()
        one.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        one.dims = [1, 1, 1]
        one.floatData = [0]
        expand.graph.node[try nodeIndex(expand, "/rnn/Constant")].attribute[0].t = one   // the zero state, broadcast
        try setConstant(&expand, "/rnn/Constant_2", ints: [1 << 40])   // to a hidden size of 2^40
        assertRefused("onnx_gru_bidir2", expand, "node /rnn/Expand (Expand): would make a tensor of shape [2, 3, 1099511627776], more than the")
        var gather = try original("onnx_gru_bidir2")
        try setConstant(&gather, "/rnn/Constant_1", ints: [7])
        assertRefused("onnx_gru_bidir2", gather, "index 7 is outside")
        var concat = try original("onnx_gru_bidir2")
        concat.graph.node[try nodeIndex(concat, "/rnn/Concat")].input[0] = "/rnn/Constant_output_0"   // a float [2, 3, 3]
        assertRefused("onnx_gru_bidir2", concat, "node /rnn/Concat (Concat): joins")
    }

    func testWildSlicesClampOrAreRefused() throws {
        // h_0[0:1] written as h_0[INT64_MIN:INT64_MAX] and as a backward step from the end: the same h_0.
        var m = try original("onnx_lstm_init")
        func set(_ name: String, _ v: Int64) throws {
            let i = try XCTUnwrap(m.graph.initializer.firstIndex { $0.name == name })
            m.graph.initializer[i].rawData = withUnsafeBytes(of: v.littleEndian) { Data($0) }
        }
        let slice = m.graph.node[try nodeIndex(m, "node_Slice_4")]
        XCTAssertEqual(slice.input, ["h_0", "val_2", "val_3", "val_2"])   // starts = axes = val_2 (0), ends = val_3 (1)
        m.graph.initializer.append(try XCTUnwrap(m.graph.initializer.first { $0.name == "val_2" }))
        m.graph.initializer[m.graph.initializer.count - 1].name = "starts"
        for i in m.graph.node.indices where m.graph.node[i].opType == "Slice" { m.graph.node[i].input[1] = "starts" }
        try set("starts", Int64.min)
        try set("val_3", Int64.max)
        try assertMatchesCase("onnx_lstm_init", try run("onnx_lstm_init", m))
        try set("starts", 0)
        try set("val_3", 5)
        try assertMatchesCase("onnx_lstm_init", try run("onnx_lstm_init", m))
        // An empty slice: the LSTM then gets a state of 0 directions.
        try set("starts", 3)
        assertRefused("onnx_lstm_init", m, "node node_lstm__2 (LSTM): initial_h: expected shape [1, 2, 5]")
    }

    func testExternalDataOutsideTheFolderIsRefused() throws {
        let name = "onnx_lstm_init"
        let external = try XCTUnwrap(try original(name).graph.initializer.firstIndex { $0.dataLocation == .external })
        for (location, words) in [("../onnx_lstm_init.onnx.data", "not a file next to the model"), ("/etc/passwd", "not a file next to the model"),
                                  ("absent.data", "no such file")] {
            var m = try original(name)
            m.graph.initializer[external].externalData[0].value = location
            assertRefused(name, m, words)
        }
        var past = try original(name)
        let offset = try XCTUnwrap(past.graph.initializer[external].externalData.firstIndex { $0.key == "offset" })
        past.graph.initializer[external].externalData[offset].value = "4000"
        assertRefused(name, past, "reaches past the end")
        // A link in the folder to a file outside it.
        let outside = folder.deletingLastPathComponent().appendingPathComponent("outside-\(UUID().uuidString).data")
        try Data(count: 400).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("link.data"), withDestinationURL: outside)
        var link = try original(name)
        link.graph.initializer[external].externalData[0].value = "link.data"
        assertRefused(name, link, "links outside the model's folder")
    }

    func testGraphInputsAreCheckedByNameAndShape() throws {
        // inputs given batch-major to a time-major graph: the declared [5, 3, 2] is named.
        let io = folder.appendingPathComponent("onnx_gru_bidir2_io.npz")
        let x = try XCTUnwrap(try Npz.read(io)["inputs"])
        try Npz.write([("inputs", try NumpyArray(float32: try x.tensor(Float.self, name: "x").scalars, shape: [3, 5, 2]))], to: io)
        XCTAssertThrowsError(try ExperimentLoader.runFile(folder.appendingPathComponent("onnx_gru_bidir2.json"))) { e in
            XCTAssertTrue("\(e)".contains("the graph input input of onnx_gru_bidir2.onnx is [5, 3, 2]"), "\(e)")
            XCTAssertTrue("\(e)".contains("got [3, 5, 2]"), "\(e)")
        }
        // A missing h_0: the names found, closest first.
        let state = folder.appendingPathComponent("onnx_lstm_init_io.npz")
        var arrays = try Npz.read(state)
        arrays["initial_state/h0"] = arrays.removeValue(forKey: "initial_state/h_0")
        try Npz.write(arrays.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, to: state)
        XCTAssertThrowsError(try ExperimentLoader.runFile(folder.appendingPathComponent("onnx_lstm_init.json"))) { e in
            XCTAssertTrue("\(e)".contains("no array for the graph input h_0"), "\(e)")
            XCTAssertTrue("\(e)".contains("found: ") && "\(e)".contains("initial_state/h0"), "\(e)")
            XCTAssertFalse("\(e)".contains("\n"), "\(e)")
        }
    }

    func testAGraphExperimentRefusesFieldsItCannotUse() throws {
        for (json, words) in [
            (#"{"model": "onnx_gru_bidir2.onnx", "inputs": "onnx_gru_bidir2_io.npz", "dtype": "float64"}"#, "runs in float32"),
            (#"{"model": "onnx_gru_bidir2.onnx", "inputs": "onnx_gru_bidir2_io.npz", "sequence_length": [5, 5, 5]}"#, "no integer input"),
            (#"{"model": "onnx_gru_bidir2.onnx", "inputs": "onnx_gru_bidir2_io.npz", "cell": {"type": "gru", "num_units": 3}}"#, "not with \"model\""),
        ] {
            XCTAssertThrowsError(try ExperimentSpec.parse(Data(json.utf8), file: "e.json", baseDirectory: Self.modelsDirectory)) { e in
                XCTAssertTrue("\(e)".contains(words), "\(e) lacks \(words)")
            }
        }
    }
}
