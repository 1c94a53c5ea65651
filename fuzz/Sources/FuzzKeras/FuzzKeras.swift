import Experiment
import Foundation

/// A folder holding the fuzzed bytes as a `.keras`, a legacy `.h5` and a `.weights.h5`.
private let folder: URL = {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("unroll-fuzz-keras-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}()

/// One fuzz input: the bytes of a Keras file. Parses experiments naming it as a `.keras` (the bounded zip reader,
/// then config.json and model.weights.h5 opened from memory) and as a legacy `.h5` (libhdf5, the model_config
/// attribute, the layers), then opens it as a `.weights.h5` archive and reads every dataset it lists (the header
/// checks: dtype, rank, overflow, storage against the file) within 1 MB each.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeras(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    for name in ["model.keras", "model.h5", "model.weights.h5"] {
        guard (try? data.write(to: folder.appendingPathComponent(name))) != nil else { return 0 }
    }
    for model in ["model.keras", "model.h5"] {
        let experiment = Data(#"{"model": "\#(model)", "inputs": "inputs.npz"}"#.utf8)
        _ = try? ExperimentSpec.parse(experiment, file: "fuzz.json", baseDirectory: folder)
    }
    if let archive = try? ArrayArchives.open(folder.appendingPathComponent("model.weights.h5")) {
        for key in archive.keys.prefix(64) { _ = try? archive.array(key, maxBytes: 1 << 20) }
    }
    return 0
}
