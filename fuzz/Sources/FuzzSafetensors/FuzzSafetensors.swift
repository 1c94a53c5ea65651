import Experiment
import Foundation

/// The folder the fuzzed `.safetensors` is written to.
private let folder: URL = {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("unroll-fuzz-safetensors-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}()

/// One fuzz input: the bytes of a `.safetensors` file. Runs what `TorchFileProbe` does: the header length and JSON
/// header checks, every tensor's offsets and read, and the experiment's module search and shape inference.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard (try? data.write(to: folder.appendingPathComponent("model.safetensors"))) != nil else { return 0 }
    _ = TorchFileProbe.probe("model.safetensors", in: folder)
    return 0
}
