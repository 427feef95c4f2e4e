import Foundation
import QCTTestSupport
import XCTest

/// `qct measure` on simulated ESP scans: randomised set-ups against truth,
/// a vertebra cut off, no ESP at all, and saved (asynchronous) calibrations.
final class MeasureCommandTests: XCTestCase {
    static let repo = SimulateCommandTests.repo
    let phantoms = MeasureCommandTests.repo.appendingPathComponent("Phantoms").path
    var root: URL!

    override func setUpWithError() throws { root = try QCTRunner.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    func truth(_ dir: URL) throws -> [String: Any] {
        try QCTRunner.json(String(decoding: try Data(contentsOf: dir.appendingPathComponent("truth.json")), as: UTF8.self))
    }

    /// Simulates esp-on-pad with `extra` arguments into root/name.
    func simulate(_ name: String, _ extra: [String], scene: String = "esp-on-pad") throws -> URL {
        let dir = root.appendingPathComponent(name)
        let r = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["simulate", scene, "--out", dir.path, "--phantoms", phantoms] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return dir
    }

    func measure(_ dir: URL, _ extra: [String] = []) throws -> (QCTRun, [String: Any]?) {
        let r = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["measure", dir.path, "--esp", "--json", "--phantoms", phantoms] + extra)
        XCTAssertFalse(r.crashed, r.stderr)
        return (r, r.stdout.isEmpty ? nil : try QCTRunner.json(r.stdout))
    }

    func testThirtyRandomisedScansReadEveryVertebraWithinOnePercentOfTruth() throws {
        var rng = TestRandom(state: 5_0100_200)
        var worst = 0.0
        for n in 0..<30 {
            let ps = rng.uniform(0.4, 1.0)
            let fov = 400.0
            let thickness = rng.uniform(0.625, 5)
            // 130 mm of z: the whole ESP (110 mm) with room for repositioning.
            let slices = Int((130 / thickness).rounded(.up))
            let args = ["--seed", "\(n + 11)", "--scanner", ["QCT1", "QCT2", "QCT3"][n % 3],
                        "--pixel-spacing", String(format: "%.3f", ps), "--matrix", "\(Int((fov / ps).rounded(.up)))",
                        "--thickness", String(format: "%.3f", thickness), "--spacing", String(format: "%.3f", thickness),
                        "--slices", "\(slices)", "--noise", String(format: "%.1f", rng.uniform(0, 25)),
                        String(format: "--rotate=%.1f", rng.uniform(-15, 15)),
                        String(format: "--translate=%.1f,%.1f,%.1f", rng.uniform(-40, 40), rng.uniform(-30, 20), rng.uniform(-5, 5))]
            let dir = try simulate("s\(n)", args)
            let (run, result) = try measure(dir)
            guard let result else { XCTFail("scan \(n): no output: \(run.stderr) — \(args)"); continue }
            let vertebrae = try XCTUnwrap(result["vertebrae"] as? [[String: Any]])
            let expected = try XCTUnwrap(try truth(dir)["vertebrae"] as? [[String: Any]])
            XCTAssertEqual(vertebrae.count, 3)
            for t in expected {
                let name = try XCTUnwrap(t["name"] as? String), want = try XCTUnwrap(t["expectedBMD"] as? Double)
                guard let v = vertebrae.first(where: { $0["name"] as? String == name }), let got = v["bmd"] as? Double else {
                    XCTFail("scan \(n): \(name) not measured: \(run.stdout) — \(args.joined(separator: " "))")
                    continue
                }
                worst = max(worst, abs(got - want) / max(1, 0.01 * want))
                XCTAssertLessThanOrEqual(abs(got - want), max(1, 0.01 * want),
                                         "scan \(n) \(name): \(got) vs truth \(want) mg/cm³ — \(args.joined(separator: " "))")
            }
            XCTAssertEqual(result["status"] as? String, "pass", "scan \(n): \(run.stdout)")
        }
        print("ESP accuracy over 30 simulated scans: worst |ΔBMD| = \(worst) of the allowance max(1 mg/cm³, 1 %)")
    }

    func testAVertebraCutOffIsNamedAndGetsNoNumber() throws {
        // 80 slices of 1 mm centred at z = −15: the scan ends at z ≈ 25, 1 mm into L3 (24…50).
        let dir = try simulate("cut", ["--slices", "80", "--z-center=-15", "--matrix", "400", "--pixel-spacing", "0.9"])
        let (run, result) = try measure(dir)
        XCTAssertEqual(run.status, 4, run.stderr)
        let r = try XCTUnwrap(result)
        let vertebrae = try XCTUnwrap(r["vertebrae"] as? [[String: Any]])
        let l3 = try XCTUnwrap(vertebrae.first { $0["name"] as? String == "L3" })
        XCTAssertTrue(l3["bmd"] is NSNull || l3["bmd"] == nil, "L3 must not get a number: \(l3)")
        XCTAssertNotNil(l3["missing"] as? String)
        for name in ["L1", "L2"] {
            XCTAssertNotNil(vertebrae.first { $0["name"] as? String == name }?["bmd"] as? Double, "\(name) is in the scan")
        }
        let found = try XCTUnwrap((r["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "vertebrae found" })
        XCTAssertEqual(found["status"] as? String, "fail")
        XCTAssertTrue((found["detail"] as? String ?? "").contains("L3"), "\(found)")
        XCTAssertFalse((found["detail"] as? String ?? "").contains("L1"), "\(found)")
    }

    func testAScanWithNoSpinePhantomNamesEveryVertebraMissing() throws {
        let dir = try simulate("pad", ["--slices", "30", "--matrix", "400", "--pixel-spacing", "0.9"], scene: "pad")
        let (run, result) = try measure(dir)
        XCTAssertEqual(run.status, 4, run.stderr)
        let vertebrae = try XCTUnwrap(try XCTUnwrap(result)["vertebrae"] as? [[String: Any]])
        XCTAssertEqual(vertebrae.compactMap { $0["name"] as? String }.sorted(), ["L1", "L2", "L3"])
        for v in vertebrae { XCTAssertNil(v["bmd"] as? Double, "\(v)") }
        XCTAssertTrue(run.stdout.contains("missing: L1"), run.stdout)
    }

    func testSavedCalibrationIsAppliedOnlyWhereItIsValid() throws {
        let qct = try QCTRunner.releaseQCT()
        let small = ["--slices", "40", "--matrix", "400", "--pixel-spacing", "0.9", "--thickness", "3", "--spacing", "3"]
        // Calibration scan: the pad alone on QCT2, on 1 January.
        let pad = try simulate("pad", small + ["--scanner", "QCT2", "--acquired", "20260101080000"], scene: "pad")
        let cal = root.appendingPathComponent("cal.json").path
        XCTAssertEqual(try QCTRunner.runTool(qct, ["calibrate", pad.path, "--phantom", "mindways-model3-ct", "--phantoms", phantoms,
                                                   "--save", cal]).status, 0)
        // ESP scans two days later on the same scanner: applied, same reading as the same-scan calibration.
        let esp = try simulate("esp", small + ["--scanner", "QCT2", "--acquired", "20260103090000"])
        let (run, result) = try measure(esp, ["--calibration", cal])
        XCTAssertEqual(run.status, 0, run.stderr + run.stdout)
        let used = try XCTUnwrap(try XCTUnwrap(result)["calibration"] as? [String: Any])
        XCTAssertEqual(used["source"] as? String, "saved")
        let expected = try XCTUnwrap(try truth(esp)["vertebrae"] as? [[String: Any]])
        for (v, t) in zip(try XCTUnwrap(result?["vertebrae"] as? [[String: Any]]), expected) {
            let got = try XCTUnwrap(v["bmd"] as? Double), want = try XCTUnwrap(t["expectedBMD"] as? Double)
            XCTAssertLessThanOrEqual(abs(got - want), max(1, 0.01 * want), "\(v["name"] ?? "?")")
        }
        // Another kVp: refused with the reason, nothing measured.
        let other = try simulate("kv", small + ["--scanner", "QCT2", "--kvp", "100", "--acquired", "20260103090000"])
        let refused = try measure(other, ["--calibration", cal]).0
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("kVp differs: calibration 120 kV, series 100 kV"), refused.stderr)
        XCTAssertTrue(refused.stdout.isEmpty)
        // Too old: refused; --allow-mismatch applies it and records why.
        let late = try simulate("late", small + ["--scanner", "QCT2", "--acquired", "20260201090000"])
        let old = try measure(late, ["--calibration", cal]).0
        XCTAssertEqual(old.status, 2)
        XCTAssertTrue(old.stderr.contains("days older than the series (limit 7 days)"), old.stderr)
        let (allowed, allowedResult) = try measure(late, ["--calibration", cal, "--allow-mismatch"])
        XCTAssertEqual(allowed.status, 3, allowed.stderr)
        let recorded = try XCTUnwrap(allowedResult?["calibration"] as? [String: Any])
        XCTAssertEqual(recorded["allowMismatch"] as? Bool, true)
        XCTAssertEqual((recorded["mismatches"] as? [String])?.count, 1)
        // Another scanner (serial): refused.
        let moved = try simulate("moved", small + ["--scanner", "QCT3", "--kvp", "120", "--acquired", "20260103090000"])
        let wrong = try measure(moved, ["--calibration", cal]).0
        XCTAssertEqual(wrong.status, 2)
        XCTAssertTrue(wrong.stderr.contains("Device Serial Number differs"), wrong.stderr)
    }

    func testCalibrationAlongZFollowsAGainThatChangesAlongZ() throws {
        // CT numbers 5 % per 100 mm higher towards +z: a whole-scan calibration misreads L1 and L3.
        let dir = try simulate("gradient", ["--gain-gradient=5", "--slices", "60", "--thickness", "2", "--spacing", "2",
                                            "--matrix", "450", "--pixel-spacing", "0.8", "--noise", "8"])
        let expected = try XCTUnwrap(try truth(dir)["vertebrae"] as? [[String: Any]])
        func errors(_ result: [String: Any]?) throws -> [String: Double] {
            var out: [String: Double] = [:]
            for v in try XCTUnwrap(result?["vertebrae"] as? [[String: Any]]) {
                let name = try XCTUnwrap(v["name"] as? String)
                let want = try XCTUnwrap(expected.first { $0["name"] as? String == name }?["expectedBMDAtZ"] as? Double)
                out[name] = abs(try XCTUnwrap(v["bmd"] as? Double) - want) / max(1, 0.01 * want)
            }
            return out
        }
        let whole = try errors(try measure(dir).1)
        XCTAssertGreaterThan(whole["L1"] ?? 0, 1.5, "a whole-scan calibration cannot follow the gradient: \(whole)")
        XCTAssertGreaterThan(whole["L3"] ?? 0, 1.5, "\(whole)")
        let (run, result) = try measure(dir, ["--calibration-along-z", "10"])
        let along = try errors(result)
        for (name, e) in along { XCTAssertLessThanOrEqual(e, 1, "\(name) with calibration along z: \(along)") }
        XCTAssertEqual(along.count, 3, run.stdout)
        // Each vertebra records the line it was converted with.
        let slopes = try XCTUnwrap(result?["vertebrae"] as? [[String: Any]]).compactMap { $0["calibrationSlope"] as? Double }
        XCTAssertEqual(Set(slopes).count, 3, "one calibration per vertebra z")
        // calibrate --along-z reports the spread as a warning.
        let cal = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["calibrate", dir.path, "--phantom", "mindways-model3-ct",
                                                                     "--phantoms", phantoms, "--along-z", "10", "--json"])
        XCTAssertEqual(cal.status, 3, cal.stderr)
        let slabs = try XCTUnwrap(try QCTRunner.json(cal.stdout)["alongZ"] as? [[String: Any]])
        XCTAssertEqual(slabs.count, 12)
    }
}
