import TestSupport
import Foundation
import XCTest

/// Issue 21, item 2: 100-byte experiments whose commands copy the weights beyond what the estimate counted passed
/// the budget and then aborted ("failed to allocate ~1 GB"). Under a 4 GB address-space limit each now gets one
/// `error:` line naming the problem and exit 1, or (for `shapes`, which needs no weights' values) its report.
final class UncountedMemoryTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try BinaryRunner.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func experiment(_ json: String) throws -> String {
        let url = dir.appendingPathComponent("e.json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    private func assertRefused(_ arguments: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try BinaryRunner.runLimited(arguments)
        XCTAssertFalse(r.timedOut, "hung", file: file, line: line)
        XCTAssertNil(r.signal, "died of signal \(r.signal ?? 0): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("error: "), r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "one line: \(r.stderr)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(r.stderr.contains(fragment), "«\(r.stderr)» lacks «\(fragment)»", file: file, line: line)
        }
        XCTAssertLessThan(r.peakMegabytes, 200, "reached \(r.peakMegabytes) MB", file: file, line: line)
    }

    /// LSTM(8192): 1.07 GB of weights fit the budget; their gradients and the transposed kernels do not.
    func testGradientsOfAHugeLSTM() throws {
        let e = try experiment(#"{"cell": {"type": "lstm", "num_units": 8192}, "batch_size": 1, "max_time": 1, "input_depth": 1, "loss": {"sum": "outputs"}}"#)
        try assertRefused(["run", e, "-o", dir.appendingPathComponent("out.npz").path],
                          ["cell: this experiment would need about", "(gradients and transposed weights: 2.1 GB)", "ulimit -v"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.npz").path))
    }

    /// GRU(8192): 805 MB of weights fit; the converted copies `convert` writes do not.
    func testConvertingAHugeGRU() throws {
        let e = try experiment(#"{"cell": {"type": "gru", "num_units": 8192, "reset_after": true}, "batch_size": 1, "max_time": 1, "input_depth": 1}"#)
        try assertRefused(["convert", e, "--to", "keras", "-o", dir.appendingPathComponent("k.json").path],
                          ["cell: this experiment would need about", "(converted weights: 1.6 GB)", "ulimit -v"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("k.npz").path))
    }

    /// A Keras or PyTorch LSTM(9000): `shapes` lists 1.3 GB of weights without making any.
    func testShapesOfAHugeFrameworkLSTM() throws {
        for convention in ["keras", "torch"] {
            let e = try experiment(#"{"convention": "\#(convention)", "cell": {"type": "lstm", "num_units": 9000, "forget_bias": 0}, "batch_size": 1, "max_time": 1, "input_depth": 1}"#)
            let r = try BinaryRunner.runLimited(["shapes", e])
            XCTAssertNil(r.signal, "\(convention): died of signal \(r.signal ?? 0): \(r.stderr)")
            XCTAssertEqual(r.status, 0, "\(convention): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains(convention == "torch" ? "weight_ih_l0" : "rnn/lstm_cell/kernel"), r.stdout)
            XCTAssertLessThan(r.peakMegabytes, 200, "\(convention): reached \(r.peakMegabytes) MB")
            XCTAssertLessThan(r.seconds, 5, "\(convention): took \(r.seconds) s")
        }
    }

    /// `shapes` reads the weights' headers alone: a 268 MB kernel (deflated zeros) is listed under TF's and
    /// PyTorch's names without being decoded.
    func testShapesReadsOnlyTheWeightsHeaders() throws {
        let cases = [("tf", #"{"type": "lstm", "num_units": 4096}"#, ["rnn/lstm_cell/kernel": [4097, 16384], "rnn/lstm_cell/bias": [16384]]),
                     ("torch", #"{"type": "lstm", "num_units": 4096, "forget_bias": 0}"#,
                      ["weight_ih_l0": [16384, 1], "weight_hh_l0": [16384, 4096], "bias_ih_l0": [16384], "bias_hh_l0": [16384]])]
        for (convention, cell, arrays) in cases {
            var entries: [HostileFiles.ZipEntry] = []
            for (name, shape) in arrays.sorted(by: { $0.key < $1.key }) {
                let header = HostileFiles.npyHeader(shape)
                entries.append(try HostileFiles.deflated(name + ".npy", count: header.count + shape.reduce(4, *)) { range in
                    range.lowerBound >= header.count ? HostileFiles.zeros(range)
                        : header.subdata(in: range.lowerBound..<min(range.upperBound, header.count))
                            + HostileFiles.zeros(max(header.count, range.lowerBound)..<range.upperBound)
                })
            }
            try HostileFiles.zip(entries).write(to: dir.appendingPathComponent("w.npz"))
            let e = try experiment(#"{"convention": "\#(convention)", "cell": \#(cell), "batch_size": 1, "max_time": 1, "input_depth": 1, "weights": "w.npz"}"#)
            let r = try BinaryRunner.runLimited(["shapes", e])
            XCTAssertEqual(r.status, 0, "\(convention): \(r.stderr)")
            for (name, shape) in arrays {
                XCTAssertTrue(r.stdout.contains("\(name)") && r.stdout.contains("found [\(shape.map(String.init).joined(separator: ", "))]"),
                              "\(convention): \(name) in \(r.stdout)")
            }
            XCTAssertLessThan(r.peakMegabytes, 200, "\(convention): reached \(r.peakMegabytes) MB")
        }
    }
}
