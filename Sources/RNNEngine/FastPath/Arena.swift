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
            blocks[next] = (UnsafeMutablePointer<Scalar>.allocate(capacity: n), n)
            return blocks[next].pointer
        }
        blocks.append((UnsafeMutablePointer<Scalar>.allocate(capacity: n), n))
        return blocks[next].pointer
    }

    deinit { for b in blocks { b.pointer.deallocate() } }
}
