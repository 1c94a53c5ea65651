import CRNNKernels

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
            freeLargeArray(blocks[next].pointer)
            blocks[next] = (largeArray(n), n)
            return blocks[next].pointer
        }
        blocks.append((largeArray(n), n))
        return blocks[next].pointer
    }

    deinit { for b in blocks { freeLargeArray(b.pointer) } }
}

/// `count` scalars for a large working array that lives long or is reused (a fused run's buffers, a gradient
/// run's tapes): from `rk_alloc`, on a cache line's boundary (every block's rows start at the same offset
/// within a line) and, from 2 MiB on, on huge pages where the system gives them. Released with `freeLargeArray`.
func largeArray<Scalar>(_ count: Int) -> UnsafeMutablePointer<Scalar> {
    let bytes = max(1, count) * MemoryLayout<Scalar>.stride
    guard let raw = rk_alloc(bytes) else { preconditionFailure("out of memory for \(bytes) bytes of working arrays") }
    return raw.bindMemory(to: Scalar.self, capacity: max(1, count))
}

func freeLargeArray<Scalar>(_ p: UnsafeMutablePointer<Scalar>) { rk_free(UnsafeMutableRawPointer(p)) }
