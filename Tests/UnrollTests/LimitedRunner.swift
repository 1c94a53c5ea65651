import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `unroll` under an address-space limit (`ulimit -v`), killing it after a timeout, and reports
/// its exit, its output, the wall time and its own peak resident memory: the `VmHWM` of /proc/<pid>/status,
/// polled while it runs (`wait4`'s `ru_maxrss` would count the test process's own memory, inherited at
/// spawn time).
enum LimitedRunner {
    struct Result {
        /// The exit status, or nil when a signal ended the process.
        let status: Int32?
        let signal: Int32?
        let stdout: String
        let stderr: String
        let seconds: Double
        let peakMegabytes: Double
        let timedOut: Bool
    }

    static func run(_ arguments: [String], addressSpaceKB: Int = 4 * 1024 * 1024, timeout: Double = 30) throws -> Result {
        let directory = try BinaryRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("stdout").path
        let errPath = directory.appendingPathComponent("stderr").path
        // The shell sets the limit and replaces itself with unroll (same process, so wait4 measures unroll).
        let argv = ["/bin/sh", "-c", "ulimit -v \(addressSpaceKB) && exec \"$0\" \"$@\"",
                    BinaryRunner.executable.path] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &cArguments, environ)
        guard spawned == 0 else { throw NSError(domain: "LimitedRunner", code: Int(spawned)) }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        var peakKB = 0
        while true {
            peakKB = max(peakKB, highWaterKB(of: pid))
            let done = wait4(pid, &status, WNOHANG, &usage)
            if done == pid { break }
            if done < 0 && errno != EINTR { throw NSError(domain: "LimitedRunner", code: Int(errno)) }
            if Date().timeIntervalSince(start) > timeout && !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(2_000)
        }
        let seconds = Date().timeIntervalSince(start)
        let signal = status & 0x7f
        return Result(status: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                      seconds: seconds, peakMegabytes: Double(peakKB) / 1024, timedOut: timedOut)
    }

    /// The resident-memory high-water mark of process `pid` in KB (0 once it has exited).
    private static func highWaterKB(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
