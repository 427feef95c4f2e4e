import Foundation
import XCTest

/// A physicist's own phantom file, added with `--phantoms DIR` to the built-in
/// catalog: two short HA calibration rods (a water-equivalent one and
/// 200 mg HA/cm³, 20 mm along z, as in a QRM thorax phantom) beside a bright
/// spine insert. The rods are found in the slices where they are, the
/// two-rod fit passes only on its bands and says that its quality could not be
/// checked, and where noise hides a rod the result is "not found", never a
/// calibration taken from the spine insert.
final class ShortInsertTests: XCTestCase {
    static let phantom = """
    {"schema": "qct-phantom/1", "id": "thorax-two-rods", "name": "Thorax phantom with two short HA calibration rods",
     "calibration": "linear", "certificateQuantities": ["HA"], "positionToleranceMM": 10,
     "body": {"shape": {"kind": "ellipticCylinder", "center": [0, 0], "semiAxes": [150, 100], "z": [-60, 60]},
              "composition": {"material": "polystyrene"}},
     "inserts": [
      {"name": "spine", "role": "structure", "shape": {"kind": "cylinder", "center": [0, 55], "radius": 16, "z": [-60, 60]},
       "composition": {"matrix": "water-equivalent-resin", "parts": [{"material": "hydroxyapatite", "mgPerCm3": 400}]}},
      {"name": "W", "role": "rod", "shape": {"kind": "cylinder", "center": [-70, 60], "radius": 6, "z": [-10, 10]},
       "composition": {"matrix": "water", "parts": [{"material": "hydroxyapatite", "mgPerCm3": "certificate:HA"}]}},
      {"name": "HA200", "role": "rod", "shape": {"kind": "cylinder", "center": [70, 60], "radius": 6, "z": [-10, 10]},
       "composition": {"matrix": "water", "parts": [{"material": "hydroxyapatite", "mgPerCm3": "certificate:HA"}]}}],
     "layout": {"arrangement": "cluster", "rodDiameterMM": [8, 16], "maxSpanMM": 200, "toleranceMM": 5, "minLengthMM": 10},
     "gates": {"slope": [0.2, 1.6], "intercept": [15, 30], "source": "HA in a water base"},
     "sources": ["a physicist's own file for a thorax phantom's two calibration rods"]}
    """
    static let certificate = """
    {"schema": "qct-certificate/1", "phantom": "thorax-two-rods", "serial": "T-1", "source": "test certificate",
     "values": {"W": {"HA": 0}, "HA200": {"HA": 200}}}
    """
    static let scenes = """
    {"schema": "qct-scenes/1", "scenes": [{"name": "thorax-two-rods", "description": "two short HA rods in a thorax phantom",
     "phantoms": [{"id": "thorax-two-rods", "offset": [0, 0, 0]}]}]}
    """

    func testTwoShortRodsAreFoundWhereTheyAreAndNeverTakenFromTheSpine() throws {
        let qct = try QCTRunner.releaseQCT()
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let own = root.appendingPathComponent("phantoms")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        try Self.phantom.write(to: own.appendingPathComponent("thorax.json"), atomically: true, encoding: .utf8)
        try Self.certificate.write(to: own.appendingPathComponent("certificate-thorax.json"), atomically: true, encoding: .utf8)
        try Self.scenes.write(to: own.appendingPathComponent("scenes-thorax.json"), atomically: true, encoding: .utf8)
        func scan(noise: Double) throws -> (result: [String: Any], truth: [String: Any], status: Int32) {
            let dir = root.appendingPathComponent("scan-\(noise)").path
            let sim = try QCTRunner.runTool(qct, ["simulate", "thorax-two-rods", "--phantoms", own.path, "--out", dir, "--slices", "20",
                                                  "--thickness", "3", "--spacing", "3", "--scanner", "QCT2", "--matrix", "512",
                                                  "--pixel-spacing", "0.8", "--noise", String(noise)])
            XCTAssertEqual(sim.status, 0, sim.stderr)
            let run = try QCTRunner.runTool(qct, ["calibrate", dir, "--phantom", "thorax-two-rods", "--phantoms", own.path, "--json"])
            let truth = try QCTRunner.json(try String(contentsOfFile: dir + "/truth.json", encoding: .utf8))
            return (try QCTRunner.json(run.stdout), truth, run.status)
        }
        // The catalog keeps the shipped phantoms beside the user's.
        let list = try QCTRunner.runTool(qct, ["phantoms", "--phantoms", own.path])
        XCTAssertTrue(list.stdout.contains("thorax-two-rods") && list.stdout.contains("mindways-model3-ct"), list.stdout)

        let clear = try scan(noise: 6)
        XCTAssertEqual(clear.status, 0)
        XCTAssertEqual(clear.result["status"] as? String, "pass")
        let rods = try XCTUnwrap(clear.result["rods"] as? [[String: Any]])
        let inserts = try XCTUnwrap(clear.truth["inserts"] as? [[String: Any]])
        let geometry = try XCTUnwrap(clear.truth["geometry"] as? [String: Any])
        let z0 = try XCTUnwrap(geometry["firstSliceZMM"] as? Double), dz = try XCTUnwrap(geometry["sliceSpacingMM"] as? Double)
        for rod in rods {
            let name = try XCTUnwrap(rod["name"] as? String)
            let truth = try XCTUnwrap(inserts.first { $0["name"] as? String == name })
            let c = try XCTUnwrap(rod["centerMM"] as? [Double]), t = try XCTUnwrap(truth["centerMM"] as? [Double])
            XCTAssertLessThan(hypot(c[0] - t[0], c[1] - t[1]), 1.5, "\(name) at \(c), truly at \(t)")
            // Every slice measured lies inside the rod's 20 mm (z −10 … +10).
            let range = try XCTUnwrap(rod["sliceRange"] as? [Int])
            for k in range[0]...range[1] { XCTAssertTrue((-10.0...10.0).contains(z0 + Double(k) * dz), "\(name) slice \(k)") }
            let hu = try XCTUnwrap(rod["meanHU"] as? Double), trueHU = try XCTUnwrap(truth["trueHU"] as? Double)
            XCTAssertEqual(hu, trueHU, accuracy: 2, name)
        }
        let checks = try XCTUnwrap(clear.result["checks"] as? [[String: Any]])
        XCTAssertTrue(checks.contains { ($0["name"] as? String) == "fit quality" && ($0["detail"] as? String ?? "").contains("not checked") })
        let fit = try XCTUnwrap(clear.result["fit"] as? [String: Any])
        let tcal = try XCTUnwrap(clear.truth["calibration"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(fit["slope"] as? Double), try XCTUnwrap(tcal["slope"] as? Double), accuracy: 0.01)

        // At the scanner's own noise a 19 HU rod 20 mm long may stay hidden: then it is not found, never a pass.
        let noisy = try scan(noise: 14)
        if noisy.result["status"] as? String == "pass" {
            for rod in try XCTUnwrap(noisy.result["rods"] as? [[String: Any]]) {
                let c = try XCTUnwrap(rod["centerMM"] as? [Double])
                XCTAssertGreaterThan(abs(c[0]), 50, "a rod ROI in the spine insert: \(rod)")
            }
        } else {
            XCTAssertEqual(noisy.status, 4)
            XCTAssertTrue((noisy.result["rods"] as? [Any])?.isEmpty ?? false)
        }
    }
}
