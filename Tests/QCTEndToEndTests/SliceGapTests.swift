import Foundation
import XCTest

/// A file refused inside a series leaves a gap in its slices: measure, calibrate and qc record warn
/// (exit 3), naming the file and the z range, and the QC record keeps the warning in its stored analysis.
final class SliceGapTests: XCTestCase {
    func testARefusedFileInsideTheSeriesIsAWarningThatIsKept() throws {
        let qct = try QCTRunner.releaseQCT()
        let phantoms = SimulateCommandTests.repo.appendingPathComponent("Phantoms").path
        let dir = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let series = dir.appendingPathComponent("esp")
        let sim = try QCTRunner.runTool(qct, ["simulate", "esp-on-pad", "--out", series.path, "--slices", "90", "--thickness", "1.25",
                                              "--spacing", "1.25", "--seed", "17", "--phantoms", phantoms])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        try FileManager.default.removeItem(at: series.appendingPathComponent("truth.json"))
        // Before: no warning.
        let clean = try QCTRunner.runTool(qct, ["measure", series.path, "--esp", "--json", "--phantoms", phantoms])
        let cleanChecks = try XCTUnwrap((try QCTRunner.json(clean.stdout))["checks"] as? [[String: Any]])
        XCTAssertFalse(cleanChecks.contains { $0["name"] as? String == "slice gap" })

        // One slice in the middle truncated: refused on reading.
        let files = try FileManager.default.contentsOfDirectory(atPath: series.path).filter { $0.hasSuffix(".dcm") }.sorted()
        let broken = series.appendingPathComponent(files[files.count / 2])
        let handle = try FileHandle(forWritingTo: broken)
        try handle.truncate(atOffset: 1200)
        try handle.close()

        let measured = try QCTRunner.runTool(qct, ["measure", series.path, "--esp", "--json", "--phantoms", phantoms])
        XCTAssertEqual(measured.status, 3, measured.stderr)
        let checks = try XCTUnwrap((try QCTRunner.json(measured.stdout))["checks"] as? [[String: Any]])
        let gap = try XCTUnwrap(checks.first { $0["name"] as? String == "slice gap" }, "\(checks)")
        XCTAssertEqual(gap["status"] as? String, "warn")
        let detail = try XCTUnwrap(gap["detail"] as? String)
        XCTAssertTrue(detail.contains(broken.path), detail)
        XCTAssertNotNil(detail.range(of: #"no slice between z -?[0-9]+\.[0-9]{2} and -?[0-9]+\.[0-9]{2} mm"#, options: .regularExpression), detail)

        let calibrated = try QCTRunner.runTool(qct, ["calibrate", series.path, "--phantom", "mindways-model3-ct", "--phantoms", phantoms])
        XCTAssertEqual(calibrated.status, 3, calibrated.stderr)
        XCTAssertTrue(calibrated.stdout.contains("WARN  slice gap: no slice between z"), calibrated.stdout)

        let db = dir.appendingPathComponent("qc.sqlite")
        let recorded = try QCTRunner.runTool(qct, ["qc", "record", series.path, "--db", db.path, "--phantoms", phantoms])
        XCTAssertEqual(recorded.status, 3, recorded.stderr)
        XCTAssertTrue(recorded.stderr.contains("warning: \(series.path): slice gap: no slice between z"), recorded.stderr)
        // The stored analysis keeps the check (read with the sqlite3 shell, not with qct).
        let stored = try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, "SELECT provenance FROM result"])
        XCTAssertTrue(stored.stdout.contains("slice gap") && stored.stdout.contains(broken.lastPathComponent), String(stored.stdout.prefix(400)))
    }
}
