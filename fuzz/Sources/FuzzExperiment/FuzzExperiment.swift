import Experiment
import Foundation
import RNNEngine

/// A folder holding the samples' and conformance cases' `.npz` files, so a fuzzed experiment can name them.
private let folder: URL = {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("unroll-fuzz-experiment-\(getpid())")
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let source = URL(fileURLWithPath: #filePath)
    let repository = source.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    for archiveFolder in [repository.appendingPathComponent("samples"),
                          repository.deletingLastPathComponent().appendingPathComponent("shared/conformance/cases")] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: archiveFolder.path)) ?? []
        for name in names where name.hasSuffix(".npz") {
            try? FileManager.default.copyItem(at: archiveFolder.appendingPathComponent(name),
                                              to: directory.appendingPathComponent(name))
        }
    }
    return directory
}()

/// Experiments bigger than this are only parsed, not loaded (the fuzzer hunts crashes, not slow runs).
private let maxEstimatedBytes = 64.0 * 1024 * 1024

/// One fuzz input: the text of an experiment file. Parses it, loads its arrays, reports its shapes and runs it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExperiment(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    let url = folder.appendingPathComponent("experiment.json")
    guard (try? data.write(to: url)) != nil,
          let spec = try? ExperimentLoader.readSpec(url) else { return 0 }
    guard MemoryBudget.estimate(spec).total <= maxEstimatedBytes else { return 0 }
    switch spec.dtype {
    case .float32: exercise(spec, as: Float.self)
    case .float64: exercise(spec, as: Double.self)
    }
    return 0
}

private func exercise<Scalar: RNNScalar>(_ spec: ExperimentSpec, as _: Scalar.Type) {
    guard let loaded = try? ExperimentLoader.load(spec, file: "experiment.json", baseDirectory: folder, as: Scalar.self)
    else { return }
    _ = ShapeReport(loaded).text
    // Only small runs: the loader's estimate now knows the real input shape.
    guard MemoryBudget.estimate(spec, inputShape: loaded.inputs.shape).total <= maxEstimatedBytes,
          loaded.inputs.shape.reduce(1, *) <= 1 << 16 else { return }
    _ = try? loaded.run()
}
