import Experiment
import Foundation
import RNNEngine
import XCTest

/// Conversions between the onnx convention and tf, keras and torch (`ExperimentConversion`, the descriptors'
/// `converted(_:to:)` and `conversionRefusal`): each onnxruntime case converted to the other frameworks runs to
/// onnxruntime's expected `Y`, `Y_h`, `Y_c`; each TF, Keras and PyTorch case converted to onnx runs to that
/// framework's expected results; what has no exact form is refused with the reason.
final class ONNXConversionTests: XCTestCase {
    static let others: [Convention] = [.tf, .keras, .torch]

    static func load(_ url: URL) throws -> LoadedExperiment<Float> {
        let spec = try ExperimentLoader.readSpec(url)
        return try ExperimentLoader.load(spec, file: url.lastPathComponent, baseDirectory: url.deletingLastPathComponent(), as: Float.self)
    }

    /// `outputs` (one per direction, `[T, B, H]` or `[B, T, H]`) with zeros at every step `t >= lengths[b]`.
    static func zeroedPastLengths(_ outputs: [Tensor<Float>], lengths: [Int]?, timeMajor: Bool) -> [Tensor<Float>] {
        guard let lengths else { return outputs }
        return outputs.map { o in
            var s = o.scalars
            let (time, batch, width) = timeMajor ? (o.shape[0], o.shape[1], o.shape[2]) : (o.shape[1], o.shape[0], o.shape[2])
            for b in 0..<batch {
                for t in lengths[b]..<max(time, lengths[b]) {
                    let at = timeMajor ? (t * batch + b) * width : (b * time + t) * width
                    for k in 0..<width { s[at + k] = 0 }
                }
            }
            return (try? Tensor(shape: o.shape, scalars: s)) ?? o
        }
    }

    /// Rows of length 0 in a zero state: what onnxruntime returns there (`Convention.emptyRowsEndInZeroState`),
    /// where TF and Keras keep the initial state.
    static func zeroStateForEmptyRows(_ state: Nest<Tensor<Float>>, lengths: [Int]?) -> Nest<Tensor<Float>> {
        guard let lengths, lengths.contains(0) else { return state }
        return state.map { t in
            var s = t.scalars
            let width = t.shape[1]
            for (b, l) in lengths.enumerated() where l == 0 { for k in 0..<width { s[b * width + k] = 0 } }
            return (try? Tensor(shape: t.shape, scalars: s)) ?? t
        }
    }

    /// The converted run's results named as `model`'s framework names them (ONNX's `Y` with its num_directions axis,
    /// Keras' repeats past each row's length, ...).
    static func named(_ r: ExperimentResult<Float>, as model: RNNModel, lengths: [Int]?, timeMajor: Bool) throws -> [(String, NumpyArray)] {
        let zeroed = zeroedPastLengths(r.outputs, lengths: lengths, timeMajor: timeMajor)
        let outputs = zeroed.map { model.convention.maskedOutput(bidirectional: model.bidirectional).apply(to: $0, sequenceLength: lengths, timeMajor: timeMajor) }
        let states = model.convention.emptyRowsEndInZeroState ? r.states.map { zeroStateForEmptyRows($0, lengths: lengths) } : r.states
        return try ModelResult(model: model, outputs: outputs, states: states, timeMajor: timeMajor).namedTensors().map { ($0.name, try NumpyArray($0.tensor)) }
    }

    /// onnxruntime's cases under TF, Keras and PyTorch: every case converts or is refused for a reason ONNX's
    /// attributes give, and every converted run gives onnxruntime's `Y`, `Y_h`, `Y_c` (1e-5).
    func testONNXCasesConvertedToTheOtherFrameworksGiveOnnxruntimesResults() throws {
        let cases = try FrameworkConformanceTests.cases(in: ONNXConformanceTests.directory).filter { !ONNXConformanceTests.isModelFileCase($0) }
        XCTAssertGreaterThanOrEqual(cases.count, 18)
        // The refusals the cases' attributes call for (case name prefix → reason), the same under every target.
        let refused: [(String, String)] = [
            ("onnx_gru_clip_acts", "ONNX's clip = 0.8 bounds every gate's pre-activation"),
            ("onnx_lstm_peep_clip_lens_init", "ONNX's clip = 0.4 bounds every gate's pre-activation"),
            ("onnx_lstm_input_forget", "ONNX's input_forget (f = 1 − i) has no form in"),
            ("onnx_lstm_acts_hardsigmoid_relu", "the activations [HardSigmoid(0.3, 0.45), Tanh, Relu] have no form in"),
            ("onnx_rnn_bidir_leaky_alpha", "the activations [LeakyRelu(0.2)] have no form in"),
            ("onnx_gru_reverse_layout1_init", "a lone reverse pass is ONNX's direction \"reverse\""),
            ("onnx_lstm_reverse_layout1_lens", "a lone reverse pass is ONNX's direction \"reverse\""),
        ]
        var ran = 0
        for url in cases {
            let name = url.deletingPathExtension().lastPathComponent
            let loaded = try Self.load(url)
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            for c in Self.others {
                let why = refused.first { $0.0 == name }?.1
                    ?? (c == .torch && name.contains("_gru_") && name.contains("lbr0") ? "PyTorch's GRU always applies the reset gate after" : nil)
                    ?? (c == .torch && name == "onnx_gru_len0_bidir_init" ? "PyTorch's GRU always applies the reset gate after" : nil)
                    ?? (c == .torch && name == "onnx_lstm_len0_init" ? "PyTorch's pack_padded_sequence refuses lengths of 0" : nil)
                let converted: LoadedExperiment<Float>
                do {
                    converted = try ExperimentConversion.converted(loaded, to: c).experiment
                    try c.checkSequenceLength(loaded.spec.sequenceLength, maxTime: loaded.maxTime)
                } catch {
                    XCTAssertNotNil(why, "\(name) → \(c): refused: \(error)")
                    if let why { XCTAssertTrue("\(error)".contains(why), "\(name) → \(c): \(error)") }
                    continue
                }
                XCTAssertNil(why, "\(name) → \(c) converted, expected a refusal")
                XCTAssertEqual(converted.spec.convention, c)
                let produced = try Self.named(try converted.run(), as: loaded.spec.model, lengths: loaded.spec.sequenceLength, timeMajor: loaded.spec.timeMajor)
                let problems = ConformanceCases.compare(produced: produced, expected: expected)
                XCTAssertTrue(problems.isEmpty, "\(name) → \(c): \(problems.joined(separator: "; "))")
                ran += 1
            }
        }
        XCTAssertGreaterThanOrEqual(ran, 20, "converted runs checked against onnxruntime")
    }

    /// TF's, Keras' and PyTorch's cases as ONNX nodes: each single-layer float32 case converts to onnx and runs to
    /// the framework's expected results (1e-5), masked steps written as the framework writes them; a stack is
    /// refused (ONNX runs one node per layer), and so are TF-only options.
    func testFrameworkCasesConvertedToONNXGiveTheFrameworksResults() throws {
        let urls = try FrameworkConformanceTests.cases(in: ConformanceCases.directory) + FrameworkConformanceTests.cases(in: FrameworkConformanceTests.sharedDirectory)
        var ran = 0, refusedCount = 0
        for url in urls {
            let name = url.lastPathComponent
            let spec = try ExperimentLoader.readSpec(url)
            guard spec.dtype == .float32, spec.loss == nil, spec.mask == nil, spec.maskValue == nil else { continue }
            let loaded = try Self.load(url)
            let converted: LoadedExperiment<Float>
            do {
                converted = try ExperimentConversion.converted(loaded, to: .onnx).experiment
            } catch {
                // The only refusals: a stack, and TF's options ONNX's operators lack.
                let text = "\(error)"
                let known = ["ONNX runs one LSTM, GRU or RNN node per layer", "one ONNX node runs both directions", "ONNX's LSTM has no cell_clip", "ONNX's LSTM has no projection",
                             "has no ResidualWrapper", "DropoutWrapper", "go_backwards"]
                XCTAssertTrue(known.contains { text.contains($0) }, "\(name): \(text)")
                XCTAssertTrue(loaded.spec.model.cell.layers.count > 1 || text.contains("one ONNX node") || text.contains("ONNX's LSTM has no") || text.contains("Wrapper") || text.contains("go_backwards"), "\(name): \(text)")
                refusedCount += 1
                continue
            }
            XCTAssertEqual(converted.spec.convention, .onnx)
            XCTAssertTrue(converted.spec.model.cell.layers.allSatisfy { $0.unwrappedLayer?.descriptor.onlyConvention == .onnx }, name)
            // Rows of length 0: onnxruntime ends them in a zero state where TF and Keras keep the initial state.
            if loaded.spec.sequenceLength?.contains(0) == true, loaded.spec.initialState != nil { continue }
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            let produced = try Self.named(try converted.run(), as: loaded.spec.model, lengths: loaded.spec.sequenceLength, timeMajor: loaded.spec.timeMajor)
            let problems = ConformanceCases.compare(produced: produced, expected: expected)
            XCTAssertTrue(problems.isEmpty, "\(name) → onnx: \(problems.joined(separator: "; "))")
            ran += 1
        }
        XCTAssertGreaterThanOrEqual(ran, 13, "converted runs checked against the frameworks")
        XCTAssertGreaterThanOrEqual(refusedCount, 1)
    }

    /// Peepholes map one to one (ONNX's `P` blocks i, o, f are TF's `w_i_diag`, `w_o_diag`, `w_f_diag`; both output
    /// gates read the new cell). No framework case has peepholes without a clip, so this compares the two cells,
    /// each matched to its framework elsewhere (`lstm_peephole_clip`, `onnx_lstm_peep_clip_lens_init`): TF's
    /// peephole case without its cell_clip, converted to onnx and back, runs to the same numbers (1e-5).
    func testPeepholesConvertBothWays() throws {
        let url = ConformanceCases.directory.appendingPathComponent("lstm_peephole_clip.json")
        var spec = try ExperimentLoader.readSpec(url)
        spec.cell = .lstm(numUnits: 5, options: LSTMOptions(usePeepholes: true, forgetBias: 0.7))
        let tf = try ExperimentLoader.load(spec, file: "p.json", baseDirectory: url.deletingLastPathComponent(), as: Float.self)
        let onnx = try ExperimentConversion.converted(tf, to: .onnx).experiment
        XCTAssertEqual(onnx.spec.cell.unwrappedLayer?.options.usePeepholes, true)
        let back = try ExperimentConversion.converted(onnx, to: .tf).experiment
        let want = try tf.run()
        for r in [try onnx.run(), try back.run()] {
            for (a, b) in zip(r.outputs, want.outputs) {
                XCTAssertEqual(a.shape, b.shape)
                for (x, y) in zip(a.scalars, b.scalars) { XCTAssertEqual(x, y, accuracy: 1e-5) }
            }
            for (a, b) in zip(r.states, want.states) {
                for (x, y) in zip(a.flattened.flatMap(\.scalars), b.flattened.flatMap(\.scalars)) { XCTAssertEqual(x, y, accuracy: 1e-5) }
            }
        }
        XCTAssertGreaterThan(want.outputs.first?.scalars.count ?? 0, 0)
    }
}
