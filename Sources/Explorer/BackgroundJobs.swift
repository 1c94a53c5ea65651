import Foundation

// The one way the explorer runs background work (bubbletea's commands and messages are the model): a `Job`
// computes off the update loop and posts `JobMessage`s to a `Mailbox`; the loop takes them on its ticks and
// applies them in `ExplorerApp.update`. Nothing else in the explorer starts a thread, sleeps or polls a counter.
// Time, for playback and the idle ticks, comes from an injected `ExplorerClock`.

// MARK: - The clock

/// The time the update loop reads: playback's pace and the budget for filling a window of frames. Injected,
/// so tests advance a `ManualClock` instead of sleeping.
public protocol ExplorerClock: AnyObject {
    /// Seconds since an arbitrary origin; never goes back.
    var now: TimeInterval { get }
}

/// The system's monotonic clock.
public final class SystemClock: ExplorerClock {
    public init() {}
    public var now: TimeInterval { ProcessInfo.processInfo.systemUptime }
}

/// A clock that moves only when told to (tests). Read and advanced on the update loop's thread.
public final class ManualClock: ExplorerClock {
    public private(set) var now: TimeInterval
    public init(now: TimeInterval = 0) { self.now = now }
    /// Moves the time on by `seconds` (never back).
    public func advance(by seconds: TimeInterval) { now += max(0, seconds) }
}

// MARK: - Messages

/// What a background job tells the update loop. Jobs post them from their threads; `ExplorerApp.update`
/// applies them on the loop's thread, in the order they were posted.
enum JobMessage {
    /// A pass moved on (a forward step or chunk, a sweep's segment): the screen shows its progress.
    case progress
    /// A forward pass ended: complete, stopped or failed (its session says which). A sweep waiting for it can start.
    case forwardDone
    /// A gradient sweep ended (complete, stopped or failed: its source says which).
    case sweepDone
    /// A comparison ended with the engine's outcome or its refusal.
    case compared(ComparisonRun, Result<ComparisonRun.Outcome, BackwardRefusal>)
    /// The experiment opened by open request `request` is loaded, or why it could not be.
    case opened(request: Int, Result<ExplorerModel, Error>)
    /// The experiment to show beside the first (`O`) is loaded, or why it could not be.
    case openedBeside(path: String, Result<ExplorerModel, Error>)
}

/// The queue between background jobs and the update loop. `progress` is queued at most once until taken (jobs
/// post it at every step). It also counts the jobs still running, so a test can wait until all is done.
public final class Mailbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [JobMessage] = []
    private var progressQueued = false
    private var running = 0

    /// An empty mailbox with no job running.
    public init() {}

    /// Queues `message` (from any thread).
    func post(_ message: JobMessage) {
        condition.lock()
        defer { condition.unlock() }
        if case .progress = message {
            if progressQueued { return }
            progressQueued = true
        }
        queue.append(message)
        condition.broadcast()
    }

    /// Every message queued so far, oldest first; the queue is empty afterwards.
    func take() -> [JobMessage] {
        condition.lock()
        defer { condition.unlock() }
        let out = queue
        queue = []
        progressQueued = false
        return out
    }

    /// No job is running and no message is waiting.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return running == 0 && queue.isEmpty
    }

    /// Blocks until a message is queued or no job runs (tests, whose clock stands still); false once `deadline`
    /// has passed first.
    func waitForMessage(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && running > 0 {
            if !condition.wait(until: deadline) { return !queue.isEmpty || running == 0 }
        }
        return true
    }

    /// Blocks until no job runs, their messages left queued (tests); false once `deadline` has passed first.
    func waitUntilNoJobRuns(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while running > 0 {
            if !condition.wait(until: deadline) { return running == 0 }
        }
        return true
    }

    fileprivate func jobStarted() {
        condition.lock()
        running += 1
        condition.unlock()
    }

    fileprivate func jobEnded() {
        condition.lock()
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}

// MARK: - Jobs

/// One piece of background work: `body` runs on its own thread (with room for deep engine stacks), posts what it
/// learns with `post`, and polls `isCancelled` between steps. The engine's runs compute and count their steps
/// themselves; a job is how the explorer waits for them and learns of them.
final class Job: @unchecked Sendable {
    private let mailbox: Mailbox
    private let condition = NSCondition()
    private var cancelled = false
    private var ended = false

    private init(mailbox: Mailbox) { self.mailbox = mailbox }

    /// Starts `body` on a new thread; its messages go to `mailbox`.
    @discardableResult
    static func start(posting mailbox: Mailbox, _ body: @escaping @Sendable (Job) -> Void) -> Job {
        let job = Job(mailbox: mailbox)
        mailbox.jobStarted()
        let thread = Thread {
            body(job)
            job.end()
        }
        thread.stackSize = 16 << 20
        thread.qualityOfService = .userInitiated
        thread.start()
        return job
    }

    /// Posts `message` to the update loop.
    func post(_ message: JobMessage) { mailbox.post(message) }

    /// Whether `cancel` was called (the body stops at its next check).
    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Asks the body to stop between two steps.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.unlock()
    }

    /// Blocks until the body has returned (tests, and callers that need the whole result); false after `timeout`.
    func wait(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !ended {
            if !condition.wait(until: deadline) { return ended }
        }
        return true
    }

    /// The mailbox counts the job out first, so whoever `wait`ed finds it idle.
    private func end() {
        mailbox.jobEnded()
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }
}
