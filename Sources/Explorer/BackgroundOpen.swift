import Foundation

/// An experiment being opened on a background thread (loading may take seconds: large weights, long inputs),
/// so the screen stays responsive; the app polls `result` on its ticks.
final class BackgroundOpen: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var outcome: Result<ExplorerModel, Error>?

    init(path: String) { self.path = path }

    /// Starts loading `path`.
    func start() {
        let thread = Thread { [self] in
            let r = Result { try ExplorerModel.load(path: path) }
            lock.withLock { outcome = r }
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// The loaded model or the error, once done.
    var result: Result<ExplorerModel, Error>? { lock.withLock { outcome } }
}
