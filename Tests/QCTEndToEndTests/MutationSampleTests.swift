import Foundation
import QCTTestSupport
import XCTest

/// A sample of the whole-series mutation run (`make mutate` runs 10,000): damaged copies of
/// simulated and real series through inspect, calibrate, measure and qc record. No crash, no hang,
/// every refusal names its file, no NaN in the output and every QC database intact.
final class MutationSampleTests: XCTestCase {
    func testFortyMutantsOfRealAndSimulatedSeries() throws {
        let root = try TestRepository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try QCTRunner.runTool(QCTRunner.python, [TestRepository.root.appendingPathComponent("Scripts/mutate_series.py").path,
                                                           try QCTRunner.releaseQCT(), TestRepository.phantoms.path,
                                                           TestRepository.fixtures.path, root.path, "--count", "40", "--seed", "5"],
                                        timeout: 900)
        let summary = try QCTRunner.json(run.stdout)
        XCTAssertEqual(run.status, 0, "\(summary["failures"] ?? run.stderr)")
        XCTAssertEqual(summary["mutants"] as? Int, 40)
        XCTAssertEqual(summary["runs"] as? Int, 160)
        XCTAssertEqual((summary["failures"] as? [Any])?.count, 0)
        let databases = try XCTUnwrap(summary["databases"] as? [String: String])
        XCTAssertFalse(databases.isEmpty)
        XCTAssertTrue(databases.values.allSatisfy { $0 == "ok" }, "\(databases)")
        // The sample reaches several kinds of damage, and qct both used and refused inputs.
        XCTAssertGreaterThanOrEqual((summary["operators"] as? [String: Int])?.count ?? 0, 6)
        let exits = try XCTUnwrap(summary["exit"] as? [String: Int])
        XCTAssertNotNil(exits["inspect: 0"])
        XCTAssertNotNil(exits["inspect: 1"])
    }
}
