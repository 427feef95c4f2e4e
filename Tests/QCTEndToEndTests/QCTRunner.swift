import Foundation
import QCTTestSupport
import XCTest

typealias QCTRun = ToolRun

enum QCTRunner {
    /// The release `qct` (`make test` builds it): the tests that simulate many scans need its speed.
    static func releaseQCT() throws -> String {
        guard let path = ToolRunner.releaseQCT else {
            XCTFail("release build missing under \(TestRepository.root.path)/.build/release: run `make test` (it builds it)")
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
        let r = try ToolRunner.run(tool, args, timeout: timeout)
        if r.timedOut { XCTFail("\(tool) \(args.joined(separator: " ")) hung for \(timeout) s") }
        return r
    }

    static var fixtures: URL { TestRepository.fixtures }
    static var python: String { TestRepository.python }
    static func temporaryDirectory() throws -> URL { try TestRepository.temporaryDirectory("qct-e2e") }
}
