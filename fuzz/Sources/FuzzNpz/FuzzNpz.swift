import Experiment
import Foundation

/// A file the fuzz input is written to (the .npz reader reads files, not memory).
private let archiveURL: URL = {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("unroll-fuzz-npz-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent("input.npz")
}()

/// One fuzz input: the bytes of an `.npz` archive. Lists its keys, reads each header, then each array.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpz(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    guard (try? data.write(to: archiveURL)) != nil else { return 0 }
    guard let archive = try? NpzArchive(archiveURL) else { return 0 }
    for key in archive.keys.prefix(64) {
        _ = try? archive.info(key)
        _ = try? archive.array(key, maxBytes: 1 << 26)
    }
    _ = try? Npz.read(archiveURL, maxBytes: 1 << 26)
    return 0
}
