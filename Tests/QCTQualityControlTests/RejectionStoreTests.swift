import Foundation
import QCTCore
import QCTQualityControl
import QCTStatistics
import QCTStorage
import QCTPostgres
import XCTest

/// Rejecting a stored result: it is kept with who, when and why, and stops counting — in the
/// baseline it belonged to (recomputed without it; the expected mean and SD are computed here
/// from the values), in later results' rule windows, in the charts and the scanner's state.
/// Each change and its audit entry are one transaction.
final class RejectionStoreTests: XCTestCase {
    let scanner = ScannerIdentity(manufacturer: "Maker", model: "M1", stationName: "CT-A", deviceSerialNumber: "SN-1")

    func input(_ day: Int, _ value: Double, limit: Double? = 0.015) -> QCResultInput {
        QCResultInput(scanner: scanner, protocolKey: "120 kV, kernel B30f", kind: "mindways-model3-ct", phantom: "mindways-model3-ct",
                      certificate: "4541A", acquired: String(format: "2026-03-%02dT08:00:00", day), seriesInstanceUID: "1.2.3.\(day)",
                      analysisVersion: "test", source: "day \(day)", calibrationStatus: "pass", provenance: "{}",
                      metrics: [QCMetric(name: "sigmaCT", unit: "HU per mg/cm3", value: value, percentLimit: limit)])
    }

    /// Runs `body` on each backend (StoreBackends), naming it in any failure.
    func eachStore(_ body: (any SQLHistoryBackend) throws -> Void) throws {
        for (name, db) in try StoreBackends.both(QCClock { Date(timeIntervalSince1970: 1_780_000_000) }) {
            do { try body(db) } catch { XCTFail("\(name): \(error)") }
        }
    }

    func stored(_ outcome: QCRecordOutcome) throws -> QCStoredResult {
        guard case .stored(let r) = outcome else { throw XCTSkip("not stored") }
        return r
    }

    func entry(_ what: String) -> QCAuditEntry { QCAuditEntry(at: "2026-05-28T20:26:40Z", user: "ann", action: what, detail: "test") }

    func testARejectedBaselineMemberLeavesTheBaselineWhichIsRecomputedWithoutIt() throws {
        try eachStore { db in
            let values = [0.94, 0.95, 0.99, 0.93]  // day 3: the phantom was misplaced
            var ids: [Int64] = []
            for (d, v) in values.enumerated() { ids.append(try stored(try db.record(input(d + 1, v), baselineSize: 4, cusumH: 5)).id) }
            let rejection = try db.reject(resultID: ids[2], by: "ann", reason: "phantom misplaced", audit: entry("reject result"))
            XCTAssertEqual(rejection.scanner, "CT-A")
            XCTAssertEqual(rejection.state, .baseline)
            // The next result is judged against days 1, 2 and 4 only: mean 0.94, SD (n − 1) 0.01, as the
            // judge alone judges it under a baseline of those three.
            let kept = [0.94, 0.95, 0.93]
            let mean = kept.reduce(0, +) / 3
            let sd = (kept.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
            XCTAssertEqual(BaselineStatistic(values: kept).sd, sd, accuracy: 1e-15)
            let fifth = try stored(try db.record(input(5, 0.945), baselineSize: 4, cusumH: 5))
            let alone = QCJudge.judge(input(5, 0.945).metrics, baseline: ["sigmaCT": BaselineStatistic(values: kept)], history: [:], cusumH: 5)
            XCTAssertEqual(try XCTUnwrap(fifth.metrics[0].target), mean, accuracy: 1e-12)
            XCTAssertEqual(fifth.metrics, alone.metrics)
            // It is kept, listed, audited, and no longer drawn; rejecting it again is refused.
            XCTAssertEqual(try db.rejections(scanner: "CT-A").map(\.resultID), [ids[2]])
            XCTAssertEqual(try db.rejections(scanner: "CT-A").first?.reason, "phantom misplaced")
            XCTAssertEqual(try db.points(scanner: "CT-A", metric: "sigmaCT").map(\.value), [0.94, 0.95, 0.93, 0.945])
            XCTAssertEqual(try db.auditLog(limit: 10).map(\.action), ["reject result"])
            XCTAssertThrowsError(try db.reject(resultID: ids[2], by: "ann", reason: "again", audit: nil)) {
                XCTAssertTrue("\($0)".contains("already rejected"), "\($0)")
            }
            XCTAssertThrowsError(try db.reject(resultID: ids[1], by: "ann", reason: "  ", audit: nil))
            XCTAssertThrowsError(try db.reject(resultID: 999, by: "ann", reason: "no such", audit: nil))
        }
    }

    func testARejectionWhileTheBaselineCollectsNeedsAnotherScan() throws {
        try eachStore { db in
            _ = try db.record(input(1, 0.94), baselineSize: 3, cusumH: 5)
            let second = try stored(try db.record(input(2, 0.99), baselineSize: 3, cusumH: 5))
            _ = try db.reject(resultID: second.id, by: "ann", reason: "scan repeated", audit: nil)
            XCTAssertEqual(try stored(try db.record(input(3, 0.95), baselineSize: 3, cusumH: 5)).baselineProgress, [2, 3])
            XCTAssertEqual(try stored(try db.record(input(4, 0.93), baselineSize: 3, cusumH: 5)).baselineProgress, [3, 3])
            let fifth = try stored(try db.record(input(5, 0.94), baselineSize: 3, cusumH: 5))
            XCTAssertEqual(try XCTUnwrap(fifth.metrics[0].target), (0.94 + 0.95 + 0.93) / 3, accuracy: 1e-12)
        }
    }

    func testARejectionThatWouldLeaveABaselineOfTwoIsRefusedAndChangesNothing() throws {
        try eachStore { db in
            var ids: [Int64] = []
            for (d, v) in [0.94, 0.95, 0.93].enumerated() { ids.append(try stored(try db.record(input(d + 1, v), baselineSize: 3, cusumH: 5)).id) }
            XCTAssertThrowsError(try db.reject(resultID: ids[0], by: "ann", reason: "misplaced", audit: entry("reject result"))) {
                XCTAssertTrue("\($0)".contains("fewer than 3"), "\($0)")
            }
            XCTAssertEqual(try db.rejections(scanner: nil).count, 0)
            XCTAssertEqual(try db.auditLog(limit: 10).count, 0, "the audit entry is rolled back with the refused change")
            XCTAssertEqual(try db.points(scanner: nil, metric: nil).count, 3)
        }
    }

    func testARejectedResultLeavesTheRuleWindowOfLaterResults() throws {
        // Baseline 0.94 ± 0.008165 (SD, n − 1); two results 2.5 SD high in a row fire 2₂s — unless
        // the first is rejected, when the second is only a 1₂s warning.
        let base = [0.94, 0.95, 0.93, 0.94]
        let mean = base.reduce(0, +) / 4
        // The SD the rules use: the baseline's, widened for a baseline of 4 (ControlLimits.sdFactor).
        let sd = QCJudge.limits(input(5, 0, limit: nil).metrics[0], BaselineStatistic(values: base), cusumH: 50).sd
        let high = mean + 2.5 * sd
        for reject in [false, true] {
            try eachStore { db in
                for (d, v) in base.enumerated() { _ = try db.record(input(d + 1, v, limit: nil), baselineSize: 4, cusumH: 50) }
                let first = try stored(try db.record(input(5, high, limit: nil), baselineSize: 4, cusumH: 50))
                XCTAssertEqual(first.state, .warning)
                if reject { _ = try db.reject(resultID: first.id, by: "ann", reason: "phantom misplaced", audit: nil) }
                let second = try stored(try db.record(input(6, high, limit: nil), baselineSize: 4, cusumH: 50))
                XCTAssertEqual(second.state, reject ? .warning : .outOfControl)
                XCTAssertEqual(second.fired.contains("sigmaCT: 2_2s"), !reject, "\(second.fired)")
                // The scanner's latest result is the second either way; with the first rejected it is the only one after the baseline.
                XCTAssertEqual(try db.latestResults().map(\.id), [second.id])
            }
        }
    }

    func testTheLatestResultOfAScannerIsTheLastOneNotRejected() throws {
        try eachStore { db in
            let a = try stored(try db.record(input(1, 0.94), baselineSize: 5, cusumH: 5))
            let b = try stored(try db.record(input(2, 0.95), baselineSize: 5, cusumH: 5))
            XCTAssertEqual(try db.latestResults().map(\.id), [b.id])
            _ = try db.reject(resultID: b.id, by: "ann", reason: "wrong protocol", audit: nil)
            XCTAssertEqual(try db.latestResults().map(\.id), [a.id])
            XCTAssertEqual(try db.latestResults().first?.baselineProgress, [1, 5])
        }
    }

    func testEachChangeAndItsAuditEntryAreOneTransaction() throws {
        try eachStore { db in
            for (d, v) in [0.94, 0.95, 0.93].enumerated() { _ = try db.record(input(d + 1, v), baselineSize: 3, cusumH: 5) }
            XCTAssertThrowsError(try db.setBaseline(scanner: "CT-A", from: "2027-01-01", to: "2027-01-31", audit: entry("set baseline")))
            XCTAssertThrowsError(try db.addEvent(scanner: "CT-Z", at: "2026-03-10", description: "x", baselineSize: 3, audit: entry("add event")))
            XCTAssertEqual(try db.auditLog(limit: 10).count, 0)
            _ = try db.setBaseline(scanner: "CT-A", from: "2026-03-01", to: "2026-03-03", audit: entry("set baseline"))
            let (event, _) = try db.addEvent(scanner: "CT-A", at: "2026-03-10", description: "tube", baselineSize: 3, audit: entry("add event"))
            _ = try db.deleteEvent(id: try XCTUnwrap(event.id), reason: "wrong scanner", audit: entry("delete event"))
            XCTAssertEqual(try db.auditLog(limit: 10).map(\.action), ["delete event", "add event", "set baseline"])
        }
    }

    func testAnOverlayPictureIsKeptForTheMostRecentResultsOnly() throws {
        try eachStore { db in
            var ids: [Int64] = []
            for d in 0..<(QCDatabase.picturesKept + 3) {
                var i = input(1, 0.94)
                i.acquired = String(format: "2026-%02d-%02dT08:00:00", 1 + d / 28, 1 + d % 28)
                i.seriesInstanceUID = "1.2.9.\(d)"
                i.picture = Array("<svg>\(d)</svg>".utf8)
                ids.append(try stored(try db.record(i, baselineSize: 3, cusumH: 5)).id)
            }
            XCTAssertEqual(try db.picture(resultID: ids.last!).map { String(decoding: $0, as: UTF8.self) }, "<svg>\(ids.count - 1)</svg>")
            XCTAssertNil(try db.picture(resultID: ids[2]))
            XCTAssertNotNil(try db.picture(resultID: ids[3]))
        }
    }
}
