import Foundation
import QCTTestSupport
import XCTest

/// `qct calibrate` on simulated scans (randomised set-ups, truth known) and
/// on a real CatPhan scan. Uses the release binary (`make test` builds it).
final class CalibrateCommandTests: XCTestCase {
    static let repo = SimulateCommandTests.repo
    var root: URL!

    override func setUpWithError() throws { root = try QCTRunner.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    func releaseQCT() throws -> String { try QCTRunner.releaseQCT() }

    /// True HU of a phantom's body material: the trueHU of a rod made of it equals this.
    func bodyHU(_ truth: [String: Any], _ phantom: String) -> Double {
        // The body is not an insert in truth.json; a structure-free phantom's body HU is the
        // resin's, which is what HA 0 rods are made of. Use the lowest-|HU| rod's HU as the proxy.
        let rods = (truth["inserts"] as? [[String: Any]] ?? []).filter { $0["phantom"] as? String == phantom }
        let huValues = rods.compactMap { $0["certified"] as? [String: Double] }.enumerated().compactMap { i, c -> Double? in
            c["HA"] == 0 ? rods[i]["trueHU"] as? Double : nil
        }
        return huValues.first ?? .nan
    }

    func json(_ text: String) throws -> [String: Any] { try QCTRunner.json(text) }

    func testFiftyRandomisedScansFindEveryRodAndCalibrateWithinOnePercent() throws {
        let qct = try releaseQCT()
        let phantoms = Self.repo.appendingPathComponent("Phantoms").path
        let scenes = [("pad", "mindways-model3-ct", 480.0), ("esp-on-pad", "mindways-model3-ct", 480.0),
                      ("qa", "mindways-qa", 380.0), ("qrm-bdc-3", "qrm-bdc-3", 200.0), ("qrm-bdc-6", "qrm-bdc-6", 200.0)]
        var rng = TestRandom(state: 20261128)
        var worst = 0.0
        for n in 0..<50 {
            let (scene, phantom, fov) = scenes[n % scenes.count]
            let ps = rng.uniform(0.4, 1.0)
            let matrix = min(1200, Int((fov / ps).rounded(.up)))
            let thickness = rng.uniform(0.625, 5)
            // 100 mm of z, as a QCT protocol covers (and the benchmark series has).
            let slices = max(3, Int((100 / thickness).rounded(.up)))
            let shift = fov < 300 ? 15.0 : 25.0
            let args = ["simulate", scene, "--out", root.appendingPathComponent("s\(n)").path, "--phantoms", phantoms,
                        "--seed", "\(n + 1)", "--scanner", ["QCT1", "QCT2", "QCT3"][n % 3],
                        "--pixel-spacing", String(format: "%.3f", ps), "--matrix", "\(matrix)",
                        "--thickness", String(format: "%.3f", thickness), "--spacing", String(format: "%.3f", thickness),
                        "--slices", "\(slices)", "--noise", String(format: "%.1f", rng.uniform(0, 25)),
                        String(format: "--rotate=%.1f", rng.uniform(-15, 15)),
                        String(format: "--translate=%.1f,%.1f,%.1f", rng.uniform(-shift, shift), rng.uniform(-shift, shift), rng.uniform(-5, 5))]
            let sim = try QCTRunner.runTool(qct, args)
            XCTAssertEqual(sim.status, 0, "scan \(n): \(sim.stderr)")
            let dir = root.appendingPathComponent("s\(n)")
            let cal = try QCTRunner.runTool(qct, ["calibrate", dir.path, "--phantom", phantom, "--phantoms", phantoms, "--json"])
            XCTAssertFalse(cal.crashed)
            guard !cal.stdout.isEmpty else {
                XCTFail("scan \(n): calibrate printed nothing: \(cal.stderr) — \(args.joined(separator: " "))")
                continue
            }
            let result = try json(cal.stdout)
            let truth = try json(String(decoding: try Data(contentsOf: dir.appendingPathComponent("truth.json")), as: UTF8.self))
            let rods = try XCTUnwrap(result["rods"] as? [[String: Any]])
            let trueRods = try XCTUnwrap(truth["inserts"] as? [[String: Any]]).filter { $0["role"] as? String == "rod" && $0["phantom"] as? String == phantom }
            XCTAssertEqual(rods.count, trueRods.count, "scan \(n) \(args.joined(separator: " "))")
            // Found: detected, or (a rod with no contrast against the body, e.g. HA 0 in
            // a resin body) placed by the template fitted to the others — checked below.
            let placed = rods.filter { $0["located"] as? String == "template" }.compactMap { $0["name"] as? String }
            XCTAssertTrue(placed.allSatisfy { name in
                trueRods.contains { $0["name"] as? String == name && abs(($0["trueHU"] as? Double ?? 0) - bodyHU(truth, phantom)) < 5 }
            }, "scan \(n): rods placed from the template though visible: \(placed) — \(args.joined(separator: " "))")
            // Each detected ROI centre lies on its true rod.
            for r in rods {
                let c = try XCTUnwrap(r["centerMM"] as? [Double])
                let near = trueRods.map { t -> Double in
                    let tc = t["centerMM"] as? [Double] ?? [0, 0]
                    return hypot(tc[0] - c[0], tc[1] - c[1])
                }.min() ?? .infinity
                XCTAssertLessThan(near, 1.5, "scan \(n): ROI of \(r["name"] ?? "?") is \(near) mm from a rod centre")
            }
            // The fitted calibration turns the true rod HU into BMD within 1 % (or 1 mg/cm³) of truth.
            let fit = try XCTUnwrap(result["fit"] as? [String: Any], "scan \(n)")
            let tcal = try XCTUnwrap(truth["calibration"] as? [String: Any])
            let (a, b) = (try XCTUnwrap(fit["slope"] as? Double), try XCTUnwrap(fit["intercept"] as? Double))
            let (ta, tb) = (try XCTUnwrap(tcal["slope"] as? Double), try XCTUnwrap(tcal["intercept"] as? Double))
            for t in trueRods {
                let hu = try XCTUnwrap(t["trueHU"] as? Double)
                let expected = ta * hu + tb, got = a * hu + b
                worst = max(worst, abs(got - expected) / max(1, abs(expected)))
                XCTAssertLessThanOrEqual(abs(got - expected), max(1, 0.01 * abs(expected)),
                                         "scan \(n) rod \(t["name"] ?? "?"): \(got) vs \(expected) mg/cm³ — \(args.joined(separator: " "))")
            }
        }
        print("calibration accuracy over 50 simulated scans: worst |ΔBMD| / max(1, BMD) = \(worst)")
    }

    func testRealCatPhanRodsMatchPylinacWithinThreeHU() throws {
        let qct = try releaseQCT()
        let scan = QCTRunner.fixtures.appendingPathComponent("catphan/High quality head").path
        let r = try QCTRunner.runTool(qct, ["calibrate", scan, "--phantom", "catphan504-ctp404", "--json",
                                            "--phantoms", Self.repo.appendingPathComponent("Phantoms").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let result = try json(r.stdout)
        let rods = try XCTUnwrap(result["rods"] as? [[String: Any]])
        // pylinac's medians on this scan (domain reference §2).
        let pylinac: [String: Double] = ["Air": -998, "PMP": -200, "LDPE": -102, "Poly": -45, "Acrylic": 115,
                                         "Delrin": 340, "Teflon": 997]
        XCTAssertEqual(rods.count, 7)
        for rod in rods {
            let name = try XCTUnwrap(rod["name"] as? String)
            XCTAssertEqual(rod["located"] as? String, "detected", name)
            let median = try XCTUnwrap(rod["medianHU"] as? Double)
            XCTAssertEqual(median, try XCTUnwrap(pylinac[name]), accuracy: 3, "\(name): qct \(median) HU")
            print("CatPhan \(name): qct median \(median) HU, pylinac \(pylinac[name] ?? .nan) HU")
        }
    }

    /// pylinac's CatPhan demo reduced to three slices of three modules (CTP515, CTP404, CTP528; sorted
    /// slices 20, 32, 44, picked by pydicom's z): the CTP404 slice is found and its plug medians agree
    /// with the full series' within 1 HU.
    func testCatPhanThreeModulesFindTheLinearitySlice() throws {
        let qct = try releaseQCT()
        let phantoms = Self.repo.appendingPathComponent("Phantoms").path
        let scan = QCTRunner.fixtures.appendingPathComponent("catphan/High quality head").path
        let three = root.appendingPathComponent("three")
        let pick = try QCTRunner.runTool(QCTRunner.python, ["-c", """
            import pydicom, glob, os, shutil, sys
            ds = [(pydicom.dcmread(f, stop_before_pixels=True), f) for f in glob.glob(sys.argv[1] + '/*.dcm')]
            fs = sorted((float(d.ImagePositionPatient[2]), f) for d, f in ds if 'ImagePositionPatient' in d)
            os.makedirs(sys.argv[2])
            for k in (20, 32, 44): shutil.copy(fs[k][1], sys.argv[2])
            """, scan, three.path])
        XCTAssertEqual(pick.status, 0, pick.stderr)
        func medians(_ path: String) throws -> ([String: Double], [String: Any]) {
            let r = try QCTRunner.runTool(qct, ["calibrate", path, "--phantom", "catphan504-ctp404", "--json", "--phantoms", phantoms])
            XCTAssertEqual(r.status, 0, r.stdout)
            let result = try json(r.stdout)
            let rods = try XCTUnwrap(result["rods"] as? [[String: Any]])
            XCTAssertEqual(rods.count, 7)
            var out: [String: Double] = [:]
            for rod in rods { out[rod["name"] as? String ?? "?"] = rod["medianHU"] as? Double }
            return (out, result)
        }
        let (full, _) = try medians(scan)
        let (reduced, result) = try medians(three.path)
        // The linearity module is the middle of the three slices (index 1).
        XCTAssertEqual(result["slices"] as? [Int], [1, 1])
        for (name, m) in full {
            XCTAssertEqual(try XCTUnwrap(reduced[name]), m, accuracy: 1, "\(name): three slices \(reduced[name] ?? .nan), full \(m) HU")
        }
    }

    /// An MR image (pydicom's MR_small) is refused by every command that needs CT, with one line naming it.
    func testOtherModalitiesAreRefused() throws {
        let qct = try releaseQCT()
        let phantoms = Self.repo.appendingPathComponent("Phantoms").path
        let mr = QCTRunner.fixtures.appendingPathComponent("dicom/pydicom/MR_small.dcm").path
        for args in [["calibrate", mr, "--phantom", "mindways-model3-ct"], ["measure", mr, "--esp"]] {
            let r = try QCTRunner.runTool(qct, args + ["--phantoms", phantoms])
            XCTAssertEqual(r.status, 2, "\(args[0]): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").map(String.init), ["\(mr): modality MR, not CT"], args[0])
            XCTAssertTrue(r.stdout.isEmpty, r.stdout)
        }
    }

    func testNoPhantomBadIdAndManualROIs() throws {
        let qct = try releaseQCT()
        let phantoms = Self.repo.appendingPathComponent("Phantoms").path
        let ct = QCTRunner.fixtures.appendingPathComponent("dicom/pydicom/CT_small.dcm").path
        // A real CT with no phantom: "not found" is a result (exit 4, status fail, no rods), never rods that are not there.
        let none = try QCTRunner.runTool(qct, ["calibrate", ct, "--phantom", "mindways-model3-ct", "--phantoms", phantoms])
        XCTAssertEqual(none.status, 4, none.stdout + none.stderr)
        XCTAssertTrue(none.stdout.contains("no Mindways Model 3 CT calibration phantom (5 rods) found"), none.stdout)
        XCTAssertFalse(none.stdout.contains("PASS  rods found"), none.stdout)
        let noneJSON = try QCTRunner.runTool(qct, ["calibrate", ct, "--phantom", "mindways-model3-ct", "--phantoms", phantoms, "--json"])
        XCTAssertEqual(noneJSON.status, 4)
        let noneResult = try json(noneJSON.stdout)
        XCTAssertEqual(noneResult["status"] as? String, "fail")
        XCTAssertEqual((noneResult["rods"] as? [Any])?.count, 0)
        XCTAssertTrue(noneResult["fit"] is NSNull || noneResult["fit"] == nil)
        XCTAssertTrue((noneResult["notFound"] as? String ?? "").contains("found"), "\(noneResult)")
        let bad = try QCTRunner.runTool(qct, ["calibrate", ct, "--phantom", "nope", "--phantoms", phantoms])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("unknown phantom \"nope\""), bad.stderr)
        // Manual ROIs at the true rod centres (names from the certificate) replace detection.
        let dir = root.appendingPathComponent("pad")
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "pad", "--out", dir.path, "--phantoms", phantoms, "--matrix", "256",
                                                   "--pixel-spacing", "1.8", "--slices", "10", "--thickness", "3", "--spacing", "3"]).status, 0)
        let truth = try json(String(decoding: try Data(contentsOf: dir.appendingPathComponent("truth.json")), as: UTF8.self))
        let inserts = try XCTUnwrap(truth["inserts"] as? [[String: Any]])
        let rois = ["rods": inserts.map { ["name": $0["name"] as? String ?? "", "centerMM": $0["centerMM"] as? [Double] ?? [], "radiusMM": 5.0] }]
        let roiFile = root.appendingPathComponent("rois.json")
        try JSONSerialization.data(withJSONObject: rois).write(to: roiFile)
        let manual = try QCTRunner.runTool(qct, ["calibrate", dir.path, "--phantom", "mindways-model3-ct", "--phantoms", phantoms,
                                                 "--rois", roiFile.path, "--json", "--overlay", root.appendingPathComponent("o.svg").path])
        XCTAssertEqual(manual.status, 0, manual.stdout)
        let result = try json(manual.stdout)
        XCTAssertTrue((result["rois"] as? String ?? "").hasPrefix("manual"))
        let fit = try XCTUnwrap(result["fit"] as? [String: Any])
        let tcal = try XCTUnwrap(truth["calibration"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(fit["sigmaCT"] as? Double), try XCTUnwrap(tcal["sigmaCT"] as? Double), accuracy: 0.01)
        let svg = try String(contentsOf: root.appendingPathComponent("o.svg"), encoding: .utf8)
        // Each rod outlined on the slice and again in its zoomed tile.
        XCTAssertEqual(svg.components(separatedBy: "<ellipse class=\"roi\"").count - 1, 10, "two outlines per rod")
        XCTAssertEqual(svg.components(separatedBy: "stroke-width=\"1\"/>").count - 1, 5, "one outline per rod on the slice")
        XCTAssertTrue(svg.contains("data:image/png;base64,"))
    }

    func testAMissingRodFailsTheCheckByName() throws {
        let qct = try releaseQCT()
        // A pad whose rod C is absent: the scanner renders the body resin where the rod should be.
        let broken = root.appendingPathComponent("phantoms-broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        let shipped = Self.repo.appendingPathComponent("Phantoms")
        for f in try FileManager.default.contentsOfDirectory(atPath: shipped.path) where f.hasSuffix(".json") {
            try FileManager.default.copyItem(at: shipped.appendingPathComponent(f), to: broken.appendingPathComponent(f))
        }
        let padFile = broken.appendingPathComponent("mindways-model3-ct.json")
        var pad = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: padFile)) as? [String: Any])
        var inserts = try XCTUnwrap(pad["inserts"] as? [[String: Any]])
        let c = try XCTUnwrap(inserts.firstIndex { $0["name"] as? String == "C" })
        inserts[c]["composition"] = ["material": "water-equivalent-resin"]
        pad["inserts"] = inserts
        try JSONSerialization.data(withJSONObject: pad).write(to: padFile)
        let dir = root.appendingPathComponent("scan")
        let sim = try QCTRunner.runTool(qct, ["simulate", "pad", "--out", dir.path, "--phantoms", broken.path, "--matrix", "320",
                                              "--pixel-spacing", "1.4", "--slices", "12", "--thickness", "3", "--spacing", "3"])
        XCTAssertEqual(sim.status, 0, sim.stderr)
        let r = try QCTRunner.runTool(qct, ["calibrate", dir.path, "--phantom", "mindways-model3-ct", "--phantoms", shipped.path, "--json"])
        XCTAssertEqual(r.status, 4, r.stdout)
        let result = try json(r.stdout)
        let checks = try XCTUnwrap(result["checks"] as? [[String: Any]])
        let found = try XCTUnwrap(checks.first { $0["name"] as? String == "rods found" })
        XCTAssertEqual(found["status"] as? String, "fail")
        XCTAssertTrue((found["detail"] as? String ?? "").contains("not found:"), "\(found)")
        XCTAssertEqual(result["status"] as? String, "fail")
    }
}
