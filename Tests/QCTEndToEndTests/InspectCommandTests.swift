import Foundation
import XCTest

/// `qct inspect` run as a binary on pydicom's fixtures and on broken input.
final class InspectCommandTests: XCTestCase {
    struct Manifest: Decodable {
        struct Entry: Decodable {
            var path: String
            var kind: String
            var modality: String?
        }
        var files: [Entry]
    }

    func manifest() throws -> Manifest {
        let url = QCTRunner.fixtures.appendingPathComponent("reference/manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            XCTFail("run `make fixtures` first: \(url.path) missing")
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    func testJSONListsEveryCTSeriesAndRefusesEveryBrokenFile() throws {
        let dir = QCTRunner.fixtures.appendingPathComponent("dicom").path
        let run = try QCTRunner.run(["inspect", dir, "--json"])
        XCTAssertFalse(run.crashed)
        XCTAssertEqual(run.status, 1, "some fixture files are refused: exit 1")
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let series = try XCTUnwrap(json["series"] as? [[String: Any]])
        let rejected = try XCTUnwrap(json["rejected"] as? [[String: Any]])
        // Every key of the documented JSON schema (Docs/reading.md).
        for key in ["seriesInstanceUID", "sliceCount", "rows", "columns", "pixelSpacing", "sliceSpacing",
                    "sliceThickness", "manufacturer", "model", "stationName", "deviceSerialNumber", "kvp",
                    "kernel", "problems"] {
            XCTAssertTrue(series.allSatisfy { $0.keys.contains(key) }, "key \(key) missing")
        }
        for s in series {
            XCTAssertNotNil(s["seriesInstanceUID"] as? String)
            XCTAssertNotNil(s["sliceCount"] as? Int)
            XCTAssertNotNil(s["pixelSpacing"] as? [Double])
            XCTAssertNotNil(s["problems"] as? [String])
        }
        for r in rejected {
            XCTAssertFalse((r["reason"] as? String ?? "").isEmpty)
            XCTAssertNotNil(r["path"] as? String)
        }
        // Every CT image pydicom decodes is in some series: one CT series per
        // distinct CT Series Instance UID among the fixtures.
        let ctCount = series.filter { $0["modality"] as? String == "CT" }.count
        let m = try manifest()
        let ctFiles = m.files.filter { $0.kind == "image" && $0.modality == "CT" }
        XCTAssertGreaterThanOrEqual(ctFiles.count, 8)
        let ctUIDs = Set(try ctFiles.map { try seriesUID(of: $0.path) })
        XCTAssertEqual(ctCount, ctUIDs.count)
        // The broken files are refused, each with its reason.
        let reasons = Dictionary(rejected.map { (($0["path"] as? String ?? "") as NSString).lastPathComponent }
            .enumerated().map { ($1, rejected[$0]["reason"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
        XCTAssertTrue(reasons["MR_truncated.dcm"]?.contains("truncated") ?? false, "\(reasons["MR_truncated.dcm"] ?? "not refused")")
        XCTAssertTrue(reasons["no_meta.dcm"]?.contains("not a DICOM file") ?? false, "\(reasons["no_meta.dcm"] ?? "not refused")")
        XCTAssertTrue(reasons["meta_missing_tsyntax.dcm"]?.contains("Transfer Syntax") ?? false)
        XCTAssertTrue(reasons["SC_rgb.dcm"]?.contains("colour image") ?? false)
        // One stderr line per refused file, naming it.
        let lines = run.stderr.split(separator: "\n").filter { $0.hasPrefix("refused: ") }
        XCTAssertEqual(lines.count, rejected.count)
    }

    /// Series Instance UID as DCMTK's dcmdump prints it (an independent reader).
    func seriesUID(of path: String) throws -> String {
        let full = path.hasPrefix("/") ? path : QCTRunner.fixtures.deletingLastPathComponent().appendingPathComponent(path).path
        let r = try QCTRunner.runTool("/usr/bin/dcmdump", ["+uc", full])
        // Top level only: nested items are indented.
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("(0020,000e)") }, path)
        let open = try XCTUnwrap(line.firstIndex(of: "["), path), close = try XCTUnwrap(line.firstIndex(of: "]"), path)
        return String(line[line.index(after: open)..<close])
    }

    func testGoodFilesExitZeroAndBadOnlyExitTwo() throws {
        let ct = QCTRunner.fixtures.appendingPathComponent("dicom/pydicom/CT_small.dcm").path
        let good = try QCTRunner.run(["inspect", ct])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertTrue(good.stdout.contains("RHAPSODE"))
        XCTAssertTrue(good.stdout.contains("1 series, 0 file(s) refused"))

        let dir = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not dicom at all\n".utf8).write(to: dir.appendingPathComponent("notes.dcm"))
        try Data().write(to: dir.appendingPathComponent("empty.dcm"))
        let ctData = try Data(contentsOf: URL(fileURLWithPath: ct))
        try ctData.prefix(20_000).write(to: dir.appendingPathComponent("cut.dcm"))
        let bad = try QCTRunner.run(["inspect", dir.path])
        XCTAssertEqual(bad.status, 2)
        let lines = bad.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, bad.stderr)
        XCTAssertTrue(lines.contains { $0.contains("empty.dcm: empty file") })
        XCTAssertTrue(lines.contains { $0.contains("notes.dcm: not a DICOM file") })
        XCTAssertTrue(lines.contains { $0.contains("cut.dcm: truncated") })

        let missing = try QCTRunner.run(["inspect", dir.appendingPathComponent("nope").path])
        XCTAssertEqual(missing.status, 2)
        let noArgs = try QCTRunner.run(["inspect"])
        XCTAssertEqual(noArgs.status, 2, "bad arguments exit 2")
        XCTAssertTrue(noArgs.stderr.contains("Missing expected argument"), noArgs.stderr)
    }

    func testEveryFixtureFileAloneNeverCrashes() throws {
        let m = try manifest()
        for e in m.files {
            let full = e.path.hasPrefix("/") ? e.path : QCTRunner.fixtures.deletingLastPathComponent().appendingPathComponent(e.path).path
            // Headers alone, then every codec on the pixels too.
            for extra in [[], ["--hu-range"]] {
                let r = try QCTRunner.run(["inspect", full, "--json"] + extra, timeout: 60)
                XCTAssertFalse(r.crashed, "\(e.path) \(extra) crashed qct")
                XCTAssertTrue([0, 1, 2].contains(r.status), "\(e.path) \(extra): exit \(r.status)")
                XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)), "\(e.path) \(extra): JSON output")
            }
        }
    }

    /// Without --hu-range only headers are read (no HU statistics); with it, every series is decoded
    /// and its HU range and mean given, and files whose pixels cannot be decoded are refused too.
    func testHeadersAloneUnlessTheHURangeIsAsked() throws {
        let dir = QCTRunner.fixtures.appendingPathComponent("dicom").path
        func series(_ extra: [String]) throws -> ([[String: Any]], [[String: Any]]) {
            let run = try QCTRunner.run(["inspect", dir, "--json"] + extra, timeout: 120)
            XCTAssertFalse(run.crashed)
            let json = try QCTRunner.json(run.stdout)
            return (try XCTUnwrap(json["series"] as? [[String: Any]]), try XCTUnwrap(json["rejected"] as? [[String: Any]]))
        }
        let (headers, refusedByHeaders) = try series([])
        let (decoded, refusedByPixels) = try series(["--hu-range"])
        XCTAssertTrue(headers.allSatisfy { $0["huMin"] is NSNull && $0["huMean"] is NSNull }, "headers only: no HU statistics")
        let ct = decoded.filter { $0["modality"] as? String == "CT" }
        XCTAssertFalse(ct.isEmpty)
        for s in ct {
            let lo = try XCTUnwrap(s["huMin"] as? Double), hi = try XCTUnwrap(s["huMax"] as? Double), mean = try XCTUnwrap(s["huMean"] as? Double)
            XCTAssertTrue(lo <= mean && mean <= hi, "\(s["seriesInstanceUID"] ?? "?"): \(lo) ≤ \(mean) ≤ \(hi)")
        }
        XCTAssertGreaterThanOrEqual(refusedByPixels.count, refusedByHeaders.count)
    }
}
