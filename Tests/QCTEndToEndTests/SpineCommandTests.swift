import Foundation
import QCTTestSupport
import XCTest

/// `qct spine` on simulated patients: vertebrae found and named, BMD against truth with each
/// calibration, follow-up from the patient database, refusals, and patient identifiers kept out
/// of everything but the report.
final class SpineCommandTests: XCTestCase {
    static let phantoms = TestRepository.phantoms.path

    /// Simulates a patient scene into `dir` (3 mm slices over T12–L4) and returns its truth.
    func simulate(_ scene: String, _ dir: URL, seed: Int = 1, scanner: String = "QCT1", extra: [String] = []) throws -> [String: Any] {
        let r = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["simulate", scene, "--seed", "\(seed)", "--scanner", scanner, "--phantoms", Self.phantoms,
                                                                  "--slices", "80", "--thickness", "3", "--spacing", "3", "--out", dir.path] + extra,
                                      timeout: 300)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try QCTRunner.json(try String(contentsOf: dir.appendingPathComponent("truth.json"), encoding: .utf8))
    }

    func spine(_ args: [String]) throws -> QCTRun {
        try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["spine"] + args + ["--phantoms", Self.phantoms], timeout: 300)
    }

    /// True K2HPO4 density per vertebra name.
    func density(_ truth: [String: Any]) -> [String: Double] {
        var out: [String: Double] = [:]
        for v in truth["vertebrae"] as? [[String: Any]] ?? [] {
            if let n = v["name"] as? String, let d = v["trueK2HPO4"] as? Double { out[n] = d }
        }
        return out
    }

    func bmd(_ report: [String: Any]) -> [String: Double] {
        var out: [String: Double] = [:]
        for v in report["vertebrae"] as? [[String: Any]] ?? [] {
            if let n = (v["reading"] as? [String: Any])?["name"] as? String, let b = v["bmd"] as? Double { out[n] = b }
        }
        return out
    }

    func testSameScanNamesTheVertebraeAndReadsTruthWithinTwoPercent() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("patient")
        let truth = try simulate("patient-on-pad", dir, seed: 3, extra: ["--vary", "--patient-id", "P-77"])
        let r = try spine([dir.path, "--json", "--patients", work.appendingPathComponent("patients.sqlite").path,
                           "--html", work.appendingPathComponent("report.html").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try QCTRunner.json(r.stdout)
        let truthDensity = density(truth), measured = bmd(report)
        XCTAssertEqual(Set(measured.keys), ["T12", "L1", "L2", "L3", "L4"], "\(report["naming"] ?? "")")
        for (name, d) in truthDensity {
            let b = try XCTUnwrap(measured[name], name)
            XCTAssertLessThanOrEqual(abs(b - d), max(0.02 * d, 2), "\(name): \(b) vs true \(d)")
        }
        // Each named body lies where the truth puts that vertebra.
        let bodies = (truth["inserts"] as? [[String: Any]] ?? []).filter { $0["role"] as? String == "vertebra" }
        for v in report["vertebrae"] as? [[String: Any]] ?? [] {
            let reading = try XCTUnwrap(v["reading"] as? [String: Any])
            let name = try XCTUnwrap(reading["name"] as? String), z = try XCTUnwrap(reading["zMM"] as? Double)
            let range = try XCTUnwrap(bodies.first { $0["name"] as? String == name }?["zRangeMM"] as? [Double])
            XCTAssertTrue(range[0] <= z && z <= range[1], "\(name) at z \(z), truth \(range)")
        }
        // The mean of L1–L2 and its category, against the truth's own densities.
        let summary = try XCTUnwrap(report["summary"] as? [String: Any])
        XCTAssertEqual(summary["vertebrae"] as? [String], ["L1", "L2"])
        let mean = (truthDensity["L1"]! + truthDensity["L2"]!) / 2
        XCTAssertEqual(try XCTUnwrap(summary["meanBMD"] as? Double), mean, accuracy: max(0.02 * mean, 2))
        let expected = mean > 120 ? "normal" : mean < 80 ? "osteoporosis" : "low BMD"
        XCTAssertEqual(summary["category"] as? String, expected)
        XCTAssertTrue((report["noTScore"] as? String ?? "").contains("no T-score"))
        XCTAssertEqual((report["patient"] as? [String: Any])?["id"] as? String, "P-77")
        XCTAssertFalse(r.stderr.contains("P-77"), "a patient identifier reached stderr: \(r.stderr)")
        // The HTML report, rendered by Chromium, is not blank.
        let html = try String(contentsOf: work.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("ACR category") && html.contains("no T-score") && html.contains("<svg"))
        let png = work.appendingPathComponent("report.png")
        _ = try QCTRunner.runTool("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                       "--user-data-dir=\(work.appendingPathComponent("profile").path)", "--window-size=1280,1800",
                                                       "--screenshot=\(png.path)", work.appendingPathComponent("report.html").absoluteString], timeout: 120)
        let stats = try QCTRunner.json(try QCTRunner.runTool(QCTRunner.python, [TestRepository.root.appendingPathComponent("Scripts/png_stats.py").path, png.path]).stdout)
        XCTAssertGreaterThan(try XCTUnwrap(stats["nonWhiteFraction"] as? Double), 0.05, "not a blank page")

        // --anonymize: no identifier in the JSON or the text.
        let anonymous = try spine([dir.path, "--json", "--anonymize", "--patients", work.appendingPathComponent("patients.sqlite").path])
        XCTAssertNil(try QCTRunner.json(anonymous.stdout)["patient"])
        XCTAssertFalse(anonymous.stdout.contains("P-77"))
        let text = try spine([dir.path, "--anonymize", "--patients", work.appendingPathComponent("patients.sqlite").path])
        XCTAssertFalse(text.stdout.contains("P-77") || text.stderr.contains("P-77"))
    }

    func testInternalCalibrationIsWithinFivePercentOfTheSameScanPhantom() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let dir = work.appendingPathComponent("patient")
        _ = try simulate("patient-on-pad", dir, seed: 4, scanner: "QCT2", extra: ["--vary"])
        let same = try QCTRunner.json(try spine([dir.path, "--json"]).stdout)
        let r = try spine([dir.path, "--json", "--calibration", "internal"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let internalReport = try QCTRunner.json(r.stdout)
        let a = try XCTUnwrap((same["summary"] as? [String: Any])?["meanBMD"] as? Double)
        let b = try XCTUnwrap((internalReport["summary"] as? [String: Any])?["meanBMD"] as? Double)
        XCTAssertLessThanOrEqual(abs(b - a) / a, 0.05, "internal \(b) vs same-scan \(a)")
        let ic = try XCTUnwrap((internalReport["calibration"] as? [String: Any])?["internalCalibration"] as? [String: Any])
        XCTAssertGreaterThanOrEqual((ic["tissues"] as? [Any])?.count ?? 0, 3)
        // QCT2's effective energy is 75 keV; the grid search finds it from the tissues alone.
        XCTAssertEqual(try XCTUnwrap(ic["effectiveEnergyKeV"] as? Double), 75, accuracy: 3)
        XCTAssertGreaterThan(try XCTUnwrap(ic["r2"] as? Double), 0.999)
    }

    func testHistoryCalibrationIsChosenOrRefusedWithItsReason() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let db = work.appendingPathComponent("qc.sqlite").path
        let pad = work.appendingPathComponent("pad")
        _ = try simulate("pad", pad, seed: 5, extra: ["--acquired", "20260301080000"])
        let rec = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "record", pad.path, "--db", db, "--phantoms", Self.phantoms], timeout: 300)
        XCTAssertEqual(rec.status, 0, rec.stderr)
        let patient = work.appendingPathComponent("patient")
        let truth = try simulate("patient", patient, seed: 6, extra: ["--acquired", "20260302090000"])
        let r = try spine([patient.path, "--json", "--calibration", "history", "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try QCTRunner.json(r.stdout)
        let calibration = try XCTUnwrap(report["calibration"] as? [String: Any])
        let history = try XCTUnwrap(calibration["history"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(history["ageDays"] as? Double), 25.0 / 24, accuracy: 1e-6, "recorded age")
        let d = density(truth), m = bmd(report)
        for name in ["L1", "L2"] {
            XCTAssertLessThanOrEqual(abs(m[name]! - d[name]!) / d[name]!, 0.01, "\(name): \(m[name]!) vs true \(d[name]!) on a stable scanner")
        }
        // Another kernel: refused in one line naming the kernel, exit 2; a scan too old for --max-age too.
        let sharp = work.appendingPathComponent("sharp")
        _ = try simulate("patient", sharp, seed: 6, extra: ["--acquired", "20260302090000", "--kernel", "SHARP"])
        let refused = try spine([sharp.path, "--calibration", "history", "--db", db])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("kernel STANDARD is not SHARP"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        let old = try spine([patient.path, "--calibration", "history", "--db", db, "--max-age", "0.5"])
        XCTAssertEqual(old.status, 2)
        XCTAssertTrue(old.stderr.contains("more than 0.5"), old.stderr)
        // A QC history given as the patient database is refused and left untouched.
        let misplaced = try spine([patient.path, "--calibration", "history", "--db", db, "--record", "--patients", db])
        XCTAssertEqual(misplaced.status, 2)
        XCTAssertTrue(misplaced.stderr.contains("not a qct patient database"), misplaced.stderr)
        XCTAssertEqual(try QCTRunner.runTool("/usr/bin/sqlite3", [db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'exam'"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), "0")
        // No calibration phantom in the scan: same-scan is refused with its reason.
        let none = try spine([patient.path])
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("no calibration phantom found in the scan"), none.stderr)
    }

    func testFollowUpComparesWithTheEarlierExamOfTheSamePatient() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let patients = work.appendingPathComponent("patients.sqlite").path
        let first = work.appendingPathComponent("first"), second = work.appendingPathComponent("second")
        // The source's example: L1 34 → 50 mg/cm³ after treatment.
        _ = try simulate("patient-on-pad", first, seed: 8, extra: ["--patient-id", "P-1", "--bone", "L1=34", "--bone", "L2=36", "--acquired", "20250301090000"])
        _ = try simulate("patient-on-pad", second, seed: 9, extra: ["--patient-id", "P-1", "--bone", "L1=50", "--bone", "L2=52", "--acquired", "20260301090000"])
        let a = try spine([first.path, "--json", "--record", "--patients", patients])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertNil(try QCTRunner.json(a.stdout)["followUp"])
        let b = try spine([second.path, "--json", "--record", "--patients", patients])
        XCTAssertEqual(b.status, 0, b.stderr)
        let report = try QCTRunner.json(b.stdout)
        let followUp = try XCTUnwrap(report["followUp"] as? [String: Any])
        let l1 = try XCTUnwrap((followUp["vertebrae"] as? [String: Any])?["L1"] as? [String: Any])
        let earlier = try XCTUnwrap(l1["earlierMgPerCm3"] as? Double), now = try XCTUnwrap(l1["currentMgPerCm3"] as? Double)
        XCTAssertEqual(earlier, 34, accuracy: 2)
        XCTAssertEqual(now, 50, accuracy: 2)
        XCTAssertEqual(try XCTUnwrap(l1["changePercent"] as? Double), 100 * (now - earlier) / earlier, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(l1["changePercent"] as? Double), 47.1, accuracy: 8, "about +47 %, as the source's example")
        XCTAssertEqual(followUp["lscMissing"] as? String, "no precision study named (--precision-study)")
        // An unknown precision study is refused; the same series is not kept twice.
        let unknown = try spine([second.path, "--patients", patients, "--precision-study", "99", "--db", work.appendingPathComponent("none.sqlite").path])
        XCTAssertEqual(unknown.status, 2)
        let again = try spine([second.path, "--json", "--record", "--patients", patients])
        XCTAssertEqual(again.status, 0, again.stderr)
        let exams = try QCTRunner.runTool("/usr/bin/sqlite3", [patients, "SELECT COUNT(*) FROM exam"])
        XCTAssertEqual(exams.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2")
        // The patient database is not a QC history, and a QC history is not a patient database.
        let qc = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "status", "--db", patients])
        XCTAssertEqual(qc.status, 2)
        XCTAssertTrue(qc.stderr.contains("not a qct QC database"), qc.stderr)
        XCTAssertFalse(qc.stderr.contains("P-1"), qc.stderr)
    }
}
