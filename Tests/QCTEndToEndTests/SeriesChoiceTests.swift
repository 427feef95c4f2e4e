import Foundation
import XCTest

/// A folder with two series: a pad alone (the larger) and the ESP on a pad. Measure uses the one that
/// holds the ESP and says so; `--series` takes a UID or a unique ending of it; inspect shows when and what.
final class SeriesChoiceTests: XCTestCase {
    func testTheSeriesThatHoldsThePhantomAndSeriesByUID() throws {
        let qct = try QCTRunner.releaseQCT()
        let phantoms = SimulateCommandTests.repo.appendingPathComponent("Phantoms").path
        let dir = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = dir.appendingPathComponent("two")
        for (scene, slices, seed) in [("pad", "70", "5"), ("esp-on-pad", "50", "6")] {
            let r = try QCTRunner.runTool(qct, ["simulate", scene, "--out", folder.appendingPathComponent(scene).path, "--slices", slices,
                                                "--seed", seed, "--phantoms", phantoms])
            XCTAssertEqual(r.status, 0, r.stderr)
            try FileManager.default.removeItem(at: folder.appendingPathComponent(scene).appendingPathComponent("truth.json"))
        }

        // Inspect: acquisition date and series description, in JSON and text.
        let inspect = try QCTRunner.runTool(qct, ["inspect", folder.path, "--json"])
        let series = try XCTUnwrap((try QCTRunner.json(inspect.stdout))["series"] as? [[String: Any]])
        XCTAssertEqual(series.count, 2)
        XCTAssertEqual(Set(series.compactMap { $0["seriesDescription"] as? String }), ["pad QCT1", "esp-on-pad QCT1"])
        XCTAssertEqual(Set(series.compactMap { $0["acquisitionDateTime"] as? String }), ["2026-01-01T08:00:00"])
        let text = try QCTRunner.runTool(qct, ["inspect", folder.path])
        XCTAssertTrue(text.stdout.contains("acquired") && text.stdout.contains("description") && text.stdout.contains("esp-on-pad QCT1"), text.stdout)
        let padUID = try XCTUnwrap(series.first { $0["sliceCount"] as? Int == 70 }?["seriesInstanceUID"] as? String)
        let espUID = try XCTUnwrap(series.first { $0["sliceCount"] as? Int == 50 }?["seriesInstanceUID"] as? String)

        // Measure: the larger series holds no ESP; the other is used, and the note says which and why.
        let measured = try QCTRunner.runTool(qct, ["measure", folder.path, "--esp", "--json", "--phantoms", phantoms])
        let report = try QCTRunner.json(measured.stdout)
        XCTAssertEqual((report["series"] as? [String: Any])?["seriesInstanceUID"] as? String, espUID,
                       measured.stderr)
        XCTAssertTrue(measured.stderr.contains("note: 2 CT series in \(folder.path); used …\(espUID.suffix(27))"), measured.stderr)
        XCTAssertTrue(measured.stderr.contains("the largest that holds the European Spine Phantom"), measured.stderr)
        let readings = try XCTUnwrap(report["vertebrae"] as? [[String: Any]])
        XCTAssertTrue(readings.contains { $0["meanHU"] is Double }, measured.stdout)

        // --series by a unique ending: the pad alone, as asked (and so no vertebra).
        let asked = try QCTRunner.runTool(qct, ["measure", folder.path, "--esp", "--json", "--series", String(padUID.suffix(10)),
                                                "--phantoms", phantoms])
        XCTAssertEqual(asked.status, 4, asked.stderr)
        XCTAssertFalse(asked.stderr.contains("note:"), asked.stderr)
        let askedReadings = try XCTUnwrap((try QCTRunner.json(asked.stdout))["vertebrae"] as? [[String: Any]])
        XCTAssertFalse(askedReadings.contains { $0["meanHU"] is Double }, asked.stdout)

        // Calibrate by the full UID; a UID that names nothing is one line and exit 2.
        let calibrated = try QCTRunner.runTool(qct, ["calibrate", folder.path, "--phantom", "mindways-model3-ct", "--series", padUID,
                                                     "--phantoms", phantoms])
        XCTAssertEqual(calibrated.status, 0, calibrated.stderr)
        let none = try QCTRunner.runTool(qct, ["calibrate", folder.path, "--phantom", "mindways-model3-ct", "--series", "1.2.3.999",
                                               "--phantoms", phantoms])
        XCTAssertEqual(none.status, 2)
        XCTAssertEqual(none.stderr.split(separator: "\n").count, 1, none.stderr)
        XCTAssertTrue(none.stderr.hasPrefix("\(folder.path): no series 1.2.3.999; series here: "), none.stderr)
    }
}
