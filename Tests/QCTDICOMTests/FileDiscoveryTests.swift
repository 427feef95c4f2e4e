import Foundation
import XCTest
@testable import QCTDICOM

/// What a folder given to qct contributes: its regular files, recursively, without hidden entries,
/// known non-DICOM extensions, folders reached through links, or anything that is not a file.
final class FileDiscoveryTests: XCTestCase {
    func testFoldersAreWalkedAsAPersonWouldExpect() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("qct-discovery-\(UUID().uuidString)").path
        defer { try? fm.removeItem(atPath: root) }
        for d in ["a/b", ".hidden", "other"] { try fm.createDirectory(atPath: "\(root)/\(d)", withIntermediateDirectories: true) }
        for f in ["x.dcm", "a/IM0001", "a/b/IM0002", ".hidden/h.dcm", "a/.dot", "a/report.JSON", "a/notes.txt", "a/name.", "other/o.dcm"] {
            XCTAssertTrue(fm.createFile(atPath: "\(root)/\(f)", contents: Data([0])))
        }
        try fm.createSymbolicLink(atPath: "\(root)/a/linked-file", withDestinationPath: "\(root)/other/o.dcm")
        try fm.createSymbolicLink(atPath: "\(root)/a/linked-folder", withDestinationPath: "\(root)/other")
        try fm.createSymbolicLink(atPath: "\(root)/a/dangling", withDestinationPath: "\(root)/nowhere")
        XCTAssertEqual(mkfifo("\(root)/a/fifo", 0o600), 0)

        let (files, missing) = FileDiscovery.files(in: ["\(root)/", "\(root)/nowhere", "\(root)/other/o.dcm"])
        XCTAssertEqual(missing, ["\(root)/nowhere"])
        XCTAssertEqual(files, [
            "\(root)/a/IM0001", "\(root)/a/b/IM0002", "\(root)/a/linked-file", "\(root)/a/name.",
            "\(root)/other/o.dcm", "\(root)/x.dcm",
        ])
    }
}
