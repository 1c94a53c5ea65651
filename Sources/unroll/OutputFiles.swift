import Experiment
import Foundation

/// A file's identity, symbolic links followed: its device and inode, and whether it is a regular file.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64
    let isRegular: Bool

    /// The identity of the file at `path`, or nil when nothing is there (a dangling link included).
    init?(_ path: String) {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        device = UInt64(s.st_dev)
        inode = UInt64(s.st_ino)
        isRegular = (s.st_mode & S_IFMT) == S_IFREG
    }
}

/// Why the command must not write `out`, found before anything is read, or nil: a name that exists and is not a
/// regular file (a device, a FIFO, a socket, a `/proc/self/fd/1`-style link) would be replaced by a regular file
/// when the written temporary is renamed over it, so it is refused.
func nonRegularOutputProblem(_ out: URL) -> String? {
    guard let identity = FileIdentity(out.path), !identity.isRegular else { return nil }
    return "is not a regular file (a device, FIFO or socket); give a file name"
}

/// Throws `fail(...)` (one error line, exit 1) when one of `outputs` is the experiment file or an archive it names
/// (the same device and inode, so a symbolic link or another spelling of an input is the same input): writing it
/// would replace the input. An experiment that cannot be read is left to the command, which reports it.
/// `opened` is the file as opened with the command line's inputs (`ModelFiles.open`), when it has been.
func refuseOutputsThatAreInputs(experiment: String, opened: ModelFiles.Opened? = nil, outputs: [URL]) throws {
    let url = URL(fileURLWithPath: experiment)
    var inputs = [url]
    if let opened {
        inputs += opened.spec.archiveURLs(relativeTo: opened.baseDirectory)
    } else if let spec = try? ExperimentLoader.readSpec(url, displayName: experiment) {
        inputs += spec.archiveURLs(relativeTo: url.deletingLastPathComponent())
    }
    let identities = inputs.compactMap { input in FileIdentity(input.path).map { (input, $0) } }
    for out in outputs {
        guard let target = FileIdentity(out.path) else { continue }
        if let (input, _) = identities.first(where: { $0.1 == target }) {
            throw fail("\(out.path): --output: would replace the experiment's input \(input.path); give another name")
        }
    }
}
