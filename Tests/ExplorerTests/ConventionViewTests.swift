import XCTest
@testable import Explorer
import Experiment
import RNNEngine
import TerminalUI

/// Switching the open experiment's convention (C), the comparison view (6) and `L` with Keras or PyTorch names:
/// what the screen says is checked against the engine run here on the same files.
final class ConventionViewTests: ExplorerAppTestCase {
    let samples = BackwardViewTests.samples

    func open(_ name: String, width: Int = 100, height: Int = 32, colorMode: ColorMode = .palette256,
              unicode: Bool = true) throws -> (ExplorerApp, MemoryTerminal) {
        let terminal = MemoryTerminal(width: width, height: height,
                                      capabilities: TerminalCapabilities(colorMode: colorMode, unicode: unicode, mouse: true))
        let model = try ExplorerModel.load(path: samples.appendingPathComponent(name).path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        return (ExplorerApp(terminal: terminal, model: model), terminal)
    }

    /// A sample's outputs as its framework gives them, by the engine (`unroll run`'s arrays).
    func outputs(_ name: String) throws -> NumpyArray {
        let arrays = try ExperimentLoader.runFile(samples.appendingPathComponent(name))
        return try XCTUnwrap(arrays.first { $0.0 == "outputs" || $0.0 == "output" }?.1)
    }

    /// Under Keras' rule the Frame pane's emitted row at a masked step is the row's last valid output (the
    /// frames themselves are dynamic_rnn's, which emits 0 there), as the engine's Keras run has it.
    func testKerasFramesEmitTheLastValidOutputAtMaskedSteps() throws {
        let model = try ExplorerModel.load(path: samples.appendingPathComponent("ports/lstm_keras.json").path)
        XCTAssertTrue(model.session.waitUntilComplete(timeout: 30))
        let keras = try outputs("ports/lstm_keras.json").tensor(Float.self, name: "keras").cast(to: Double.self)
        XCTAssertEqual(keras.shape, [4, 8, 4])
        let lengths = [8, 5, 2, 6]
        let frames = try model.session.frames(.forward, 0..<8)
        XCTAssertEqual(frames.count, 8)
        var maskedChecked = 0
        for f in frames {
            for b in 0..<4 {
                let want = (0..<4).map { keras.scalars[(b * 8 + f.time) * 4 + $0] }
                XCTAssertEqual(f.output.row(b).map { $0 }, want.map { Double(Float($0)) }, "t=\(f.time) example \(b)")
                if f.time >= lengths[b] {
                    maskedChecked += 1
                    XCTAssertTrue(f.isMasked(b))
                    XCTAssertNotEqual(want, [0, 0, 0, 0], "Keras repeats a nonzero output at t=\(f.time), example \(b)")
                }
            }
        }
        XCTAssertEqual(maskedChecked, 0 + 3 + 6 + 2)
    }

    func testComparisonNamesWhereKerasAndTensorFlowFirstDiffer() throws {
        let (app, term) = try open("ports/lstm_tf.json")
        press(app, .char("6"))
        settle(app)
        XCTAssertNotNil(app.model.comparison(with: .keras).result)
        // The engine's own runs of the sample saved for TF and for Keras: where do they first differ?
        let tf = try outputs("ports/lstm_tf.json").tensor(Float.self, name: "tf").cast(to: Double.self), keras = try outputs("ports/lstm_keras.json").tensor(Float.self, name: "keras").cast(to: Double.self)
        XCTAssertEqual(tf.shape, [4, 8, 4])
        var first: (t: Int, b: Int)?
        search: for t in 0..<8 { for b in 0..<4 { for k in 0..<4 where abs(tf.scalars[(b * 8 + t) * 4 + k] - keras.scalars[(b * 8 + t) * 4 + k]) > 1e-5 {
            first = (t, b); break search
        } } }
        let f = try XCTUnwrap(first)
        var text = screen(app, term)
        XCTAssertTrue(text.contains("Compare tf vs keras"), text)
        XCTAssertTrue(text.contains("first difference at t=\(f.t), example \(f.b): past the example's"), text)
        XCTAssertTrue(text.contains("Keras repeats the"), text)
        XCTAssertTrue(text.contains("output of t=1"), text)
        // The selected unit at that step, side by side, with the engine's difference.
        focus(app, .sequences)
        for _ in 0..<f.b { press(app, .char("j")) }
        for _ in 0..<f.t { press(app, .char("l")) }
        text = screen(app, term)
        let k = (f.b * 8 + f.t) * 4
        XCTAssertTrue(text.contains("t=\(f.t) u0: tf \(Format.num(tf.scalars[k]).trimmingCharacters(in: .whitespaces)) | keras \(Format.num(keras.scalars[k]).trimmingCharacters(in: .whitespaces)) | |diff| \(String(format: "%.2e", abs(keras.scalars[k] - tf.scalars[k])))"), text)
        XCTAssertTrue(text.contains("final states identical"), text)
        // The difference heatmap is exactly zero (a dot) at every step where they agree: row 0 runs its full length.
        press(app, .char("k"), .char("k"))
        XCTAssertEqual(app.state.example, 0)
        text = screen(app, term)
        guard let diffLine = text.split(separator: "\n").first(where: { $0.contains("|diff| 0 ") }) else { return XCTFail(text) }
        XCTAssertEqual(diffLine.filter { $0 == "·" }.count, 8, "example 0 never differs: 8 dots\n\(text)")
        // 6 again compares with PyTorch: zeros on masked steps as TF writes them.
        press(app, .char("6"))
        settle(app)
        XCTAssertNotNil(app.model.comparison(with: .torch).result)
        text = screen(app, term)
        XCTAssertTrue(text.contains("Compare tf vs torch"), text)
        XCTAssertTrue(text.contains("give the same"), text)
    }

    func testComparisonSaysWhyAFrameworkCannotRunTheModel() throws {
        let (app, term) = try makeApp(width: 80, height: 24, colorMode: .none, unicode: false)
        press(app, .char("6"), .char("6"))  // the built-in batch has a row of length 0: PyTorch refuses it
        settle(app)
        XCTAssertNotNil(app.model.comparison(with: .torch).result)
        let text = screen(app, term)
        XCTAssertTrue(text.contains("PyTorch cannot run this model"), text)
        XCTAssertTrue(text.contains("refuses lengths"), text)
        XCTAssertTrue(text.unicodeScalars.allSatisfy(\.isASCII), text)
    }

    func testSwitchingTheConventionChangesTheFrameTitleAndShapes() throws {
        let (app, term) = try open("ports/lstm_tf.json", width: 120, height: 40)
        focus(app, .sequences)
        press(app, .char("j"))          // example 1, length 5
        for _ in 0..<6 { press(app, .char("l")) }
        focus(app, .frame)
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .keras)
        var text = screen(app, term)
        XCTAssertTrue(text.contains("[keras: Keras]"), text)
        XCTAssertTrue(text.contains("the output repeats the row's last valid output"), text)
        XCTAssertTrue(app.state.message.contains("forget_bias folded"), app.state.message)
        // The switched model computes what the Keras sample computes (to float32 rounding of the folded bias).
        let keras = try outputs("ports/lstm_keras.json").tensor(Float.self, name: "keras").cast(to: Double.self)
        let frame = try XCTUnwrap(app.model.window(direction: .forward, range: 3..<4).frames.first)
        for k in 0..<4 { XCTAssertEqual(rowValues(frame.output, 1)![k], keras.scalars[(1 * 8 + 3) * 4 + k], accuracy: 1e-6) }
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .torch)
        text = screen(app, term)
        XCTAssertTrue(text.contains("[torch: PyTorch]"), text)
        XCTAssertTrue(text.contains("h_n"), text)
        XCTAssertTrue(text.contains("c_n"), text)
        XCTAssertTrue(text.contains("[1, 4, 4]"), text)
        XCTAssertTrue(text.contains("pad_packed_sequence"), text)
        // onnx in its turn: one ONNX LSTM node, zeros past each row's sequence_lens; the next C goes on to tf.
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .onnx, app.state.message)
        text = screen(app, term)
        XCTAssertTrue(text.contains("[onnx: ONNX (onnxruntime)]"), text)
        XCTAssertTrue(text.contains("onnxruntime writes zeros into Y past the row's"), text)
        press(app, .char("C"))
        XCTAssertEqual(app.state.spec.convention, .tf)
        XCTAssertFalse(screen(app, term).contains("[torch"), term.screenText)
    }

    func testLoadingKerasWeightsRecognisesTheFramework() throws {
        let (app, _) = try open("ports/lstm_tf.json")
        let before = try XCTUnwrap(app.model.window(direction: .forward, range: 4..<5).frames.first)
        press(app, .char("L"))
        for ch in samples.appendingPathComponent("ports/lstm_keras.npz").path { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertEqual(app.state.spec.convention, .keras, app.state.message)
        XCTAssertTrue(app.state.message.contains("recognised Keras' names: loaded weights"), app.state.message)
        XCTAssertTrue(app.state.message.contains("for the keras convention"), app.state.message)
        let after = try XCTUnwrap(app.model.window(direction: .forward, range: 4..<5).frames.first)
        // The same numbers on rows still running at t=4 (masked rows differ by design: Keras repeats the last
        // valid output, see testKerasFramesEmitTheLastValidOutputAtMaskedSteps).
        for b in 0..<4 where !after.isMasked(b) {
            for (x, y) in zip(before.output.row(b), after.output.row(b)) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        }
        XCTAssertTrue(after.isMasked(2), "row 2 (length 2) is masked at t=4")
        // PyTorch's state_dict names.
        press(app, .char("L"))
        for ch in samples.appendingPathComponent("ports/lstm_torch.npz").path { press(app, .char(ch)) }
        press(app, .enter)
        XCTAssertEqual(app.state.spec.convention, .torch, app.state.message)
        XCTAssertTrue(app.state.message.contains("recognised PyTorch's names: loaded weights"), app.state.message)
    }

    /// A switched experiment saves under its framework's names and structure, and opens again to the same numbers.
    func testASwitchedExperimentSavesAndReopens() throws {
        let (app, _) = try open("ports/lstm_tf.json")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-conv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for convention in [Convention.keras, .torch] {
            while app.state.spec.convention != convention { press(app, .char("C")) }
            let path = dir.appendingPathComponent("\(convention.rawValue).json").path
            _ = try app.model.save(to: path)
            let reopened = try ExplorerModel.load(path: path)
            XCTAssertEqual(reopened.spec.convention, convention)
            XCTAssertTrue(reopened.session.waitUntilComplete(timeout: 30))
            let arrays = try Npz.read(dir.appendingPathComponent("\(convention.rawValue).arrays.npz"))
            if convention == .torch {
                XCTAssertNotNil(arrays["weight_ih_l0"], "\(arrays.keys.sorted())")
                XCTAssertNotNil(arrays["initial_state/h_0"], "\(arrays.keys.sorted())")
            } else {
                XCTAssertNotNil(arrays["rnn/lstm_cell/recurrent_kernel"], "\(arrays.keys.sorted())")
            }
            for t in 0..<8 {
                let a = try XCTUnwrap(app.model.window(direction: .forward, range: t..<(t + 1)).frames.first)
                let b = try XCTUnwrap(reopened.window(direction: .forward, range: t..<(t + 1)).frames.first)
                XCTAssertEqual(a.output.scalars, b.output.scalars, "\(convention) t=\(t)")
            }
        }
    }
}
