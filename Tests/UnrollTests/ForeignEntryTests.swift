@testable import Experiment
import TestSupport
import Foundation
import RNNEngine
import XCTest

/// Issue 21, "also seen": archives as numpy, TF and PyTorch users write them. Entries the experiment never reads
/// (bool, string, Fortran-order) are never read, under every convention; Fortran-order arrays are accepted and put
/// into C order.
final class ForeignEntryTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private let values: [Float] = (0..<12).map { Float($0 + 1) / 10 }

    /// `values` as a `[2, 3, 2]` array in Fortran order: the same array, stored first index fastest.
    private var fortranInputs: Data {
        var bytes = Data()
        for k in 0..<2 { for j in 0..<3 { for i in 0..<2 {
            withUnsafeBytes(of: values[(i * 3 + j) * 2 + k].bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        } } }
        return HostileFiles.npy(dict: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 2), }", payload: bytes)
    }

    /// Entries nobody reads: a bool mask, strings, and a Fortran-order matrix.
    private var unread: [HostileFiles.ZipEntry] {
        [HostileFiles.stored("mask.npy", HostileFiles.npy(dict: "{'descr': '|b1', 'fortran_order': False, 'shape': (2, 3), }", payload: Data([1, 0, 1, 1, 1, 0]))),
         HostileFiles.stored("labels.npy", HostileFiles.npy(dict: "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", payload: Data(count: 12))),
         HostileFiles.stored("notes/matrix.npy", HostileFiles.npy(dict: "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", payload: Data(count: 32)))]
    }

    private func load(_ json: String, _ entries: [HostileFiles.ZipEntry]) throws -> LoadedExperiment<Float> {
        try HostileFiles.zip(entries).write(to: dir.appendingPathComponent("a.npz"))
        let url = dir.appendingPathComponent("e.json")
        try Data(json.utf8).write(to: url)
        return try ExperimentLoader.load(try ExperimentLoader.readSpec(url), file: url.path, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
    }

    func testFortranOrderArraysAreReadInCOrder() throws {
        let cell = #""cell": {"type": "gru", "num_units": 2}"#
        let fortran = try load(#"{\#(cell), "inputs": "a.npz"}"#, [HostileFiles.stored("inputs.npy", fortranInputs)])
        XCTAssertEqual(fortran.inputs.shape, [2, 3, 2])
        XCTAssertEqual(fortran.inputs.scalars, values)
        let c = try load(#"{\#(cell), "inputs": "a.npz"}"#, [HostileFiles.stored("inputs.npy", try HostileFiles.inputsNpy())])
        XCTAssertEqual(try fortran.run().outputs, try c.run().outputs)
        // Rank 4 and a vector (where both orders agree), straight through the decoder.
        let a = try Npy.decode(HostileFiles.npy(dict: "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 1, 3, 2), }",
                                                payload: Data((0..<12).flatMap { i -> [UInt8] in [UInt8(i), 0, 0, 0] })))
        // Element (i, 0, k, l) was stored at i + 2·(k + 3·l).
        XCTAssertEqual(a.asDoubles(), [0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11])
        let v = try Npy.decode(HostileFiles.npy(dict: "{'descr': '<i4', 'fortran_order': True, 'shape': (3,), }", payload: Data([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0])))
        XCTAssertEqual(v.asDoubles(), [1, 2, 3])
    }

    func testEntriesNeverReadAreNeverRefused() throws {
        for (convention, cell) in [("tf", #"{"type": "lstm", "num_units": 2}"#), ("keras", #"{"type": "lstm", "num_units": 2, "forget_bias": 0}"#),
                                   ("torch", #"{"type": "lstm", "num_units": 2, "forget_bias": 0}"#)] {
            let json = #"{"convention": "\#(convention)", "cell": \#(cell), "inputs": "a.npz", "weights": "a.npz"}"#
            let spec = try ExperimentSpec.parse(Data(json.utf8), file: "e.json")
            let store = VariableStore<Float>(missing: .initialize(seed: 3))
            for layer in spec.model.layers(inputDepth: 2) {
                try layer.spec.makeCell(store: store).build(inputDepth: layer.inputDepth, scope: layer.scope)
            }
            var engine: [String: Tensor<Float>] = [:]
            for r in store.requests { engine[r.name] = try store.variable(r.name, shape: r.expectedShape, initializer: .zeros) }
            let weights = try WeightLayouts.frameworkArrays(model: spec.model, inputDepth: 2, engine: engine).map {
                HostileFiles.stored($0.name + ".npy", Npy.encode(try NumpyArray($0.tensor)))
            }
            let inputs = HostileFiles.stored("inputs.npy", try HostileFiles.inputsNpy())
            let plain = try load(json, [inputs] + weights)
            let withExtras = try load(json, unread + [inputs] + weights)
            XCTAssertEqual(try withExtras.run().outputs, try plain.run().outputs, convention)
            XCTAssertFalse(ShapeReport(withExtras).hasProblems, convention)
        }
    }
}
