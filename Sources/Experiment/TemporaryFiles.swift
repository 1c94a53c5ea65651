import Foundation

/// The temporary files being written (`Npz.write`'s, `unroll convert`'s), so that a command stopped by SIGINT or
/// SIGTERM removes them: `removeOnInterrupt()` installs handlers that `unlink` every registered path, then put back
/// the default action and re-raise the signal, so the process still ends as that signal says.
///
/// The handler only reads a fixed table of C strings (allocated before any handler can run) and calls `unlink`,
/// `signal` and `raise`, all async-signal-safe. Paths are copied outside the handler and never freed: a handler
/// running on another thread may have read a slot's pointer just before `unregister` cleared it, so an
/// unregistered copy is kept (reachable, a few hundred bytes per write) rather than freed under its feet. The
/// explorer's own terminate handler calls `removeRegistered` too (its exports write temporaries).
public enum TemporaryFiles {
    private static let capacity = 64
    private static let lock = NSLock()
    /// Copies no longer registered, kept alive for a handler that may still be reading one (see above).
    private static var retired: [UnsafeMutablePointer<CChar>] = []
    // One allocation made once and never freed: the handler reads it at any time.
    private static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        table.initialize(repeating: nil, count: capacity)
        return table
    }()

    /// Registers `path` (a temporary about to be created); returns the slot to pass to `unregister`, or nil when
    /// the table is full (the file is then only removed on ordinary failures).
    public static func register(_ path: String) -> Int? {
        guard let copy = strdup(path) else { return nil }
        lock.lock()
        defer { lock.unlock() }
        for slot in 0..<capacity where slots[slot] == nil {
            slots[slot] = copy
            return slot
        }
        free(copy)
        return nil
    }

    /// Forgets a registered path (once it is renamed into place or removed).
    public static func unregister(_ slot: Int?) {
        guard let slot else { return }
        lock.lock()
        defer { lock.unlock() }
        if let copy = slots[slot] { retired.append(copy) }
        slots[slot] = nil
    }

    /// Unlinks every registered temporary: async-signal-safe (reads the fixed table, calls `unlink`), for signal
    /// handlers. `prepare()` must have run before any handler can call it.
    public static func removeRegistered() {
        for slot in 0..<capacity {
            if let path = slots[slot] { unlink(path) }
        }
    }

    /// Makes the table now, so that no handler is the first to touch it.
    public static func prepare() {
        _ = slots
    }

    /// Installs the SIGINT and SIGTERM handlers that remove every registered temporary and re-raise the signal.
    /// For headless commands only: the explorer has its own handlers, which restore the terminal.
    public static func removeOnInterrupt() {
        prepare() // made now, never inside the handler
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { sig in
                TemporaryFiles.removeRegistered()
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }
}
