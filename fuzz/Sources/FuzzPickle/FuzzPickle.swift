import Experiment
import Foundation

/// The folder the fuzzed `.pt` is written to.
private let folder: URL = {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("unroll-fuzz-pickle-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}()

/// One fuzz input: a storage size and the bytes of a `data.pkl`, wrapped in the zip torch.save writes
/// (`TorchFileProbe.ptArchive(fuzzInput:)`).
/// Runs what `TorchFileProbe` does: the restricted unpickler, every tensor's checks and read, and the experiment's
/// module search and shape inference.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard (try? TorchFileProbe.ptArchive(fuzzInput: data).write(to: folder.appendingPathComponent("model.pt"))) != nil else { return 0 }
    _ = TorchFileProbe.probe("model.pt", in: folder)
    return 0
}
