@testable import Experiment
import Foundation
import TestSupport
import XCTest

/// `.onnx` model files as untrusted input: a conformance case's model, changed the way a hostile or broken file
/// would be, gives one line naming the file and what is wrong (never a trap, never an allocation the file only
/// claims); the ways of storing weights the format allows (float_data, external data) give the same results.
final class ONNXModelFileTests: XCTestCase {
    static let caseName = "onnx_lstm_bidir_lens_init"
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let source = ONNXConformanceTests.directory
        for file in ["\(Self.caseName)_file.json", "\(Self.caseName)_file.npz"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func original() throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: Data(contentsOf: ONNXConformanceTests.directory.appendingPathComponent("\(Self.caseName).onnx")))
    }

    /// Runs the case's experiment with `bytes` as its model file.
    private func run(_ bytes: Data) throws -> [(String, NumpyArray)] {
        try bytes.write(to: folder.appendingPathComponent("\(Self.caseName).onnx"))
        return try ExperimentLoader.runFile(folder.appendingPathComponent("\(Self.caseName)_file.json"))
    }

    private func run(_ model: Onnx_ModelProto) throws -> [(String, NumpyArray)] { try run(try model.serializedData()) }

    /// The model is refused in one line that names the model file and contains `words`.
    private func assertRefused(_ bytes: Data, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try run(bytes), file: file, line: line) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("\(Self.caseName).onnx"), text, file: file, line: line)
            XCTAssertTrue(text.contains(words), "\(text) lacks \(words)", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
        }
    }

    private func assertRefused(_ model: Onnx_ModelProto, _ words: String, file: StaticString = #filePath, line: UInt = #line) throws {
        assertRefused(try model.serializedData(), words, file: file, line: line)
    }

    private func expected() throws -> [String: NumpyArray] {
        try Npz.read(ONNXConformanceTests.directory.appendingPathComponent("\(Self.caseName)_file.npz"))
    }

    private func assertMatchesCase(_ produced: [(String, NumpyArray)], file: StaticString = #filePath, line: UInt = #line) throws {
        let problems = ConformanceCases.compare(produced: produced, expected: try expected())
        XCTAssertTrue(problems.isEmpty, problems.joined(separator: "; "), file: file, line: line)
        XCTAssertEqual(Set(produced.map(\.0)), ["Y", "Y_h", "Y_c"], file: file, line: line)
    }

    private func index(_ model: Onnx_ModelProto, _ slot: Int) throws -> Int {
        let name = model.graph.node[0].input[slot]
        return try XCTUnwrap(model.graph.initializer.firstIndex { $0.name == name })
    }

    func testTheUnchangedModelMatchesItsCase() throws {
        try assertMatchesCase(try run(try original()))
    }

    func testWeightsAsFloatDataGiveTheSameResults() throws {
        var m = try original()
        for i in m.graph.initializer.indices {
            let raw = m.graph.initializer[i].rawData
            m.graph.initializer[i].floatData = stride(from: 0, to: raw.count, by: 4).map { o in
                Float(bitPattern: raw[o..<(o + 4)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
            }
            m.graph.initializer[i].clearRawData()
        }
        try assertMatchesCase(try run(m))
    }

    /// Every initializer moved to one external data file next to the model, at offsets past some padding.
    private func externalized(_ location: String = "m.onnx.data", pad: Int = 16) throws -> (Onnx_ModelProto, Data) {
        var m = try original()
        var blob = Data(repeating: 0xAB, count: pad)
        for i in m.graph.initializer.indices {
            let raw = m.graph.initializer[i].rawData
            m.graph.initializer[i].externalData = [("location", location), ("offset", "\(blob.count)"), ("length", "\(raw.count)")].map { k, v in
                var e = Onnx_StringStringEntryProto()
                e.key = k
                e.value = v
                return e
            }
            m.graph.initializer[i].dataLocation = .external
            m.graph.initializer[i].clearRawData()
            blob += raw
        }
        return (m, blob)
    }

    func testExternalDataGivesTheSameResults() throws {
        let (m, blob) = try externalized()
        try blob.write(to: folder.appendingPathComponent("m.onnx.data"))
        try assertMatchesCase(try run(m))
    }

    func testExternalDataOutsideTheFolderOrPastItsEndIsRefused() throws {
        for location in ["../m.onnx.data", "/etc/passwd", "sub/m.onnx.data", ".."] {
            try assertRefused(try externalized(location).0, "is not a file next to the model")
        }
        let (m, blob) = try externalized()
        try blob.prefix(blob.count - 1).write(to: folder.appendingPathComponent("m.onnx.data"))
        try assertRefused(m, "reaches past the end")
        // An offset beyond the file, and one so large that offset + length overflows.
        for offset in ["\(blob.count + 1)", "\(Int.max)"] {
            var far = m
            far.graph.initializer[0].externalData[1].value = offset
            try blob.write(to: folder.appendingPathComponent("m.onnx.data"))
            try assertRefused(far, "reaches past the end")
        }
        var negative = m
        negative.graph.initializer[0].externalData[1].value = "-4"
        try assertRefused(negative, "expected a byte count")
        var wrongLength = m
        wrongLength.graph.initializer[0].externalData[2].value = "4"
        try assertRefused(wrongLength, "external length is 4 bytes")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("m.onnx.data"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("m.onnx.data"), withIntermediateDirectories: false)
        try assertRefused(m, "is a directory")
    }

    func testExternalDataFromAFIFOIsRefusedWithoutBlocking() throws {
        let (m, _) = try externalized()
        XCTAssertEqual(mkfifo(folder.appendingPathComponent("m.onnx.data").path, 0o600), 0)
        try assertRefused(m, "FIFO")
    }

    func testATruncatedOrGarbageFileIsRefused() throws {
        let bytes = try original().serializedData()
        for cut in [1, 7, bytes.count / 2, bytes.count - 3] {
            XCTAssertThrowsError(try run(bytes.prefix(cut))) { e in
                XCTAssertTrue("\(e)".contains("\(Self.caseName).onnx"), "\(e)")
                XCTAssertFalse("\(e)".contains("\n"), "\(e)")
            }
        }
        assertRefused(Data(), "the model has no graph")
        assertRefused(Data("{\"not\": \"protobuf\"}".utf8), "not a readable ONNX model")
    }

    func testAbsurdSizesAreRefusedBeforeAllocating() throws {
        var m = try original()
        let w = try index(m, 1)
        m.graph.initializer[w].dims = [1 << 40, 1 << 20, 4]
        try assertRefused(m, "claims dims")
        m.graph.initializer[w].dims = [Int64.max, Int64.max]
        try assertRefused(m, "claims dims")
        m.graph.initializer[w].dims = [-1, 16]
        try assertRefused(m, "negative dimension")
        var short = try original()
        short.graph.initializer[w].rawData = short.graph.initializer[w].rawData.prefix(12)
        try assertRefused(short, "bytes of raw_data")
        var hidden = try original()
        let h = try XCTUnwrap(hidden.graph.node[0].attribute.firstIndex { $0.name == "hidden_size" })
        hidden.graph.node[0].attribute[h].i = 1 << 40
        try assertRefused(hidden, "hidden_size")
    }

    func testWrongTypesAreRefused() throws {
        var m = try original()
        m.graph.initializer[try index(m, 1)].dataType = Int32(Onnx_TensorProto.DataType.double.rawValue)
        try assertRefused(m, "has data type double")
        var attribute = try original()
        let h = try XCTUnwrap(attribute.graph.node[0].attribute.firstIndex { $0.name == "hidden_size" })
        attribute.graph.node[0].attribute[h].type = .float
        try assertRefused(attribute, "has type float; expected int")
        var direction = try original()
        let d = try XCTUnwrap(direction.graph.node[0].attribute.firstIndex { $0.name == "direction" })
        direction.graph.node[0].attribute[d].s = Data("sideways".utf8)
        try assertRefused(direction, "sideways")
        var unknown = try original()
        var a = Onnx_AttributeProto()
        a.name = "proj_size"
        a.type = .int
        a.i = 2
        unknown.graph.node[0].attribute.append(a)
        try assertRefused(unknown, "proj_size")
    }

    func testOtherGraphsAreRefused() throws {
        var other = try original()
        other.graph.node[0].opType = "Conv"
        try assertRefused(other, "expected LSTM, GRU or RNN")
        var two = try original()
        two.graph.node.append(two.graph.node[0])
        try assertRefused(two, "a value is written once")   // two nodes: an exported graph, whose values are written once
        var none = try original()
        none.graph.node = []
        try assertRefused(none, "the graph has 0 nodes")
        for version: Int64 in [13, 23] {
            var opset = try original()
            opset.opsetImport[0].version = version
            try assertRefused(opset, "opset \(version)")
        }
        var weightInput = try original()
        weightInput.graph.initializer.remove(at: try index(weightInput, 1))
        try assertRefused(weightInput, "is not an initializer")
        var lens = try original()
        let lensName = lens.graph.node[0].input[4]
        lens.graph.input.removeAll { $0.name == lensName }
        try assertRefused(lens, "sequence_lens")
    }

    /// Outputs the graph does not have are not written; a graph without any of the node's outputs is refused.
    func testOnlyTheGraphsOutputsAreResults() throws {
        var m = try original()
        let y = m.graph.node[0].output[0]
        m.graph.output.removeAll { $0.name == y }
        XCTAssertEqual(Set(try run(m).map(\.0)), ["Y_h", "Y_c"])
        m.graph.output = []
        try assertRefused(m, "none of the LSTM node's outputs")
    }

    /// What the FuzzOnnx target does (fuzz/Sources/FuzzOnnx), replayed on its seeds and every input scripts/fuzz.sh
    /// kept: each parses or is refused in one line. The seeds are the conformance models, so they parse.
    func testFuzzSeedsAndKeptInputsParseOrAreRefused() throws {
        let fuzz = RepositoryPaths.root.appendingPathComponent("fuzz")
        func files(_ kind: String) throws -> [URL] {
            let dir = fuzz.appendingPathComponent("\(kind)/FuzzOnnx")
            return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.map { dir.appendingPathComponent($0) }
        }
        let seeds = try files("corpus")
        XCTAssertGreaterThanOrEqual(seeds.count, 6)
        let experiment = Data(#"{"model": "model.onnx", "inputs": "inputs.npz"}"#.utf8)
        for url in seeds + (try files("crashes")) {
            try Data(contentsOf: url).write(to: folder.appendingPathComponent("model.onnx"))
            do {
                let spec = try ExperimentSpec.parse(experiment, file: "fuzz.json", baseDirectory: folder)
                XCTAssertEqual(spec.modelFile, "model.onnx")
            } catch let e as ExperimentError {
                XCTAssertFalse(seeds.contains(url), "\(url.lastPathComponent): \(e)")
                XCTAssertFalse(e.description.contains("\n"), e.description)
            }
        }
    }

    func testAnExperimentNamingAModelCannotAlsoGiveItsCell() throws {
        let json = #"{"model": "x.onnx", "inputs": "x.npz", "cell": {"type": "lstm", "num_units": 2}}"#
        XCTAssertThrowsError(try ExperimentSpec.parse(Data(json.utf8), file: "e.json", baseDirectory: folder)) { e in
            XCTAssertTrue("\(e)".contains("not with \"model\""), "\(e)")
        }
        XCTAssertThrowsError(try ExperimentSpec.parse(Data(#"{"model": "x.onnx", "inputs": "x.npz"}"#.utf8), file: "e.json")) { e in
            XCTAssertTrue("\(e)".contains("experiment file's folder"), "\(e)")
        }
    }
}
