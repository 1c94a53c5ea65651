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
        let cells = spec.bidirectional ? [spec.cell, spec.cellBackward ?? spec.cell] : [spec.cell]
        var weights = 0.0, outputs = 0.0, states = 0.0
        for c in cells {
            weights += parameters(c, inputDepth: depth)
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

    /// Parameters of a cell spec, in floating point (no overflow for absurd sizes).
    static func parameters(_ spec: CellSpec, inputDepth d: Double) -> Double {
        switch spec {
        case let .basicRNN(n, _): let u = Double(n); return (d + u) * u + u
        case let .basicLSTM(n, _, _): let u = Double(n); return (d + u) * 4 * u + 4 * u
        case let .lstm(n, o):
            let u = Double(n), h = Double(o.numProj ?? n)
            return (d + h) * 4 * u + 4 * u + 3 * u + (o.numProj.map { Double($0) * u } ?? 0)
        case let .gru(n, _): let u = Double(n); return (d + u) * 3 * u + 3 * u
        case let .multi(cells):
            var depth = d, total = 0.0
            for c in cells { total += parameters(c, inputDepth: depth); depth = Double(c.outputSize) }
            return total
        case let .residual(c), let .dropout(c, _): return parameters(c, inputDepth: d)
        }
    }
}

/// Bytes in human units: `14.9 GB`.
public func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    var v = bytes, i = 0
    while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(Int(v)) B" : String(format: "%.1f %@", v, units[i])
}
