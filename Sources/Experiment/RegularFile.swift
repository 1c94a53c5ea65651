import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for reading only after `stat` shows it is a regular file: a FIFO, device, socket or
/// directory is refused at once (opening a FIFO would block forever, reading `/dev/zero` would never end).
final class RegularFile {
    /// Why a path could not be opened, in words (e.g. "is a FIFO (named pipe), not a regular file").
    struct Problem: Error { let description: String }

    let descriptor: Int32
    /// The file's size in bytes when it was opened.
    let size: Int

    /// Opens `path` (symbolic links are followed, as `stat` does) for reading.
    init(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Problem(description: RegularFile.describe(errno: errno)) }
        if let problem = RegularFile.notRegular(info.st_mode) { throw Problem(description: problem) }
        // O_NONBLOCK: should the path be swapped for a FIFO after the check, opening it still cannot block.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw Problem(description: RegularFile.describe(errno: errno)) }
        var opened = stat()
        guard fstat(fd, &opened) == 0 else {
            let problem = RegularFile.describe(errno: errno)
            close(fd)
            throw Problem(description: problem)
        }
        if let problem = RegularFile.notRegular(opened.st_mode) {
            close(fd)
            throw Problem(description: problem)
        }
        descriptor = fd
        size = Int(opened.st_size)
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes from `offset` (fewer only at the end of the file).
    func read(at offset: Int, count: Int) throws -> Data {
        guard count > 0 else { return Data() }
        var data = Data(count: count)
        var filled = 0
        try data.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while filled < count {
                let n = pread(descriptor, base + filled, count - filled, off_t(offset + filled))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Problem(description: "cannot read the file (\(String(cString: strerror(errno))))")
                }
                if n == 0 { break }
                filled += n
            }
        }
        data.count = filled
        return data
    }

    /// The whole file, refused when it is larger than `limit` bytes.
    func readAll(limit: Int) throws -> Data {
        guard size <= limit else {
            throw Problem(description: "the file is \(formatBytes(Double(size))), more than the \(formatBytes(Double(limit))) allowed")
        }
        return try read(at: 0, count: size)
    }

    private static func notRegular(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "is a directory, not a file"
        case S_IFIFO: return "is a FIFO (named pipe), not a regular file"
        case S_IFCHR, S_IFBLK: return "is a device, not a regular file"
        case S_IFSOCK: return "is a socket, not a regular file"
        default: return "is not a regular file"
        }
    }

    private static func describe(errno code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case ENOTDIR: return "no such file (a part of the path is not a directory)"
        case EACCES: return "permission denied"
        case ENAMETOOLONG: return "the path is too long"
        default: return "cannot open the file (\(String(cString: strerror(code))))"
        }
    }
}
