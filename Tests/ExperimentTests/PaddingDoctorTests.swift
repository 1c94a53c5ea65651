import Experiment
import Foundation
import RNNEngine
import XCTest

/// The padding doctor (`LoadedExperiment.paddingDiagnosis`, issue 17 item 5): every framework given the mask, its
/// lengths, or nothing, against Keras with the true mask, per example.
final class PaddingDoctorTests: XCTestCase {
    private func load(_ name: String) throws -> LoadedExperiment<Float> {
        let url = ConformanceCases.masksDirectory.appendingPathComponent(name + ".json")
        let spec = try ExperimentLoader.readSpec(url)
        return try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
    }

    private func entry(_ d: PaddingDiagnosis, _ c: Convention, _ v: PaddingDiagnosis.Variant) throws -> PaddingDiagnosis.Entry {
        try XCTUnwrap(d.entries.first { $0.convention == c && $0.variant == v }, "\(c) \(v)")
    }

    /// Rows 0: post-padded (length 4), 1: pre-padded (3 steps of padding), 2: a hole at t=3, on a Keras GRU case.
    private func mixed() throws -> (LoadedExperiment<Float>, StepMask) {
        var e = try load("keras_mask_pre_gru")
        XCTAssertEqual(e.batchSize, 3, "test bug: the case has 3 rows")
        let t = e.maxTime
        let rows: [[Bool]] = [(0..<t).map { $0 < 4 }, (0..<t).map { $0 >= 3 }, (0..<t).map { $0 != 3 }]
        let mask = try StepMask(valid: rows.flatMap { $0 }, batchSize: 3, maxTime: t)
        e.stepMask = mask
        return (e, mask)
    }

    func testLengthsGoWrongOnPrePaddedRowsOnlyAndDroppingAtTheFirstMaskedStep() throws {
        let (e, mask) = try mixed()
        let d = try XCTUnwrap(try e.paddingDiagnosis())
        XCTAssertEqual(d.lengths, [4, e.maxTime - 3, e.maxTime - 1])
        XCTAssertEqual(d.entries.count, 4 * 3)
        // Keras given its own mask is the reference.
        let own = try entry(d, .keras, .mask)
        XCTAssertEqual(own.outputDifference, [0, 0, 0])
        XCTAssertEqual(own.stateDifference, [0, 0, 0])
        // Keras given lengths: the post-padded row agrees bit for bit; the pre-padded row goes wrong at t=0 (its
        // padding runs first); the hole row at the hole.
        let lengths = try entry(d, .keras, .lengths)
        XCTAssertNil(lengths.refusal)
        XCTAssertEqual(lengths.outputDifference[0], 0)
        XCTAssertEqual(lengths.stateDifference[0], 0)
        XCTAssertEqual(lengths.firstWrongStep, [nil, 0, 3])
        XCTAssertGreaterThan(lengths.outputDifference[1], 0)
        XCTAssertGreaterThan(lengths.stateDifference[1], 0)
        // tf given lengths: the same state on the post-padded row, outputs differ only past its length (zeros where
        // Keras repeats); the pre-padded row from t=0.
        let tf = try entry(d, .tf, .lengths)
        XCTAssertNil(tf.refusal)
        XCTAssertEqual(tf.stateDifference[0], 0)
        XCTAssertEqual(tf.firstWrongStep, [4, 0, 3])
        // Dropped: every row goes wrong at its first masked step, under every framework that runs the model.
        let firstMasked = (0..<3).map { mask.maskedSteps(example: $0).first }
        for c in [Convention.tf, .keras, .torch] {
            let dropped = try entry(d, c, .dropped)
            XCTAssertNil(dropped.refusal, "\(c)")
            XCTAssertEqual(dropped.firstWrongStep, firstMasked, "\(c)")
            for b in 0..<3 { XCTAssertGreaterThan(dropped.outputDifference[b], 0, "\(c) example \(b)") }
        }
    }

    func testAMaskThatIsNotAPrefixCannotBeExpressedWithoutKeras() throws {
        let (e, _) = try mixed()
        let d = try XCTUnwrap(try e.paddingDiagnosis())
        XCTAssertNil(try entry(d, .keras, .mask).refusal)
        let steps = "masked steps 0, 1, 2"
        XCTAssertEqual(try entry(d, .tf, .mask).refusal,
                       "convention tf: example 1's mask is not a prefix (\(steps)); dynamic_rnn's sequence_length can only make a row's first steps valid (the keras convention runs any mask)")
        XCTAssertEqual(try entry(d, .torch, .mask).refusal,
                       "convention torch: example 1's mask is not a prefix (\(steps)); pack_padded_sequence's lengths can only make a row's first steps valid (the keras convention runs any mask)")
        XCTAssertEqual(try entry(d, .onnx, .mask).refusal,
                       "convention onnx: example 1's mask is not a prefix (\(steps)); the sequence_lens input can only make a row's first steps valid (the keras convention runs any mask)")
        for c in [Convention.tf, .torch, .onnx] { XCTAssertEqual(try entry(d, c, .mask).outputDifference, [], "\(c)") }
    }

    /// ONNX's rows run (the model converted to the onnx convention): given the lengths or no mask, onnxruntime runs
    /// what dynamic_rnn runs here (zeros past each row's length, no row of length 0), so its rows are TF's.
    func testONNXRowsRunAsTFsRows() throws {
        let (e, _) = try mixed()
        let d = try XCTUnwrap(try e.paddingDiagnosis())
        for variant in [PaddingDiagnosis.Variant.lengths, .dropped] {
            let onnx = try entry(d, .onnx, variant), tf = try entry(d, .tf, variant)
            XCTAssertNil(onnx.refusal, "\(variant)")
            XCTAssertEqual(onnx.firstWrongStep, tf.firstWrongStep, "\(variant)")
            XCTAssertEqual(onnx.outputDifference.count, e.batchSize)
            for (a, b) in zip(onnx.outputDifference + onnx.stateDifference, tf.outputDifference + tf.stateDifference) {
                XCTAssertEqual(a, b, accuracy: 1e-5, "\(variant)")
            }
        }
    }

    /// A post-padded mask is its lengths everywhere: tf and torch express it (the same run as their lengths).
    func testAPrefixMaskIsExpressedAsLengths() throws {
        let e = try load("keras_mask_post_lstm")
        let d = try XCTUnwrap(try e.paddingDiagnosis())
        for c in [Convention.tf, .torch] {
            let m = try entry(d, c, .mask), l = try entry(d, c, .lengths)
            XCTAssertNil(m.refusal, "\(c)")
            XCTAssertEqual(m.outputDifference, l.outputDifference, "\(c)")
            XCTAssertEqual(m.firstWrongStep, l.firstWrongStep, "\(c)")
            XCTAssertEqual(m.stateDifference, Array(repeating: 0, count: e.batchSize), "\(c): the final state is the same")
        }
        XCTAssertEqual(try entry(d, .keras, .lengths).outputDifference, Array(repeating: 0, count: e.batchSize))
        XCTAssertFalse(d.maskDroppedByInitialState)
    }

    func testNoMaskNoDiagnosis() throws {
        let url = FrameworkConformanceTests.sharedDirectory.appendingPathComponent("keras_lstm_masked.json")
        let spec = try ExperimentLoader.readSpec(url)
        let e = try ExperimentLoader.load(spec, file: url.path, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        XCTAssertNil(try e.paddingDiagnosis())
    }

    /// Keras 3 drops Masking's mask with `initial_state`: the doctor still diagnoses the true mask and says so, and
    /// Keras' own run (`run()`) is the `dropped` entry.
    func testTheInitialStateMaskDropIsPointedOut() throws {
        let name = "keras_mask_value_pre_gru_reset_before"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-" + UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = ConformanceCases.masksDirectory.appendingPathComponent(name)
        try FileManager.default.copyItem(at: source.appendingPathExtension("npz"), to: dir.appendingPathComponent(name + ".npz"))
        var spec = try ExperimentLoader.readSpec(source.appendingPathExtension("json"))
        let base = try ExperimentLoader.load(spec, file: "case.json", baseDirectory: dir, as: Float.self)
        let mask = try XCTUnwrap(base.stepMask)
        try Npz.write([("initial_state", try NumpyArray(float32: Array(repeating: 0.25, count: base.batchSize * 3), shape: [base.batchSize, 3]))],
                      to: dir.appendingPathComponent("init.npz"))
        spec.initialState = "init.npz"
        let dropped = try ExperimentLoader.load(spec, file: "case.json", baseDirectory: dir, as: Float.self)
        XCTAssertNil(dropped.stepMask)
        XCTAssertEqual(try dropped.trueStepMask(), mask)
        let d = try XCTUnwrap(try dropped.paddingDiagnosis())
        XCTAssertTrue(d.maskDroppedByInitialState)
        XCTAssertEqual(d.mask, mask)
        let kerasDropped = try entry(d, .keras, .dropped)
        XCTAssertTrue(kerasDropped.outputDifference.contains { $0 > 0 }, "Keras' own run differs from the true mask's")
        XCTAssertFalse(try XCTUnwrap(try base.paddingDiagnosis()).maskDroppedByInitialState)
    }
}
