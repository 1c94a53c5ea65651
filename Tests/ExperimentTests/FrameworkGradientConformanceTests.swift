import Experiment
import Foundation
import RNNEngine
import XCTest

/// Gradients that Keras 3.15 (`tf.GradientTape`) and PyTorch 2.15 (autograd) computed, in Fixtures/framework_gradients
/// (specs in its specs.json.txt, run as ../shared/tools/make_framework_cases.py runs them, with random cotangents for
/// every result; `"convention": "tf"` runs Keras' layer with `zero_output_for_mask`, dynamic_rnn's rule): the loss is defined on
/// each framework's own results (`loss/outputs`, `loss/state/...`; PyTorch's `loss/output`, `loss/h_n`, `loss/c_n`)
/// and the weight gradients are named as the framework names its weights. Through the engine via the experiment
/// loader, 1e-5 for float32 and 1e-10 for float64, exactly the framework's arrays.
final class FrameworkGradientConformanceTests: XCTestCase {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/framework_gradients")
    }

    func testEveryFrameworkGradientCaseMatches() throws {
        let urls = try ConformanceCases.all(in: Self.directory)
        XCTAssertEqual(urls.count, 9)
        for want in ["tf_", "keras_", "torch_"] {
            XCTAssertTrue(urls.contains { $0.lastPathComponent.hasPrefix(want) }, "a \(want) case")
        }
        for url in urls {
            let expected = try Npz.read(url.deletingPathExtension().appendingPathExtension("npz"))
            XCTAssertTrue(expected.keys.contains { $0.hasPrefix("expected/grad/") }, "\(url.lastPathComponent) holds gradients")
        }
        try FrameworkConformanceTests.check(urls)
    }
}
