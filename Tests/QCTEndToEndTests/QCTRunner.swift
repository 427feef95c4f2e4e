import Foundation
import XCTest

/// Runs the built `qct` binary as a user would.
struct QCTRun {
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the process ended by a signal (a crash), not an exit.
    var crashed: Bool
}

/// A small deterministic generator for randomised set-ups (LCG, Knuth's MMIX constants).
struct TestRandom {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53)
    }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * next() }
}

enum QCTRunner {
    /// The release `qct` (`make test` builds it): the tests that simulate many scans need its speed.
    static func releaseQCT() throws -> String {
        let path = SimulateCommandTests.repo.appendingPathComponent(".build/release/qct").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            XCTFail("release build missing at \(path): run `make test` (it builds it)")
            throw CocoaError(.fileNoSuchFile)
        }
        return path
    }

    static func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// The products folder holding both the test bundle and `qct`.
    static var productsDirectory: URL {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        var dir = exe.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("qct").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    static func run(_ args: [String], timeout: TimeInterval = 120) throws -> QCTRun {
        try runTool(productsDirectory.appendingPathComponent("qct").path, args, timeout: timeout)
    }

    static func runTool(_ tool: String, _ args: [String], timeout: TimeInterval = 120) throws -> QCTRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        // Output goes to files so a large output can never block the child.
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { usleep(5_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("\(tool) \(args.joined(separator: " ")) hung for \(timeout) s")
        }
        p.waitUntilExit()
        try out.close()
        try err.close()
        let outData = try Data(contentsOf: outURL), errData = try Data(contentsOf: errURL)
        return QCTRun(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self),
                      crashed: p.terminationReason == .uncaughtSignal)
    }

    static var fixtures: URL {
        if let env = ProcessInfo.processInfo.environment["QCT_FIXTURES"] { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".fixtures")
    }

    static var python: String { fixtures.appendingPathComponent("venv/bin/python").path }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qct-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
