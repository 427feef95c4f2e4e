import Foundation
import QCTCore
import QCTQualityControl
import QCTStatistics
import QCTStorage
import XCTest

/// The history store on its own, on both backends (SQLite in memory, PostgreSQL), with a fixed
/// clock: what it keeps, that it judges through the pure judge, and that the same series is stored once.
final class StoreTests: XCTestCase {
    let scanner = ScannerIdentity(manufacturer: "Maker", model: "M1", stationName: "CT-A", deviceSerialNumber: "SN-1")

    func input(_ day: Int, _ value: Double) -> QCResultInput {
        QCResultInput(scanner: scanner, protocolKey: "120 kV, kernel B30f", kind: "mindways-model3-ct", phantom: "mindways-model3-ct",
                      certificate: "4541A", acquired: String(format: "2026-03-%02dT08:00:00", day), seriesInstanceUID: "1.2.3.\(day)",
                      analysisVersion: "test", source: "day \(day)", calibrationStatus: "pass", provenance: "{}",
                      metrics: [QCMetric(name: "sigmaCT", unit: "HU per mg/cm3", value: value, percentLimit: 0.015)])
    }

    func testAFixedClockStampsWhatIsStoredAndTheJudgeGivesTheJudgement() throws {
        let fixed = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z
        for (name, store) in try StoreBackends.both(QCClock { fixed }) {
        XCTAssertEqual(store.clock.iso(), "2026-05-28T20:26:40Z")
        let values = [0.94, 0.95, 0.93]
        for (d, v) in values.enumerated() {
            guard case .stored(let r) = try store.record(input(d + 1, v), baselineSize: 3, cusumH: 5) else { return XCTFail("not stored") }
            XCTAssertEqual(r.state, .baseline)
            XCTAssertEqual(r.baselineProgress, [d + 1, 3])
        }
        // Day 4: judged under the baseline of days 1–3, exactly as the judge alone judges it.
        guard case .stored(let fourth) = try store.record(input(4, 0.97), baselineSize: 3, cusumH: 5) else { return XCTFail("not stored") }
        let alone = QCJudge.judge(input(4, 0.97).metrics, baseline: ["sigmaCT": BaselineStatistic(values: values)],
                                  history: [:], cusumH: 5)
        XCTAssertEqual(fourth.metrics, alone.metrics)
        XCTAssertEqual(fourth.state, alone.state)
        // 0.97 is 3.2 % above 0.94: the ±1.5 % Shewhart limit fires.
        XCTAssertTrue(fourth.fired.contains("sigmaCT: Shewhart"), "\(fourth.fired)")
        // The same series again: nothing stored, and when the first was recorded is reported.
        guard case .duplicate(let at, let label, _) = try store.record(input(4, 0.97), baselineSize: 3, cusumH: 5) else {
            return XCTFail("a second copy was stored")
        }
        XCTAssertEqual(at, "2026-05-28T20:26:40Z")
        XCTAssertEqual(label, "CT-A")
        XCTAssertEqual(try store.points(scanner: "CT-A", metric: "sigmaCT").count, 4, name)
        }
    }

    func testAServiceEventStartsANewBaselineStampedByTheClock() throws {
        for (name, store) in try StoreBackends.both(QCClock { Date(timeIntervalSince1970: 0) }) {
        for d in 1...4 { _ = try store.record(input(d, 0.94 + Double(d % 2) * 0.01), baselineSize: 3, cusumH: 5) }
        let (event, scopes) = try store.addEvent(scanner: "SN-1", at: "2026-03-10", description: "tube replaced", baselineSize: 3)
        XCTAssertEqual(scopes, 1)
        XCTAssertEqual(event.scanner, "CT-A")
        guard case .stored(let after) = try store.record(input(11, 1.2), baselineSize: 3, cusumH: 5) else { return XCTFail("not stored") }
        XCTAssertEqual(after.state, .baseline, "a new baseline is collected after the event; 1.2 is not judged against the old one")
        XCTAssertEqual(after.baselineProgress, [1, 3], name)
        }
    }

    func testCrossCalibrationEquationsAreKeptOncePerSetOfScansAndVersioned() throws {
        for (name, store) in try StoreBackends.both(QCClock { Date(timeIntervalSince1970: 1_780_000_000) }) {
            func equation(_ series: [String], _ to: String, _ slope: Double) -> QCCrossCalibration {
                QCCrossCalibration(scanner: "CT-A", identity: scanner, from: "2026-03-01T08:00:00", to: to, target: "nominal", intercept: 2.5,
                                   slope: slope, r: 0.9999, points: 3, unit: "mg K2HPO4/cm3", targetUnit: "mg HA/cm3", analysisVersion: "test",
                                   series: series)
            }
            let audit = QCAuditEntry(at: "t", user: "ann", action: "record cross-calibration", detail: "")
            let (first, stored) = try store.recordCrossCalibration(equation(["1.2", "1.1"], "2026-03-05T08:00:00", 0.98), audit: audit)
            XCTAssertTrue(stored, name)
            XCTAssertEqual(first.version, 1, name)
            // The same scans (in another order) again: the version kept before, nothing new, no audit entry.
            let (again, storedAgain) = try store.recordCrossCalibration(equation(["1.1", "1.2"], "2026-03-05T08:00:00", 0.98), audit: audit)
            XCTAssertFalse(storedAgain, name)
            XCTAssertEqual(again.id, first.id, name)
            let (second, _) = try store.recordCrossCalibration(equation(["2.1", "2.2"], "2026-06-05T08:00:00", 1.02), audit: audit)
            XCTAssertEqual(second.version, 2, name)
            XCTAssertEqual(try store.crossCalibrations(scanner: "CT-A").map(\.version), [2, 1], name)
            XCTAssertEqual(try store.crossCalibrations(scanner: "SN-1").first?.slope, 1.02, name)
            XCTAssertEqual(try store.auditLog(limit: 10).count, 2, name)
            XCTAssertEqual(second.equation, "nominal = (CT-A reading − 2.5000) / 1.02000", name)
            // An undefined fit is refused.
            XCTAssertThrowsError(try store.recordCrossCalibration(equation(["3.1"], "2026-07-01T08:00:00", 0), audit: nil), name)
        }
    }
}
