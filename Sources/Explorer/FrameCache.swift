import RNNEngine

/// Recently shown frames of one session generation and direction, by step, within a memory budget; the least
/// recently used go first.
struct FrameCache {
    var generation = -1
    var direction: Direction?
    private(set) var frames: [Int: FrameData] = [:]
    /// Steps from least to most recently used.
    private var order: [Int] = []
    /// Bytes the cache may hold (the frames on screen are always kept).
    let budget: Int
    static let defaultBudget = 64 << 20

    init(generation: Int = -1, direction: Direction? = nil, budget: Int = FrameCache.defaultBudget) {
        self.generation = generation
        self.direction = direction
        self.budget = budget
    }

    var count: Int { frames.count }

    mutating func insert(_ f: FrameData) {
        if frames[f.time] == nil { order.append(f.time) }
        frames[f.time] = f
    }

    /// Marks `range` as just used and evicts the least recently used frames beyond the budget.
    mutating func keep(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        order.removeAll { range.contains($0) }
        order.append(contentsOf: range.filter { frames[$0] != nil })
        guard let sample = frames[range.lowerBound] ?? frames.values.first else { return }
        let capacity = max(range.count, budget / max(1, sample.approximateBytes))
        while order.count > capacity, let oldest = order.first {
            order.removeFirst()
            frames[oldest] = nil
        }
    }
}
