/// An in-memory `Terminal` for tests: scripted keys, a settable size and the last presented grid.
public final class MemoryTerminal: Terminal {
    /// Setting a different size queues a `.resize` key (after the keys already queued).
    public var size: (width: Int, height: Int) {
        didSet {
            if size != oldValue { pendingKeys.append(.resize) }
        }
    }
    public var capabilities: TerminalCapabilities
    /// Keys still to be returned by `nextKey`, first first.
    public private(set) var pendingKeys: [Key]
    /// The last grid passed to `present`.
    public private(set) var lastGrid: CellGrid?
    /// How many times `present` was called.
    public private(set) var presentCount = 0
    /// How many times `nextKey` was called.
    public private(set) var nextKeyCount = 0
    /// How many times `shutdown` was called.
    public private(set) var shutdownCount = 0

    public init(width: Int = 80, height: Int = 24,
                capabilities: TerminalCapabilities = TerminalCapabilities(colorMode: .palette256, unicode: true, mouse: true),
                keys: [Key] = []) {
        self.size = (max(0, width), max(0, height))
        self.capabilities = capabilities
        self.pendingKeys = keys
    }

    /// Queues keys.
    public func enqueue(_ keys: Key...) { pendingKeys.append(contentsOf: keys) }

    /// Queues keys.
    public func enqueue(_ keys: [Key]) { pendingKeys.append(contentsOf: keys) }

    /// Queues each character of `text` as `.char`.
    public func enqueue(text: String) { pendingKeys.append(contentsOf: text.map { Key.char($0) }) }

    /// Changes the size (queuing `.resize` if it differs).
    public func resize(width: Int, height: Int) { size = (max(0, width), max(0, height)) }

    public func present(_ grid: CellGrid) {
        lastGrid = grid
        presentCount += 1
    }

    /// The next queued key, or `nil` (as if the timeout expired) when none is left.
    public func nextKey(timeoutMilliseconds: Int) -> Key? {
        nextKeyCount += 1
        return pendingKeys.isEmpty ? nil : pendingKeys.removeFirst()
    }

    public func shutdown() { shutdownCount += 1 }

    /// The last presented grid's text (see `CellGrid.text`), "" before any present.
    public var screenText: String { lastGrid?.text ?? "" }
}
