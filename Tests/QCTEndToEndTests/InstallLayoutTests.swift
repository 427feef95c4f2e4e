import Foundation
import XCTest

/// qct found through PATH, as `make install` lays it out: bin/qct (here a symlink on PATH to it),
/// share/qct/Phantoms beside it, run from a folder that has no Phantoms of its own.
final class InstallLayoutTests: XCTestCase {
    /// Runs `command` through a shell in `directory` with `bin` first on PATH and no QCT_PHANTOMS.
    func shell(_ command: String, in directory: URL, path bin: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        env["QCT_PHANTOMS"] = nil
        env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testInstalledCopyOnPathFindsItsPhantoms() throws {
        let qct = try QCTRunner.releaseQCT()
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let prefix = root.appendingPathComponent("prefix"), onPath = root.appendingPathComponent("home-bin")
        let elsewhere = root.appendingPathComponent("work")
        for d in [prefix.appendingPathComponent("bin"), prefix.appendingPathComponent("share/qct"), onPath, elsewhere] {
            try fm.createDirectory(at: d, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: qct, toPath: prefix.appendingPathComponent("bin/qct").path)
        try fm.copyItem(at: SimulateCommandTests.repo.appendingPathComponent("Phantoms"),
                        to: prefix.appendingPathComponent("share/qct/Phantoms"))
        try fm.createSymbolicLink(atPath: onPath.appendingPathComponent("qct").path,
                                  withDestinationPath: prefix.appendingPathComponent("bin/qct").path)

        let listed = try shell("qct phantoms --json", in: elsewhere, path: onPath)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let ids = try XCTUnwrap((try QCTRunner.json(listed.stdout))["phantoms"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        XCTAssertTrue(ids.contains("esp") && ids.contains("mindways-model3-ct"), "\(ids)")

        // A bare copy with nothing beside it: one line that says where it looked, exit 2.
        try fm.copyItem(atPath: qct, toPath: elsewhere.appendingPathComponent("qct-alone").path)
        let alone = try shell("./qct-alone measure . --esp", in: elsewhere, path: onPath)
        XCTAssertEqual(alone.status, 2)
        XCTAssertTrue(alone.stderr.contains("no phantom definitions found; looked in: " + elsewhere.appendingPathComponent("Phantoms").path),
                      alone.stderr)
        XCTAssertTrue(alone.stderr.contains("share/qct/Phantoms"), alone.stderr)
        XCTAssertEqual(alone.stderr.split(separator: "\n").count, 1, alone.stderr)

        // The completions ArgumentParser writes for the installed commands.
        let bash = try shell("qct --generate-completion-script bash", in: elsewhere, path: onPath)
        XCTAssertEqual(bash.status, 0)
        XCTAssertTrue(bash.stdout.contains("calibrate") && bash.stdout.contains("measure"), String(bash.stdout.prefix(300)))
    }
}
