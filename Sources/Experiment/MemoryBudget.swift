import Foundation
import RNNEngine

/// Refuses experiments whose arrays could not fit in memory, before anything is allocated.
public enum MemoryBudget {
    /// Bytes an experiment may use: half of this machine's physical memory.
    public static var limit: Double { Double(ProcessInfo.processInfo.physicalMemory) / 2 }

    /// An estimate of the bytes `spec` needs (weights, inputs, outputs and states), computed in floating point
    /// so absurd sizes cannot overflow.
    public static func estimate(_ spec: ExperimentSpec, inputShape: [Int]? = nil) -> (total: Double, parts: [(String, Double)]) {
        let width = Double(spec.dtype.byteWidth)
        let shape = inputShape.map { $0.map(Double.init) }
        let batch = shape.map { $0[spec.timeMajor ? 1 : 0] } ?? Double(spec.batchSize ?? 1)
        let time = shape.map { $0[spec.timeMajor ? 0 : 1] } ?? Double(spec.maxTime ?? 1)
        let depth = shape.map { $0[2] } ?? Double(spec.inputDepth ?? 1)
        let cells = spec.directions.map(spec.cell(for:))
        var weights = 0.0, outputs = 0.0, states = 0.0
        for c in cells {
            weights += c.estimatedParameters(inputDepth: depth)
            outputs += batch * time * Double(c.outputSize)
            states += batch * Double(c.stateSize.flattened.reduce(0, +))
        }
        let inputs = batch * time * depth
        let parts = [("weights", weights * width), ("inputs", inputs * width), ("outputs", 2 * outputs * width),
                     ("states", 4 * states * width)]
        return (parts.reduce(0) { $0 + $1.1 }, parts)
    }

    /// Throws an `ExperimentError` naming the size and what dominates it when the estimate exceeds `limit`.
    public static func check(_ spec: ExperimentSpec, file: String, inputShape: [Int]? = nil) throws {
        let (total, parts) = estimate(spec, inputShape: inputShape)
        guard total > limit else { return }
        let top = parts.max { $0.1 < $1.1 }.map { $0.0 } ?? "weights"
        let field = top == "weights" || top == "states" ? "cell" : "inputs"
        throw ExperimentError(file: file, field: field,
            "this experiment would need about \(formatBytes(total)) (\(top): \(formatBytes(parts.first { $0.0 == top }?.1 ?? 0))), more than the \(formatBytes(limit)) allowed (half of this machine's memory)")
    }
}

/// Bytes in human units: `14.9 GB`.
public func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    var v = bytes, i = 0
    while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(Int(v)) B" : String(format: "%.1f %@", v, units[i])
}
