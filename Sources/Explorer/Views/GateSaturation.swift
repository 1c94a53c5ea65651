import RNNEngine

/// How often each sigmoid gate of one layer is saturated, per unit, over the steps and rows the cell ran
/// unmasked (Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent Networks", 2015): the
/// fraction below 0.1 (left-saturated) and above 0.9 (right-saturated). Units that sit at one end act as
/// switches or memories. Counted from the engine's recorded gates; nothing is recomputed here.
public struct GateSaturation: Equatable, Sendable {
    public static let low = 0.1
    public static let high = 0.9

    /// Gate names (`i`, `f`, `o` / `r`, `u`) and, per gate, per unit, the fractions.
    public var gates: [String]
    public var left: [[Double]]
    public var right: [[Double]]
    /// Steps counted, and (row, step) samples per unit.
    public var steps: Range<Int>
    public var samples: Int

    /// Counts over `frames` for `layer`, skipping masked rows and steps where no cell ran.
    static func count(frames: [FrameData], layer: Int, gates: [String], units: Int) -> (left: [[Int]], right: [[Int]], samples: Int) {
        var left = Array(repeating: Array(repeating: 0, count: units), count: gates.count)
        var right = left
        var samples = 0
        for f in frames where f.ran {
            guard let ld = f.layer(layer) else { continue }
            for b in 0..<f.masked.count where !f.isMasked(b) {
                samples += 1
                for (g, gate) in gates.enumerated() {
                    guard let row = ld.row(.gate(gate), b) else { continue }
                    for k in 0..<min(units, row.count) {
                        if row[k] < low { left[g][k] += 1 } else if row[k] > high { right[g][k] += 1 }
                    }
                }
            }
        }
        return (left, right, samples)
    }
}
