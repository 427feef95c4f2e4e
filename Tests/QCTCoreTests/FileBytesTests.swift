import Foundation
import QCTCore
import XCTest

/// `FileBytes.read` returns a file's bytes, nil for what cannot be read, and does not leak on empty
/// files (Foundation's `contents(atPath:)` keeps 4 KB per empty file read, found by `make fuzz`).
final class FileBytesTests: XCTestCase {
    func residentKB() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    func testReadsBytesAndRefusesWhatIsNotAFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qct-filebytes-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.json")
        try Data([0x7B, 0x7D, 0x0A]).write(to: file)
        XCTAssertEqual(FileBytes.read(atPath: file.path), Data([0x7B, 0x7D, 0x0A]))
        XCTAssertNil(FileBytes.read(atPath: dir.appendingPathComponent("missing.json").path))
        XCTAssertNil(FileBytes.read(atPath: dir.path))
    }

    func testTwentyThousandReadsOfAnEmptyFileHoldNoMemory() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("qct-empty-\(getpid()).json")
        try Data().write(to: empty)
        defer { try? FileManager.default.removeItem(at: empty) }
        XCTAssertEqual(FileBytes.read(atPath: empty.path), Data())
        let before = residentKB()
        for _ in 0..<20_000 { _ = FileBytes.read(atPath: empty.path) }
        // 4 KB a read would be 80 MB.
        XCTAssertLessThan(residentKB() - before, 8 * 1024)
    }
}
