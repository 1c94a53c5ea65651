import Experiment
import Foundation
import RNNEngine
import XCTest

extension ConformanceCases {
    /// Keras', TensorFlow's and PyTorch's runs under masks (../shared/conformance/masks).
    static var masksDirectory: URL { gradientsDirectory.deletingLastPathComponent().appendingPathComponent("masks") }
    /// Masks that tf and torch cannot express: every case must be refused.
    static var refusedMasksDirectory: URL { masksDirectory.appendingPathComponent("refused") }
}

/// Every case of ../shared/conformance/masks through the loader (forward and gradients, within 1e-5 for float32 and
/// 1e-10 for float64), the refusals of masks that are not a prefix under tf and torch, and the `"mask"`,
/// `"mask_value"` and `"go_backwards"` fields read with file and field in every error.
final class MaskConformanceTests: XCTestCase {
    func testEveryMaskCaseMatches() throws {
        let urls = try ConformanceCases.all(in: ConformanceCases.masksDirectory)
        XCTAssertGreaterThanOrEqual(urls.count, 21, "expected the 21 public mask cases at least")
        let names = urls.map { $0.deletingPathExtension().lastPathComponent }
        for prefix in ["keras_", "tf_", "torch_", "grad_keras_", "grad_tf_"] {
            XCTAssertTrue(names.contains { $0.hasPrefix(prefix) }, "no \(prefix)… case")
        }
        try FrameworkConformanceTests.check(urls)
    }

    /// A post-padded mask is `sequence_length`: the same numbers, bit for bit.
    func testAPrefixMaskIsTheLengthsRunExactly() throws {
        let dir = ConformanceCases.masksDirectory
        let mask = try ExperimentLoader.runFile(dir.appendingPathComponent("keras_mask_post_lstm.json"))
        let lengths = try ExperimentLoader.runFile(dir.appendingPathComponent("keras_mask_post_lstm_lengths.json"))
        XCTAssertEqual(mask.map(\.0), lengths.map(\.0))
        for (a, b) in zip(mask, lengths) { XCTAssertEqual(a.1, b.1, a.0) }
    }

    /// tf and torch refuse a mask that is not a prefix: one line naming the first such example and its masked steps
    /// (computed here from the case's mask), nothing run.
    func testMasksThatAreNotAPrefixAreRefusedInOneLine() throws {
        let urls = try ConformanceCases.all(in: ConformanceCases.refusedMasksDirectory)
        XCTAssertGreaterThanOrEqual(urls.count, 3, "expected the 3 public refused cases at least")
        var lines: [String: String] = [:]
        for url in urls {
            let name = url.deletingPathExtension().lastPathComponent
            let npz = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let mask = try XCTUnwrap(npz["mask"], name)
            let (batch, time) = (mask.shape[0], mask.shape[1])
            let rows = (0..<batch).map { b in (0..<time).map { mask.asInts()[b * time + $0] == 1 } }
            let example = try XCTUnwrap(rows.firstIndex { row in row.drop { $0 }.contains(true) }, "\(name): test bug, every row is a prefix")
            let steps = rows[example].indices.filter { !rows[example][$0] }
            XCTAssertThrowsError(try ExperimentLoader.runFile(url)) { e in
                let text = "\(e)"
                lines[name] = text
                XCTAssertFalse(text.contains("\n"), text)
                XCTAssertTrue(text.hasPrefix(url.path + ": mask: "), text)
                XCTAssertTrue(text.contains("example \(example)'s mask is not a prefix"), text)
                let list = steps.map(String.init).joined(separator: ", ")
                XCTAssertTrue(text.contains((steps.count == 1 ? "(masked step " : "(masked steps ") + list + ")"), text)
            }
        }
        // The README's table, word for word.
        for (name, example, steps) in [("tf_mask_hole_refused", 1, "steps 2, 4, 5"), ("torch_mask_pre_refused", 2, "steps 0, 1, 2"),
                                       ("tf_mask_bidir_refused", 2, "step 0")] {
            let line = try XCTUnwrap(lines[name], name)
            XCTAssertTrue(line.contains("example \(example)'s") && line.contains("masked \(steps))"), line)
        }
    }

    /// Keras 3 drops Masking's mask when the layer is called with `initial_state`: `mask_value` with an initial state
    /// runs unmasked, while an explicit `"mask"` is still given.
    func testMaskValueIsDroppedWithAnInitialStateAsKerasDoes() throws {
        let dir = try temporaryCopy("keras_mask_value_pre_gru_reset_before")
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("case.json")
        var spec = try ExperimentLoader.readSpec(json)
        let base = try ExperimentLoader.load(spec, file: "case.json", baseDirectory: dir, as: Float.self)
        let mask = try XCTUnwrap(base.stepMask)
        XCTAssertNil(mask.prefixLengths, "test bug: the case is pre-padded")
        try Npz.write([("initial_state", try NumpyArray(float32: Array(repeating: 0.25, count: base.batchSize * 3), shape: [base.batchSize, 3]))],
                      to: dir.appendingPathComponent("init.npz"))
        spec.initialState = "init.npz"
        let dropped = try ExperimentLoader.load(spec, file: "case.json", baseDirectory: dir, as: Float.self)
        XCTAssertTrue(dropped.maskDroppedByInitialState)
        XCTAssertNil(dropped.stepMask)
        var unmasked = spec
        unmasked.maskValue = nil
        let plain = try ExperimentLoader.load(unmasked, file: "case.json", baseDirectory: dir, as: Float.self)
        XCTAssertEqual(try dropped.run().outputs, try plain.run().outputs)
        // The same mask given explicitly is used with the initial state.
        try Npz.write([("mask", try NumpyArray(shape: [mask.batchSize, mask.maxTime], storage: .bool(mask.valid.map { $0 ? 1 : 0 })))],
                      to: dir.appendingPathComponent("mask.npz"))
        var explicit = spec
        explicit.maskValue = nil
        explicit.mask = "mask.npz"
        let masked = try ExperimentLoader.load(explicit, file: "case.json", baseDirectory: dir, as: Float.self)
        XCTAssertFalse(masked.maskDroppedByInitialState)
        XCTAssertEqual(masked.stepMask, mask)
        XCTAssertNotEqual(try masked.run().outputs, try plain.run().outputs)
    }

    /// The fields are read like every other: file and field in each error, dtype, shape and bytes checked.
    func testMaskFieldErrorsNameFileAndField() throws {
        let dir = try temporaryCopy("keras_mask_hole_lstm")
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = dir.appendingPathComponent("case.json")
        let text = try String(contentsOf: json, encoding: .utf8)
        let spec = try ExperimentLoader.readSpec(json)
        let base = try ExperimentLoader.load(spec, file: "case.json", baseDirectory: dir, as: Float.self)
        let (b, t) = (base.batchSize, base.maxTime)
        func loadError(_ arrays: [(String, NumpyArray)]) -> String {
            do {
                try Npz.write(arrays, to: dir.appendingPathComponent("bad.npz"))
                var s = spec
                s.mask = "bad.npz"
                _ = try ExperimentLoader.load(s, file: "case.json", baseDirectory: dir, as: Float.self)
                return "no error"
            } catch { return "\(error)" }
        }
        let ones = [UInt8](repeating: 1, count: b * t)
        XCTAssertTrue(loadError([("mask", try NumpyArray(float32: Array(repeating: 1, count: b * t), shape: [b, t]))])
            .hasPrefix("case.json: mask: bad.npz: mask has dtype float32; expected bool"))
        XCTAssertTrue(loadError([("mask", try NumpyArray(shape: [t, b], storage: .bool(ones)))])
            .hasPrefix("case.json: mask: bad.npz: mask has shape [\(t), \(b)]; expected [batch, max_time] = [\(b), \(t)]"))
        var two = ones
        two[t + 1] = 2
        XCTAssertEqual(loadError([("mask", try NumpyArray(shape: [b, t], storage: .bool(two)))]),
                       "case.json: mask: bad.npz: mask[1, 1] holds the byte 2; a NumPy bool is 0 or 1")
        XCTAssertEqual(loadError([("other", try NumpyArray(shape: [b, t], storage: .bool(ones)))]),
                       "case.json: mask: bad.npz has no array named \"mask\"")
        XCTAssertEqual(loadError([("mask", try NumpyArray(shape: [b, t], storage: .bool(ones)))]), "no error")

        func parseError(_ json: String) -> String {
            do { _ = try ExperimentSpec.parse(Data(json.utf8), file: "e.json"); return "no error" } catch { return "\(error)" }
        }
        let both = text.replacingOccurrences(of: "\"mask\":", with: "\"sequence_length\": [1, 2, 3], \"mask\":")
        XCTAssertEqual(parseError(both), "e.json: mask: give at most one of sequence_length, mask and mask_value (this file gives sequence_length and mask)")
        let tfValue = text.replacingOccurrences(of: "\"keras\"", with: "\"tf\"")
            .replacingOccurrences(of: "\"mask\": \"keras_mask_hole_lstm.npz\"", with: "\"mask_value\": 0.0")
        XCTAssertTrue(parseError(tfValue).hasPrefix("e.json: mask_value: keras.layers.Masking is Keras'"), parseError(tfValue))
        let backwards = text.replacingOccurrences(of: "\"num_units\": 4", with: "\"num_units\": 4, \"go_backwards\": true")
        XCTAssertEqual(parseError(backwards), "no error")
        XCTAssertTrue(parseError(backwards.replacingOccurrences(of: "\"keras\"", with: "\"torch\""))
            .hasPrefix("e.json: cell.go_backwards: an argument of Keras' recurrent layers"))
        XCTAssertTrue(parseError(backwards.replacingOccurrences(of: "\"go_backwards\": true", with: "\"go_backwards\": 1"))
            .hasPrefix("e.json: cell.go_backwards: "))
        let stacked = backwards.replacingOccurrences(of: "\"cell\": {", with: "\"cell\": {\"type\": \"multi\", \"cells\": [{")
            .replacingOccurrences(of: "\"go_backwards\": true\n  }", with: "\"go_backwards\": true\n  }, {\"type\": \"gru\", \"num_units\": 2}]}")
        XCTAssertEqual(parseError(stacked), "no error")
        let bidirectional = backwards.replacingOccurrences(of: "\"cell\": {", with: "\"bidirectional\": true, \"cell\": {")
        XCTAssertTrue(parseError(bidirectional).contains("go_backwards inside keras.layers.Bidirectional"), parseError(bidirectional))
        // Written back as read.
        let reread = try ExperimentSpec.parse(try ExperimentSpec.parse(Data(backwards.utf8), file: "e.json").jsonData(), file: "again.json")
        XCTAssertEqual(reread, try ExperimentSpec.parse(Data(backwards.utf8), file: "e.json"))
        XCTAssertEqual(reread.cell.unwrappedLayer?.goBackwards, true)
        XCTAssertEqual(reread.mask, "keras_mask_hole_lstm.npz")
    }

    /// `go_backwards` given lengths runs as under the mask `t < length` (reversed with the inputs), as Keras does.
    func testGoBackwardsWithLengthsIsTheMaskRun() throws {
        let url = ConformanceCases.masksDirectory.appendingPathComponent("keras_mask_go_backwards_lstm.json")
        let spec = try ExperimentLoader.readSpec(url)
        let base = url.deletingLastPathComponent()
        let masked = try ExperimentLoader.load(spec, file: "e.json", baseDirectory: base, as: Float.self)
        var lengths = spec
        lengths.mask = nil
        lengths.sequenceLength = try XCTUnwrap(masked.stepMask?.prefixLengths, "test bug: the case is post-padded")
        let given = try ExperimentLoader.load(lengths, file: "e.json", baseDirectory: base, as: Float.self)
        let (a, b) = (try masked.run(), try given.run())
        XCTAssertEqual(a.outputs, b.outputs)
        XCTAssertEqual(a.states, b.states)
        // Its outputs are in reading order: the padded steps come first, as zeros.
        XCTAssertEqual(a.outputs[0][1, 0, 0], 0)
    }

    /// `"step": "last"` is the example's last valid step under a mask (its output, not a padded one).
    func testLastStepLossFollowsTheMask() throws {
        let url = ConformanceCases.masksDirectory.appendingPathComponent("tf_mask_prefix_multi.json")
        var spec = try ExperimentLoader.readSpec(url)
        let base = url.deletingLastPathComponent()
        spec.loss = .output(example: 2, step: nil, unit: 1, direction: 0)
        let last = try ExperimentLoader.load(spec, file: "e.json", baseDirectory: base, as: Float.self).gradients()
        XCTAssertEqual(try ExperimentLoader.load(spec, file: "e.json", baseDirectory: base, as: Float.self).stepMask?.prefixLengths, [6, 0, 3])
        spec.loss = .output(example: 2, step: 2, unit: 1, direction: 0)
        let explicit = try ExperimentLoader.load(spec, file: "e.json", baseDirectory: base, as: Float.self).gradients()
        XCTAssertEqual(last.inputs, explicit.inputs)
        XCTAssertTrue(last.inputs.scalars.contains { $0 != 0 })
        spec.loss = .output(example: 1, step: nil, unit: 1, direction: 0)
        XCTAssertThrowsError(try ExperimentLoader.load(spec, file: "e.json", baseDirectory: base, as: Float.self).gradients()) { e in
            XCTAssertEqual("\(e)", "e.json: loss: example 1 has no valid step under the mask: it has no last step")
        }
    }

    /// The explorer's loop runs under a mask (its frames are checked against every case in `MaskExplorerTests`);
    /// what cannot show a masked run says so in one line instead of running unmasked: the comparison of conventions,
    /// and one loop for a Keras stack with a `go_backwards` layer (it runs layer by layer).
    func testSteppingWorksAndComparingUnderAMaskIsRefused() throws {
        for name in ["keras_mask_hole_lstm", "keras_mask_value_stack3", "keras_mask_go_backwards_lstm"] {
            let url = ConformanceCases.masksDirectory.appendingPathComponent(name + ".json")
            let loaded = try ExperimentLoader.load(try ExperimentLoader.readSpec(url), file: "e.json",
                                                   baseDirectory: url.deletingLastPathComponent(), as: Float.self)
            let field = name.contains("value") ? "mask_value" : "mask"
            let loop = try loaded.makeLoop()
            XCTAssertEqual(loop.stepMask != nil || loop.sequenceLength != nil, true, name)
            XCTAssertThrowsError(try loaded.compare(.keras, .tf)) { XCTAssertTrue("\($0)".hasPrefix("e.json: \(field): comparing"), "\($0)") }
        }
        let url = ConformanceCases.masksDirectory.appendingPathComponent("keras_mask_go_backwards_lstm.json")
        var spec = try ExperimentLoader.readSpec(url)
        spec.cell = .multi([spec.cell, spec.cell])
        spec.weights = nil
        let stack = try ExperimentLoader.load(spec, file: "e.json", baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        XCTAssertThrowsError(try stack.makeLoop()) {
            XCTAssertTrue("\($0)".hasPrefix("e.json: cell: a Keras stack with a go_backwards layer runs layer by layer"), "\($0)")
            XCTAssertFalse("\($0)".contains("\n"))
        }
    }

    /// A copy of mask case `name` in a new folder, as `case.json` with its arrays beside it under the original name.
    private func temporaryCopy(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mask-tests-" + UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = ConformanceCases.masksDirectory.appendingPathComponent(name)
        try FileManager.default.copyItem(at: source.appendingPathExtension("npz"), to: dir.appendingPathComponent(name + ".npz"))
        try FileManager.default.copyItem(at: source.appendingPathExtension("json"), to: dir.appendingPathComponent("case.json"))
        return dir
    }
}
