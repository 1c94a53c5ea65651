import Experiment
import Foundation

/// A folder with the fuzzed model file and an external data file beside it (4 KiB), so that external data
/// entries naming `model.onnx.data` reach the offset and length checks and the read.
private let folder: URL = {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("unroll-fuzz-onnx-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try? Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: directory.appendingPathComponent("model.onnx.data"))
    return directory
}()

/// One fuzz input: the bytes of an `.onnx` model file. Parses an experiment naming it: the protobuf decoding,
/// the node and attribute checks, the initializers (raw_data, float_data, external data) and the cell parse.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOnnx(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard (try? data.write(to: folder.appendingPathComponent("model.onnx"))) != nil else { return 0 }
    // The experiment that names the fuzzed model (its inputs are never read: parsing reads the model alone). Made
    // here, not kept in a global: LeakSanitizer reports a lazily made global Data as a leak.
    let experiment = Data(#"{"model": "model.onnx", "inputs": "inputs.npz"}"#.utf8)
    _ = try? ExperimentSpec.parse(experiment, file: "fuzz.json", baseDirectory: folder)
    return 0
}
