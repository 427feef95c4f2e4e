import Foundation
import XCTest

/// A file qct cannot write is an error: one line naming the file and why, exit 2. Run as an
/// unprivileged user (root ignores permissions): as root, through setpriv as `nobody`, with a
/// copy of the program and the phantom folder that `nobody` may read.
final class WriteFailureTests: XCTestCase {
    func testFailedWritesAreOneLineAndExitTwo() throws {
        let qct = try QCTRunner.releaseQCT()
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let fm = FileManager.default
        let bin = root.appendingPathComponent("bin")
        try fm.createDirectory(at: bin, withIntermediateDirectories: true)
        let program = bin.appendingPathComponent("qct").path
        try fm.copyItem(atPath: qct, toPath: program)
        let phantoms = root.appendingPathComponent("Phantoms").path
        try fm.copyItem(atPath: SimulateCommandTests.repo.appendingPathComponent("Phantoms").path, toPath: phantoms)
        let pad = root.appendingPathComponent("pad").path
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "pad", "--out", pad, "--matrix", "256", "--pixel-spacing", "2",
                                                   "--slices", "10", "--noise", "5", "--phantoms", phantoms]).status, 0)
        let readOnly = root.appendingPathComponent("ro"), ok = root.appendingPathComponent("ok")
        try fm.createDirectory(at: readOnly, withIntermediateDirectories: true)
        try fm.createDirectory(at: ok, withIntermediateDirectories: true)
        // Everything readable by all; `ok` writable by all, `ro` by none.
        XCTAssertEqual(try QCTRunner.runTool("/bin/chmod", ["-R", "a+rX", root.path]).status, 0)
        XCTAssertEqual(try QCTRunner.runTool("/bin/chmod", ["777", ok.path]).status, 0)
        XCTAssertEqual(try QCTRunner.runTool("/bin/chmod", ["555", readOnly.path]).status, 0)
        func run(_ args: [String]) throws -> QCTRun {
            if getuid() == 0 {
                return try QCTRunner.runTool("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", program] + args + ["--phantoms", phantoms])
            }
            return try QCTRunner.runTool(program, args + ["--phantoms", phantoms])
        }
        let calibrate = ["calibrate", pad, "--phantom", "mindways-model3-ct"]
        let cases: [([String], String)] = [
            (calibrate + ["--save", readOnly.appendingPathComponent("cal.json").path], "cannot write \(readOnly.path)/cal.json: permission denied"),
            (calibrate + ["--overlay", readOnly.appendingPathComponent("rods.svg").path], "cannot write \(readOnly.path)/rods.svg: permission denied"),
            (calibrate + ["--save", root.appendingPathComponent("missing/cal.json").path],
             "cannot write \(root.path)/missing/cal.json: folder \(root.path)/missing does not exist"),
            (["measure", pad, "--esp", "--save", readOnly.appendingPathComponent("m.json").path], "cannot write \(readOnly.path)/m.json: permission denied"),
            (["measure", pad, "--esp", "--overlay", readOnly.appendingPathComponent("m.svg").path], "cannot write \(readOnly.path)/m.svg: permission denied"),
        ]
        for (args, line) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 2, "\(args.joined(separator: " ")): \(r.stderr)")
            XCTAssertTrue(r.stderr.split(separator: "\n").contains { $0 == line }, "\(line)\n\(r.stderr)")
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain"), r.stderr)
        }
        // An export refused by the folder, or by a missing one: one line, exit 2, no temporary file left.
        for (out, line) in [(readOnly.appendingPathComponent("v.nii.gz").path, "cannot write \(readOnly.path)/v.nii.gz: permission denied"),
                            (root.appendingPathComponent("missing/v.nrrd").path,
                             "cannot write \(root.path)/missing/v.nrrd: folder \(root.path)/missing does not exist")] {
            let args = ["export", pad, "--out", out]
            let r = getuid() == 0 ? try QCTRunner.runTool("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", program] + args)
                                  : try QCTRunner.runTool(program, args)
            XCTAssertEqual(r.status, 2, r.stderr)
            XCTAssertEqual(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines), line)
        }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: readOnly.path), [])
        // A write that succeeds is announced.
        let saved = ok.appendingPathComponent("cal.json").path
        let good = try run(calibrate + ["--save", saved])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertTrue(good.stderr.split(separator: "\n").contains { $0 == "wrote \(saved)" }, good.stderr)
        XCTAssertTrue(fm.fileExists(atPath: saved))
    }
}
