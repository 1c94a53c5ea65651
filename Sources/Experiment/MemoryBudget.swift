import Foundation
import RNNEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Refuses experiments whose arrays could not fit in memory, before anything is allocated.
public enum MemoryBudget {
    /// What bounds this process's memory, in bytes (`nil`: no such bound).
    public struct Limits: Equatable {
        /// The machine's physical memory.
        public var physical: Double
        /// The cgroup's `memory.max` (v2) or `memory.limit_in_bytes` (v1).
        public var cgroup: Double?
        /// `RLIMIT_AS` less the address space already mapped.
        public var addressSpace: Double?
        /// `RLIMIT_DATA` less the data segment already in use.
        public var data: Double?

        public init(physical: Double, cgroup: Double? = nil, addressSpace: Double? = nil, data: Double? = nil) {
            self.physical = physical
            self.cgroup = cgroup
            self.addressSpace = addressSpace
            self.data = data
        }

        /// Half of the least of the physical memory, the cgroup's limit and the room left under the rlimits: the
        /// other half is headroom for what the estimate leaves out (the run's working buffers, the runtime, and
        /// the address space an allocator maps beyond what it hands out).
        public var budget: Double { tightest / 2 }

        private var tightest: Double {
            ([physical] + [cgroup, addressSpace, data].compactMap { $0 }).map { max(0, $0) }.min() ?? 0
        }

        /// Which bound `budget` comes from, for messages.
        public var reason: String {
            let t = tightest
            if let a = addressSpace, a == t { return "half of the room left under the address-space limit, ulimit -v" }
            if let d = data, d == t { return "half of the room left under the data-segment limit, ulimit -d" }
            if let c = cgroup, c == t { return "half of the cgroup's memory limit" }
            return "half of this machine's memory"
        }
    }

    /// This process's limits, read now.
    public static var currentLimits: Limits {
        Limits(physical: Double(ProcessInfo.processInfo.physicalMemory), cgroup: cgroupLimit(),
               addressSpace: rlimitRoom(Int32(RLIMIT_AS.rawValue), used: statmPages(field: 0)),
               data: rlimitRoom(Int32(RLIMIT_DATA.rawValue), used: statmPages(field: 5)))
    }

    /// Bytes an experiment may use (see `Limits.budget`).
    public static var limit: Double { currentLimits.budget }

    /// `limit` as a whole number of bytes, for array readers.
    public static var byteLimit: Int { Int(min(limit, Double(Int.max / 2))) }

    /// What a command does with an experiment, for its estimate.
    public enum Work: Sendable, Equatable {
        /// `unroll run` (with the gradients when the experiment names a loss).
        case run
        /// `unroll shapes`: nothing is computed, so no gradients.
        case shapes
        /// `unroll convert`: the weights are rewritten into another framework's layout.
        case convert
    }

    /// An estimate of the bytes `spec` needs at its peak (weights, inputs, outputs and states, and the
    /// conversion buffer generated inputs pass through), in floating point so absurd sizes cannot overflow.
    /// Every copy of the weights a command makes is counted: a Keras or PyTorch file's weights are converted into
    /// the engine's layout (one more copy while converting); gradients need their own array per weight and the
    /// transposed kernels of the backward products (two); `convert` writes a neutral copy and the converted arrays
    /// (two).
    public static func estimate(_ spec: ExperimentSpec, inputShape: [Int]? = nil, work: Work = .run)
        -> (total: Double, parts: [(String, Double)]) {
        let width = Double(spec.dtype.byteWidth)
        let shape = inputShape.map { $0.map(Double.init) }
        let batch = shape.map { $0[spec.timeMajor ? 1 : 0] } ?? Double(spec.batchSize ?? 1)
        let time = shape.map { $0[spec.timeMajor ? 0 : 1] } ?? Double(spec.maxTime ?? 1)
        let depth = shape.map { $0[2] } ?? Double(spec.inputDepth ?? 1)
        let cells = spec.directions.map(spec.cell(for:))
        var weights = 0.0, outputs = 0.0, states = 0.0
        for c in cells {
            weights += c.estimatedParameters(inputDepth: depth)
            outputs += batch * time * Double(c.outputSize)
            states += batch * Double(c.stateSize.flattened.reduce(0, +))
        }
        let inputs = batch * time * depth
        // A backward direction runs on a reversed copy of the inputs.
        let inputCopies = spec.bidirectional ? 2.0 : 1.0
        var parts = [("weights", weights * width), ("inputs", inputCopies * inputs * width),
                     ("outputs", 2 * outputs * width), ("states", 4 * states * width)]
        if spec.convention != .tf, spec.weights != nil { parts.append(("weight layout conversion", weights * width)) }
        if work == .run, spec.loss != nil { parts.append(("gradients and transposed weights", 2 * weights * width)) }
        if work == .convert { parts.append(("converted weights", 2 * weights * width)) }
        return (parts.reduce(0) { $0 + $1.1 }, parts)
    }

    /// Throws an `ExperimentError` naming the size and what dominates it when the estimate (plus `extraBytes`
    /// of arrays read from files) exceeds `limits.budget`.
    public static func check(_ spec: ExperimentSpec, file: String, inputShape: [Int]? = nil, extraBytes: Double = 0,
                             work: Work = .run, limits: Limits = currentLimits) throws {
        var (total, parts) = estimate(spec, inputShape: inputShape, work: work)
        if extraBytes > 0 {
            parts.append(("arrays read from files", extraBytes))
            total += extraBytes
        }
        let budget = limits.budget
        guard total > budget else { return }
        let top = parts.max { $0.1 < $1.1 }.map { $0.0 } ?? "weights"
        let field = ["inputs", "outputs", "arrays read from files"].contains(top) ? "inputs" : "cell"
        throw ExperimentError(file: file, field: field,
            "this experiment would need about \(formatBytes(total)) (\(top): \(formatBytes(parts.first { $0.0 == top }?.1 ?? 0))), more than the \(formatBytes(budget)) allowed (\(limits.reason))")
    }

    // MARK: - Reading the limits

    /// The tightest cgroup memory limit of this process (v2 `memory.max`, v1 `memory.limit_in_bytes`).
    static func cgroupLimit(procCgroup: String = "/proc/self/cgroup", root: String = "/sys/fs/cgroup") -> Double? {
        guard let text = try? String(contentsOfFile: procCgroup, encoding: .utf8) else { return nil }
        var candidates: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                candidates += [root + path + "/memory.max", root + "/memory.max", root + "/unified" + path + "/memory.max"]
            } else if fields[1].split(separator: ",").contains("memory") {
                candidates += [root + "/memory" + path + "/memory.limit_in_bytes", root + "/memory/memory.limit_in_bytes"]
            }
        }
        let limits = candidates.compactMap { path -> Double? in
            guard let value = try? String(contentsOfFile: path, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), let bytes = Double(value) else { return nil }
            return bytes >= Double(1 << 60) ? nil : bytes  // "max" or v1's "unlimited" (a huge number).
        }
        return limits.min()
    }

    private static func rlimitRoom(_ resource: Int32, used: Double?) -> Double? {
        var limit = rlimit()
        #if canImport(Glibc)
        guard getrlimit(__rlimit_resource_t(UInt32(resource)), &limit) == 0 else { return nil }
        #else
        guard getrlimit(resource, &limit) == 0 else { return nil }
        #endif
        guard limit.rlim_cur < rlim_t(Int64.max) else { return nil }  // RLIM_INFINITY
        return Double(limit.rlim_cur) - (used ?? 0)
    }

    /// A field of `/proc/self/statm` (0: total program size, 5: data + stack), in bytes.
    private static func statmPages(field: Int) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard field < fields.count, let pages = Double(fields[field].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// Bytes in human units: `14.9 GB`.
public func formatBytes(_ bytes: Double) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
    var v = bytes, i = 0
    while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(Int(v)) B" : String(format: "%.1f %@", v, units[i])
}
