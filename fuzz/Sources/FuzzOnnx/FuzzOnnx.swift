import Experiment
import Foundation

/// A folder with the fuzzed model file and an external data file beside it (4 KiB), so that external data
/// entries naming `model.onnx.data` reach the offset and length checks and the read; and the graph inputs an
/// exported graph runs on, shaped as the seeds' (fuzz/inputs/FuzzOnnx: `time.npz`: onnx_gru_bidir2's `input` [5, 3, 2]; `batch.npz`:
/// onnx_lstm_init's `input` [2, 4, 3], `h_0`, `c_0` [1, 2, 5]).
private let folder: URL = {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("unroll-fuzz-onnx-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try? Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: directory.appendingPathComponent("model.onnx.data"))
    // Copied as bytes (fuzz/inputs/FuzzOnnx, made with numpy): writing them with Npz.write here would go through
    // ZIPFoundation, whose Foundation path conversion LeakSanitizer reports as a leak of this global.
    let inputs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("inputs/FuzzOnnx")
    for name in ["time.npz", "batch.npz"] {
        try? (try? Data(contentsOf: inputs.appendingPathComponent(name)))?.write(to: directory.appendingPathComponent(name))
    }
    return directory
}()

/// One fuzz input: the bytes of an `.onnx` model file. Parses an experiment naming it: the protobuf decoding,
/// the node and attribute checks, the initializers (raw_data, float_data, external data) and the cell parse; an
/// exported graph (more than one node) is also run on both sets of graph inputs (the interpreter of its shape
/// operators and its recurrent nodes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOnnx(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard (try? data.write(to: folder.appendingPathComponent("model.onnx"))) != nil else { return 0 }
    // The experiment that names the fuzzed model (its inputs are never read: parsing reads the model alone). Made
    // here, not kept in a global: LeakSanitizer reports a lazily made global Data as a leak.
    let experiment = Data(#"{"model": "model.onnx", "inputs": "inputs.npz"}"#.utf8)
    guard let spec = try? ExperimentSpec.parse(experiment, file: "fuzz.json", baseDirectory: folder), spec.modelFile != nil else { return 0 }
    for (name, text) in [("time.json", #"{"model": "model.onnx", "inputs": "time.npz", "time_major": true}"#),
                         ("batch.json", #"{"model": "model.onnx", "inputs": "batch.npz", "initial_state": "batch.npz"}"#)] {
        let url = folder.appendingPathComponent(name)
        guard (try? Data(text.utf8).write(to: url)) != nil else { continue }
        _ = try? ExperimentLoader.runFile(url)
    }
    return 0
}
