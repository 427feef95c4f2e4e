import Foundation
import XCTest

/// The validation report (`make validate`) on a 20-scan subset, with the same
/// assertions: every rod found and identified on varied set-ups, the
/// analysis' own error at 100 HU within 0.5 % (p95 0.2 %) on noise-free
/// twins, and every noisy error within 4 standard errors its ROI noise predicts.
/// Truth and the fits it is compared with are computed by the script itself.
final class ValidationSubsetTests: XCTestCase {
    func testTwentyVariedScansMeetTheValidationLimits() throws {
        let qct = try QCTRunner.releaseQCT()
        let repo = SimulateCommandTests.repo
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try QCTRunner.runTool("/usr/bin/env", ["python3", repo.appendingPathComponent("Scripts/validate_calibration.py").path,
                                                         qct, repo.appendingPathComponent("Phantoms").path, work.path,
                                                         "--count", "20", "--seed", "7"], timeout: 900)
        print(run.stdout)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("rods found on 20 of 20 scans (100.0 %); identified on 20 (100.0 %)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("20 passed, 0 failed"), run.stdout)
    }
}

/// The spine part of `make validate` on an 8-scan subset (no precision study: the
/// demo's is checked by RepeatVariationTests), with the same assertions: all
/// three vertebrae found and named on varied anatomy (body sizes, shells, gaps,
/// posterior elements, tilt, L1 at either end), every ROI homogeneous, and every
/// noise-free twin's BMD within max(1 %, 1 mg/cm³) of truth with p95 ≤ 0.5 %.
final class SpineValidationSubsetTests: XCTestCase {
    func testEightVariedSpinesMeetTheValidationLimits() throws {
        let qct = try QCTRunner.releaseQCT()
        let repo = SimulateCommandTests.repo
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try QCTRunner.runTool("/usr/bin/env", ["python3", repo.appendingPathComponent("Scripts/validate_spine.py").path,
                                                         qct, repo.appendingPathComponent("Phantoms").path, work.path,
                                                         "--count", "8", "--seed", "7", "--no-precision"], timeout: 900)
        print(run.stdout)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("all three vertebrae found on 8 of 8 scans (100.0 %); named correctly on 8 (100.0 %); ROIs homogeneous on 8"),
                      run.stdout)
        XCTAssertTrue(run.stdout.contains("8 passed, 0 failed"), run.stdout)
    }
}

/// No NaN or infinity in any output: every command's `--json` on degenerate
/// input goes through a strict JSON parser (one that refuses NaN and Infinity).
final class StrictJSONTests: XCTestCase {
    func strict(_ text: String, _ what: String) throws -> [String: Any] {
        let python = """
        import json, sys
        def refuse(c): raise ValueError("non-finite number " + c)
        json.loads(sys.stdin.read(), parse_constant=refuse)
        """
        let dir = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("doc.json")
        try Data(text.utf8).write(to: file)
        let check = try QCTRunner.runTool("/bin/sh", ["-c", "python3 -c '\(python)' < '\(file.path)'"])
        XCTAssertEqual(check.status, 0, "\(what): \(check.stderr)")
        XCTAssertFalse(text.contains("NaN") || text.contains("Infinity"), what)
        return try QCTRunner.json(text)
    }

    func testDegenerateInputsGiveStrictJSON() throws {
        let qct = try QCTRunner.releaseQCT()
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let phantoms = SimulateCommandTests.repo.appendingPathComponent("Phantoms").path
        // No rods of the phantom asked for: a CatPhan calibrated as a Mindways pad.
        let other = root.appendingPathComponent("catphan").path
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "catphan", "--out", other, "--slices", "10", "--matrix", "256",
                                                   "--pixel-spacing", "1.0", "--phantoms", phantoms]).status, 0)
        let none = try QCTRunner.runTool(qct, ["calibrate", other, "--phantom", "mindways-model3-ct", "--json", "--phantoms", phantoms])
        let doc = try strict(none.stdout, "calibrate, no rods")
        XCTAssertEqual(none.status, 4)
        XCTAssertEqual(doc["status"] as? String, "fail")
        XCTAssertTrue(doc["fit"] is NSNull, "fit must be null, not left out")
        XCTAssertEqual((doc["rods"] as? [Any])?.count, 0)
        let noPad = try QCTRunner.runTool(qct, ["measure", other, "--esp", "--json", "--phantoms", phantoms])
        _ = try strict(noPad.stdout, "measure --esp with neither pad nor ESP")
        // A pad with no ESP on it, then manual ROIs that make the fit degenerate.
        let pad = root.appendingPathComponent("pad").path
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "pad", "--out", pad, "--slices", "20", "--matrix", "400",
                                                   "--pixel-spacing", "1.0", "--phantoms", phantoms]).status, 0)
        let noESP = try QCTRunner.runTool(qct, ["measure", pad, "--esp", "--json", "--phantoms", phantoms])
        _ = try strict(noESP.stdout, "measure --esp with no ESP")
        let good = try QCTRunner.json(try QCTRunner.runTool(qct, ["calibrate", pad, "--phantom", "mindways-model3-ct", "--json",
                                                                  "--phantoms", phantoms]).stdout)
        let rods = try XCTUnwrap(good["rods"] as? [[String: Any]])
        XCTAssertEqual(rods.count, 5)
        func rois(_ place: (Int, [String: Any]) -> [Double]) throws -> String {
            let list = rods.enumerated().map { i, r -> [String: Any] in
                ["name": r["name"] as? String ?? "", "centerMM": place(i, r), "radiusMM": 4.0]
            }
            let file = root.appendingPathComponent("rois-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: ["rods": list]).write(to: file)
            return file.path
        }
        let c = { (r: [String: Any]) -> [Double] in Array((r["centerMM"] as? [Double] ?? [0, 0]).prefix(2)) }
        // All rods equal in HU: every ROI on the first rod.
        let equal = try rois { _, _ in c(rods[0]) }
        // One rod: every ROI in the same spot of plain resin between two rods, so all read alike and the fit has one value.
        let mid = zip(c(rods[0]), c(rods[1])).map { ($0 + $1) / 2 }
        let one = try rois { _, _ in mid }
        // Empty slab: every ROI outside the field of view.
        let outside = try rois { _, _ in [5000, 5000] }
        for (file, what) in [(equal, "all rods equal in HU"), (one, "one spot for every rod"), (outside, "ROIs outside the image")] {
            let run = try QCTRunner.runTool(qct, ["calibrate", pad, "--phantom", "mindways-model3-ct", "--json", "--rois", file,
                                                  "--phantoms", phantoms])
            XCTAssertFalse(run.crashed, what)
            if run.status == 2 {
                XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "\(what): one line: \(run.stderr)")
                continue
            }
            let d = try strict(run.stdout, "calibrate --rois, \(what)")
            XCTAssertNotEqual(d["status"] as? String, "pass", what)
        }
        // A single slice of the pad: one slab only.
        let thin = root.appendingPathComponent("thin").path
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "pad", "--out", thin, "--slices", "1", "--matrix", "400",
                                                   "--pixel-spacing", "1.0", "--phantoms", phantoms]).status, 0)
        let single = try QCTRunner.runTool(qct, ["calibrate", thin, "--phantom", "mindways-model3-ct", "--json", "--phantoms", phantoms])
        XCTAssertFalse(single.crashed)
        _ = try strict(single.stdout, "calibrate, one slice")
        let inspect = try QCTRunner.runTool(qct, ["inspect", thin, "--json"])
        _ = try strict(inspect.stdout, "inspect, one slice")
    }
}
