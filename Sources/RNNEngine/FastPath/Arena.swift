/// The raw working buffers of a fused run. A run asks for its buffers in the same order every time, so
/// a loop keeps its arena between runs and later runs reuse the memory (no fresh pages to fault in).
final class Arena<Scalar> {
    private var blocks: [(pointer: UnsafeMutablePointer<Scalar>, capacity: Int)] = []
    private var next = 0
    /// Scalars requested since the last `reset()`.
    private(set) var total = 0

    /// Starts a run: the next `make` calls hand out the same blocks again.
    func reset() {
        next = 0
        total = 0
    }

    func make(_ count: Int) -> UnsafeMutablePointer<Scalar> {
        let n = max(1, count)
        total += n
        defer { next += 1 }
        if next < blocks.count {
            if blocks[next].capacity >= n { return blocks[next].pointer }
            blocks[next].pointer.deallocate()
            blocks[next] = (Self.allocate(n), n)
            return blocks[next].pointer
        }
        blocks.append((Self.allocate(n), n))
        return blocks[next].pointer
    }

    /// `count` scalars on a cache line's boundary: every block's rows then start at the same offset within a
    /// line, whichever block a layer's chunk works in (a block that started mid-line made every vector load of
    /// its rows straddle two lines, and one lane measurably slower than another).
    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Scalar> {
        UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Scalar>.stride, alignment: 64)
            .bindMemory(to: Scalar.self, capacity: count)
    }

    deinit { for b in blocks { b.pointer.deallocate() } }
}
