import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process run to completion: wall time, peak resident memory (the kernel's own
/// accounting, `wait4`'s `ru_maxrss`) and exit status.
struct ChildRun {
    var seconds: Double
    var peakKB: Int
    var status: Int32
}

/// Runs `tool args` with standard output and error discarded (or standard output to `stdoutPath`),
/// under GNU time, which reports the child's peak (`%M`). Spawned from this process directly, the
/// kernel would count this process's own resident memory into the child's peak (posix_spawn shares
/// the address space until exec, and exec records its high-water mark).
func runChild(_ tool: String, _ args: [String], stdoutPath: String = "/dev/null", environment: [String: String] = [:]) -> ChildRun {
    let report = NSTemporaryDirectory() + "qct-bench-time-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    defer { try? FileManager.default.removeItem(atPath: report) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = (["/usr/bin/time", "-f", "%M", "-o", report, tool] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { envp.forEach { free($0) } }
    var pid: pid_t = 0
    let start = now()
    guard posix_spawn(&pid, "/usr/bin/time", &actions, nil, argv, envp) == 0 else { return ChildRun(seconds: .nan, peakKB: 0, status: -1) }
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    let elapsed = now() - start
    let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    let text = (try? String(contentsOfFile: report, encoding: .utf8)) ?? ""
    let peak = text.split(whereSeparator: \.isNewline).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.last ?? 0
    return ChildRun(seconds: elapsed, peakKB: peak, status: code)
}

/// Runs `tool args` to completion with standard output and error discarded and returns its wall
/// time in seconds, measured around `posix_spawn` and `waitpid` (NaN when it cannot start or fails).
/// Foundation's `Process.waitUntilExit` polls its run loop every 50 ms on Linux, which rounds a
/// peer's time up to the next tick; a floor such as `cat` must be timed exactly.
func timedSpawn(_ tool: String, _ args: [String]) -> Double {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([tool] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = now()
    guard posix_spawn(&pid, tool, &actions, nil, argv, environ) == 0 else { return .nan }
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    let elapsed = now() - start
    return status == 0 ? elapsed : .nan
}

/// The median of `values`.
func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Runs `a` and `b` alternately `runs` times (so drift in the machine's load falls on both) and
/// returns each one's runs.
func sideBySide(_ runs: Int, _ a: () -> ChildRun, _ b: () -> ChildRun) -> ([ChildRun], [ChildRun]) {
    var ra: [ChildRun] = [], rb: [ChildRun] = []
    for _ in 0..<runs {
        ra.append(a())
        rb.append(b())
    }
    return (ra, rb)
}

/// Megabytes.
func mb(_ kb: Int) -> Double { Double(kb) / 1024 }
