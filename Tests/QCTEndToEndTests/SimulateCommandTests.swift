import Foundation
import QCTTestSupport
import XCTest

/// `qct simulate` end to end: every scene reads cleanly in qct, DCMTK and
/// pydicom, and truth.json agrees with an independent computation (xraydb).
final class SimulateCommandTests: XCTestCase {
    var root: URL!
    static let repo = TestRepository.root
    var phantoms: String { Self.repo.appendingPathComponent("Phantoms").path }

    override func setUpWithError() throws { root = try QCTRunner.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    func simulate(_ scene: String, _ extra: [String] = []) throws -> URL {
        let dir = root.appendingPathComponent(scene)
        let r = try QCTRunner.run(["simulate", scene, "--out", dir.path, "--phantoms", phantoms,
                                   "--matrix", "128", "--pixel-spacing", "3", "--slices", "3", "--thickness", "2",
                                   "--spacing", "2"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.crashed)
        return dir
    }

    func testEverySceneReadsCleanlyAndItsTruthHoldsIndependently() throws {
        for scene in ["esp-on-pad", "pad", "qa", "catphan", "qrm-bdc-3", "qrm-bdc-6"] {
            let dir = try simulate(scene, scene == "esp-on-pad" ? ["--scanner", "QCT2", "--rotate", "7", "--translate", "5,-8,2"] : [])
            // qct reads it: one series, no problems, nothing refused.
            let inspect = try QCTRunner.run(["inspect", dir.path, "--json"])
            XCTAssertEqual(inspect.status, 0, "\(scene): \(inspect.stderr)")
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
            let series = try XCTUnwrap(json["series"] as? [[String: Any]])
            XCTAssertEqual(series.count, 1, scene)
            XCTAssertEqual(series.first?["sliceCount"] as? Int, 3, scene)
            XCTAssertEqual(series.first?["problems"] as? [String], [], scene)
            XCTAssertEqual(series.first?["sliceSpacing"] as? Double ?? 0, 2, accuracy: 1e-9, scene)
            // DCMTK reads every file without a warning or error.
            for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".dcm") {
                let dump = try QCTRunner.runTool("/usr/bin/dcmdump", ["-dc", "+E", dir.appendingPathComponent(file).path])
                XCTAssertEqual(dump.status, 0, "\(scene)/\(file)")
                XCTAssertFalse(dump.stderr.contains("W:") || dump.stderr.contains("E:"), "\(scene)/\(file): \(dump.stderr)")
                XCTAssertFalse(dump.stdout.contains("W:") || dump.stdout.contains("E:"), "\(scene)/\(file)")
            }
            // pydicom reads it, and xraydb recomputes every insert's true HU.
            let check = try QCTRunner.runTool(QCTRunner.python, ["-W", "ignore",
                Self.repo.appendingPathComponent("Scripts/check_truth.py").path, phantoms, dir.path])
            XCTAssertEqual(check.status, 0, "\(scene): \(check.stderr)")
            let r = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any], check.stdout)
            XCTAssertEqual(r["files"] as? Int, 3, scene)
            XCTAssertEqual(r["rows"] as? Int, 128, scene)
            XCTAssertGreaterThan(r["inserts"] as? Int ?? 0, 2, scene)
            // The energies here sit on the committed table's 1 keV grid; what remains is
            // rounding of atomic masses and water's composition (≈ 0.015 HU seen).
            XCTAssertLessThan(try XCTUnwrap(r["max_true_hu_diff"] as? Double), 0.05, scene)
            XCTAssertEqual(try XCTUnwrap(r["pydicom_min_hu"] as? Double), -1000 * 1.0, accuracy: 120, "\(scene): air")
        }
    }

    func testRepeatWithRepositionWritesSeparateScans() throws {
        let dir = try simulate("pad", ["--repeat", "3", "--reposition", "--seed", "42"])
        let scans = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("scan-") }.sorted()
        XCTAssertEqual(scans, ["scan-001", "scan-002", "scan-003"])
        var poses: [[Double]] = []
        for s in scans {
            let data = try Data(contentsOf: dir.appendingPathComponent(s).appendingPathComponent("truth.json"))
            let truth = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let g = try XCTUnwrap(truth["geometry"] as? [String: Any])
            poses.append((g["translationMM"] as? [Double] ?? []) + [g["rotationDegrees"] as? Double ?? 0])
        }
        XCTAssertEqual(Set(poses.map { $0.description }).count, 3, "each scan is repositioned")
        for p in poses {
            XCTAssertLessThanOrEqual(abs(p[0]), 5)
            XCTAssertLessThanOrEqual(abs(p[2]), 3)
            XCTAssertLessThanOrEqual(abs(p[3]), 3)
        }
        let inspect = try QCTRunner.run(["inspect", dir.path])
        XCTAssertEqual(inspect.status, 0)
        XCTAssertTrue(inspect.stdout.contains("3 series, 0 file(s) refused"), inspect.stdout)
    }

    func testAFolderWithOtherContentIsNeverOverwritten() throws {
        let dir = root.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        let r = try QCTRunner.run(["simulate", "pad", "--out", dir.path, "--phantoms", phantoms, "--matrix", "16", "--slices", "1"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("not empty"), r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["notes.txt"])
        // An earlier simulation is replaced whole: 3 slices, then 2, leaves 2.
        _ = try simulate("pad")
        let again = try QCTRunner.run(["simulate", "pad", "--out", root.appendingPathComponent("pad").path, "--phantoms", phantoms,
                                       "--matrix", "16", "--slices", "2"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("pad").path).sorted(),
                       ["IM00001.dcm", "IM00002.dcm", "truth.json"])
    }

    func testUnknownSceneAndProfileAreRefused() throws {
        let a = try QCTRunner.run(["simulate", "moon", "--out", root.path, "--phantoms", phantoms])
        XCTAssertEqual(a.status, 2)
        XCTAssertTrue(a.stderr.contains("unknown scene \"moon\""), a.stderr)
        let b = try QCTRunner.run(["simulate", "pad", "--out", root.path, "--phantoms", phantoms, "--scanner", "X"])
        XCTAssertEqual(b.status, 2)
        XCTAssertTrue(b.stderr.contains("unknown scanner profile"), b.stderr)
    }

    /// Negative numbers are values, not options: `--offset -2.3`, `--translate -5,0,0`.
    func testNegativeNumbersWorkAsOptionValues() throws {
        let out = root.appendingPathComponent("negative")
        let r = try QCTRunner.run(["simulate", "pad", "--out", out.path, "--phantoms", phantoms, "--matrix", "64", "--pixel-spacing", "8",
                                   "--slices", "1", "--noise", "0", "--offset", "-2.3", "--translate", "-5,0,0", "--rotate", "-3",
                                   "--z-center", "-10"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let truth = try QCTRunner.json(try String(contentsOf: out.appendingPathComponent("truth.json"), encoding: .utf8))
        let scanner = try XCTUnwrap(truth["scanner"] as? [String: Any])
        XCTAssertEqual(scanner["huOffset"] as? Double, -2.3)
        let geometry = try XCTUnwrap(truth["geometry"] as? [String: Any])
        XCTAssertEqual((geometry["translationMM"] as? [Double])?.first, -5)
        XCTAssertEqual(geometry["rotationDegrees"] as? Double, -3)
        XCTAssertEqual(geometry["firstSliceZMM"] as? Double, -10)
    }
}
