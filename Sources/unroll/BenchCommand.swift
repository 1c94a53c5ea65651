import ArgumentParser
import Foundation
import RNNEngine

/// `unroll bench ...`: times the engine's forward pass, with the same flags as `tf_bench.py`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the forward pass, or forward plus gradients (default weights, seeded inputs): median seconds per pass and GFLOP/s.")

    /// The kinds the bench times (each TF 1 cell with its own fused kernel), by their `CellKind` names.
    static let kinds: [CellKind] = [.basicRNN, .lstm, .gru]

    /// `basic_rnn, lstm or gru.`
    static let cellHelp = kinds.map(\.rawValue).dropLast().joined(separator: ", ") + " or " + (kinds.last?.rawValue ?? "") + "."

    @Option(help: ArgumentHelp(stringLiteral: Bench.cellHelp)) var cell: CellKind = .lstm
    @Option(help: "Units per layer.") var numUnits = 256
    @Option(help: "Layers (a MultiRNNCell when more than 1).") var layers = 1
    @Option(help: "Batch size.") var batchSize = 32
    @Option(help: "Time steps.") var maxTime = 100
    @Option(help: "Input depth.") var inputDepth = 128
    @Option(help: "The scalar type.") var dtype: DType = .float32
    @Option(help: "Timed passes (after 2 warm-up passes).") var repeats = 10
    @Option(help: "Threads for the matrix products (0: every core).") var threads = 0
    @Flag(help: "Print one JSON line.") var json = false
    @Flag(help: "Time the step-by-step path (UnrolledLoop.step per time step) instead of the fused one.") var stepPath = false
    @Option(help: "parallel_iterations: time steps whose input products run as one matrix product.") var parallelIterations = 32
    @Flag(help: "Time the forward pass plus the gradients of the sum of outputs with respect to the inputs and every weight (GFLOP/s then counts 3x the forward's products).")
    var backward = false

    func validate() throws {
        for (name, v) in [("--num-units", numUnits), ("--layers", layers), ("--batch-size", batchSize),
                          ("--max-time", maxTime), ("--input-depth", inputDepth), ("--repeats", repeats)] where v < 1 {
            throw ValidationError("\(name) must be at least 1, got \(v)")
        }
        guard parallelIterations >= 1 else { throw ValidationError("--parallel-iterations must be at least 1, got \(parallelIterations)") }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (every core) or more, got \(threads)") }
        guard !(backward && stepPath) else { throw ValidationError("--backward and --step-path cannot be combined (the backward pass has one path)") }
        // In Double, so no size product can overflow (2^61 units trapped on `numUnits * 4`); a configuration that
        // passes needs under half the memory in bytes, so every Int product the bench makes from it fits.
        let bytes = Double(batchSize) * Double(maxTime) * max(Double(inputDepth), Double(numUnits) * 4) * 8 * 3
            + Double(layers) * (Double(inputDepth) + Double(numUnits)) * Double(numUnits) * 4 * 8
        guard bytes < Double(ProcessInfo.processInfo.physicalMemory) / 2 else {
            throw fail("this configuration needs about \(String(format: "%.0f", (bytes / 1e9).rounded(.down))) GB, more than half of this machine's memory")
        }
    }

    func run() throws {
        Kernels.threads = threads
        let seconds = try time(dtype.scalarType)
        let gates = cell.descriptor.blockCount
        var flop = 0.0, depth = Double(inputDepth)
        for _ in 0..<layers {
            flop += 2 * Double(batchSize) * (depth + Double(numUnits)) * Double(gates * numUnits)
            depth = Double(numUnits)
        }
        flop *= Double(maxTime) * (backward ? 3 : 1)
        let gflops = flop / seconds / 1e9
        if json {
            let fields: [String] = [
                "\"engine\": \"unroll\"", "\"kernel\": \"\(Kernels.name)\"", "\"threads\": \(Kernels.threads)",
                "\"cell\": \"\(cell.rawValue)\"", "\"num_units\": \(numUnits)", "\"layers\": \(layers)",
                "\"batch_size\": \(batchSize)", "\"max_time\": \(maxTime)", "\"input_depth\": \(inputDepth)",
                "\"dtype\": \"\(dtype.rawValue)\"", "\"backward\": \(backward)", "\"path\": \"\(stepPath ? "step" : "fused")\"", "\"seconds\": \(seconds)", "\"gflops\": \(gflops)",
            ]
            print("{" + fields.joined(separator: ", ") + "}")
        } else {
            print("\(cell.rawValue) units=\(numUnits) layers=\(layers) batch=\(batchSize) time=\(maxTime) depth=\(inputDepth) \(dtype.rawValue)"
                  + (backward ? " forward+backward" : ""))
            print(String(format: "%.6f s per pass (median of %d), %.2f GFLOP/s, kernel %@, %d thread(s)",
                         seconds, repeats, gflops, Kernels.name, Kernels.threads))
        }
    }

    private func time<Scalar: RNNScalar>(_: Scalar.Type) throws -> Double {
        let store = VariableStore<Scalar>(missing: .initialize(seed: 1))
        let one = CellSpec.layer(CellLayer.defaults(cell, numUnits: numUnits, activation: .tanh, convention: .tf))
        let spec: CellSpec = layers == 1 ? one : .multi(Array(repeating: one, count: layers))
        let rnnCell = try spec.makeCell(store: store)
        var rng = SplitMix64(seed: 0)
        let inputs = try Tensor<Scalar>(shape: [batchSize, maxTime, inputDepth],
                                        scalars: (0..<(batchSize * maxTime * inputDepth)).map { _ in Scalar(rng.nextUniform() * 2 - 1) })
        let loop = try UnrolledLoop(cell: rnnCell, inputs: .leaf(inputs), sequenceLength: nil, initialState: nil,
                                    dtype: Scalar.dtype, timeMajor: false, scope: "rnn")
        loop.parallelIterations = parallelIterations
        loop.allowsFastPath = !stepPath
        // One pass: the forward alone, or forward and gradients of sum(outputs) w.r.t. inputs and every weight.
        let pass: () throws -> Void = backward ? { _ = try gradients(of: loop, loss: .sumOfOutputs) } : { _ = try loop.run() }
        for _ in 0..<2 { try pass() }
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try pass()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }
}

/// `--cell`: one of the kinds `Bench.kinds` lists.
extension CellKind: ExpressibleByArgument {
    public init?(argument: String) {
        guard let kind = CellKind(rawValue: argument), Bench.kinds.contains(kind) else { return nil }
        self = kind
    }

    public static var allValueStrings: [String] { Bench.kinds.map(\.rawValue) }
}
