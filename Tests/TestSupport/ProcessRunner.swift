import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and reports its exit, its output, the wall time and its peak resident memory: the one way the
/// tests start processes.
///
/// `posix_spawn` with the output in files, polled with `wait4(WNOHANG)`: a tmux server started by `new-session`
/// daemonizes and keeps inherited descriptors, which makes pipe- or Foundation-`Process`-based waiting hang. The
/// peak memory is the `VmHWM` of /proc/<pid>/status, polled while the process runs (`wait4`'s `ru_maxrss` would
/// count the test process's own memory, inherited at spawn time).
public enum ProcessRunner {
    public struct Result {
        /// The exit status, or nil when a signal ended the process.
        public let status: Int32?
        /// The signal that ended the process, or nil when it exited.
        public let signal: Int32?
        public let stdout: String
        public let stderr: String
        public let seconds: Double
        public let peakMegabytes: Double
        /// Whether the timeout passed and the process was killed.
        public let timedOut: Bool
    }

    /// Runs `argv` (`argv[0]` looked up on PATH when it has no slash) with stdin from /dev/null.
    /// - Parameters:
    ///   - environment: the whole environment of the process (default: this process's).
    ///   - addressSpaceKB: an address-space limit (`ulimit -v`): a shell sets it and replaces itself with the
    ///     program, so the measured process is the program.
    ///   - timeout: seconds after which the process is killed (`timedOut`); nil waits for ever.
    public static func run(_ argv: [String], environment: [String: String]? = nil, addressSpaceKB: Int? = nil,
                           timeout: Double? = nil) throws -> Result {
        precondition(!argv.isEmpty, "test bug: nothing to run")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("unroll-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("stdout").path
        let errPath = directory.appendingPathComponent("stderr").path
        let command = addressSpaceKB.map { ["/bin/sh", "-c", "ulimit -v \($0) && exec \"$0\" \"$@\""] + argv } ?? argv
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let cArguments = command.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let cEnvironment = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { cEnvironment?.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        let spawned = cEnvironment.map { posix_spawnp(&pid, command[0], &actions, nil, cArguments, $0) }
            ?? posix_spawnp(&pid, command[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw NSError(domain: "ProcessRunner", code: Int(spawned), userInfo: [NSLocalizedDescriptionKey: "cannot run \(command[0])"])
        }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        var peakKB = 0
        while true {
            peakKB = max(peakKB, highWaterKB(of: pid))
            let done = wait4(pid, &status, WNOHANG, &usage)
            if done == pid { break }
            if done < 0 && errno != EINTR { throw NSError(domain: "ProcessRunner", code: Int(errno)) }
            if let timeout, Date().timeIntervalSince(start) > timeout, !timedOut {
                timedOut = true
                kill(pid, SIGKILL)
            }
            usleep(2_000)
        }
        let seconds = Date().timeIntervalSince(start)
        let signal = status & 0x7f
        return Result(status: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal,
                      stdout: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(), as: UTF8.self),
                      stderr: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self),
                      seconds: seconds, peakMegabytes: Double(peakKB) / 1024, timedOut: timedOut)
    }

    /// The resident-memory high-water mark of process `pid` in KB (0 once it has exited).
    private static func highWaterKB(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
