import Experiment
import Foundation
import XCTest
import TestSupport

/// What the FuzzPickle and FuzzSafetensors targets do (`TorchFileProbe`), replayed on their seeds and on every input
/// scripts/fuzz.sh kept: each reads, or is refused in one line, and never traps.
final class TorchFuzzReplayTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func inputs(_ target: String) throws -> (seeds: [URL], kept: [URL]) {
        let fuzz = RepositoryPaths.root.appendingPathComponent("fuzz")
        func files(_ kind: String) throws -> [URL] {
            let dir = fuzz.appendingPathComponent("\(kind)/\(target)")
            return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
        }
        return (try files("corpus"), try files("crashes"))
    }

    func testPickleSeedsAndKeptInputsReadOrAreRefused() throws {
        let (seeds, kept) = try inputs("FuzzPickle")
        XCTAssertGreaterThanOrEqual(seeds.count, 12)
        for url in seeds + kept {
            try TorchFileProbe.ptArchive(fuzzInput: try Data(contentsOf: url)).write(to: folder.appendingPathComponent("model.pt"))
            let problem = TorchFileProbe.probe("model.pt", in: folder)
            XCTAssertFalse(problem?.contains("\n") ?? false, "\(url.lastPathComponent): \(problem ?? "")")
            if url.lastPathComponent == "pickle_global.pkl" {
                XCTAssertTrue(problem?.contains("os.system") ?? false, problem ?? "read")
            }
            if url.lastPathComponent == "torch_tagger_lstm_packed.pkl" {
                // Its first storage is given its real size; the others are not, and are refused by their size.
                XCTAssertTrue(problem?.contains("tensor 'encoder.weight_hh_l0': its storage 'data/1' holds 192 bytes; 64 float32 elements need 256") ?? false, problem ?? "read")
            }
        }
    }

    func testSafetensorsSeedsAndKeptInputsReadOrAreRefused() throws {
        let (seeds, kept) = try inputs("FuzzSafetensors")
        XCTAssertGreaterThanOrEqual(seeds.count, 8)
        for url in seeds + kept {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
            try FileManager.default.copyItem(at: url, to: folder.appendingPathComponent("model.safetensors"))
            let problem = TorchFileProbe.probe("model.safetensors", in: folder)
            XCTAssertFalse(problem?.contains("\n") ?? false, "\(url.lastPathComponent): \(problem ?? "")")
            let name = url.lastPathComponent
            // PyTorch's own files read whole; those that need "module" or "cell", or lie, say so.
            switch name {
            case "header_too_long.safetensors": XCTAssertTrue(problem?.contains("exceeds the file size") ?? false, problem ?? "read")
            case "torch_seq2seq_decoder.safetensors": XCTAssertTrue(problem?.contains("pick one with \"module\"") ?? false, problem ?? "read")
            case "torch_rnn_relu_cell.safetensors": XCTAssertTrue(problem?.contains("nonlinearity") ?? false, problem ?? "read")
            default: if seeds.contains(url) { XCTAssertNil(problem, name) }
            }
        }
    }
}
