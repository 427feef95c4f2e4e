import Foundation

/// What a program run by a test did.
public struct ToolRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// True when the process ended by a signal (a crash), not an exit.
    public var crashed: Bool
    /// True when it was still running at the deadline (then killed).
    public var timedOut: Bool
}

/// Runs programs (qct, DCMTK's tools, Python, Chromium) as a user would, output to files so a
/// large output can never block the child.
public enum ToolRunner {
    public static func run(_ tool: String, _ args: [String], timeout: TimeInterval = 120) throws -> ToolRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let dir = try TestRepository.temporaryDirectory("qct-run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { usleep(5_000) }
        let timedOut = p.isRunning
        if timedOut { p.terminate() }
        p.waitUntilExit()
        try out.close()
        try err.close()
        return ToolRun(status: p.terminationStatus, stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                       stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self),
                       crashed: p.terminationReason == .uncaughtSignal, timedOut: timedOut)
    }

    /// Runs a command and waits for the process itself with waitpid: its exit status. For a command
    /// that leaves a daemon behind (pg_ctl starting a server), whose descriptors may outlive it.
    public static func spawnAndWait(_ argv: [String]) -> Int32 {
        var pid: pid_t = 0
        var cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        guard posix_spawn(&pid, argv[0], nil, nil, &cargs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return 0 }  // reaped by Foundation's own SIGCHLD handler: it ended
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    /// The release `qct` of this repository (`make test` builds it), if built.
    public static var releaseQCT: String? {
        let path = TestRepository.root.appendingPathComponent(".build/release/qct").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
