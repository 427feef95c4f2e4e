import Foundation
import QCTCore
import QCTQualityControl

extension SQLHistoryBackend {
    public func recordCrossCalibration(_ equation: QCCrossCalibration, audit: QCAuditEntry?) throws(QCStoreError) -> (QCCrossCalibration, stored: Bool) {
        guard equation.intercept.isFinite, equation.slope.isFinite, equation.slope != 0, equation.r.isFinite else {
            throw QCStoreError("\(equation.scanner): the cross-calibration fit is not defined (slope \(equation.slope)); nothing kept")
        }
        return try write { db in
            let scannerID = try Self.scannerID(db, equation.identity)
            if let row = try db.row("SELECT * FROM crossCalibration WHERE scannerId = ? AND seriesKey = ? AND target = ?",
                                    [scannerID, equation.seriesKey, equation.target]) {
                return (Self.crossCalibration(row, label: equation.scanner, identity: equation.identity), false)
            }
            let version: Int = (try db.scalar("SELECT MAX(version) FROM crossCalibration WHERE scannerId = ?", [scannerID]) ?? 0) + 1
            let now = clock.iso()
            let id = try db.insert("""
                INSERT INTO crossCalibration (scannerId, version, fromDate, toDate, storedAt, target, intercept, slope, r, points, unit,
                  targetUnit, analysisVersion, seriesKey) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [scannerID, version, equation.from, equation.to, now, equation.target, equation.intercept, equation.slope, equation.r,
                      equation.points, equation.unit, equation.targetUnit, equation.analysisVersion, equation.seriesKey])
            var stored = equation
            (stored.id, stored.version, stored.storedAt) = (id, version, now)
            try Self.insertAudit(db, audit)
            return (stored, true)
        }
    }

    public func crossCalibrations(scanner: String?) throws(QCStoreError) -> [QCCrossCalibration] {
        try read { db in
            try Self.rowsWithScanner(db, table: "crossCalibration", scanner: scanner, order: "s.label, t.version DESC").map(Self.crossCalibration)
        }
    }

    static func crossCalibration(_ r: SQLRow, label: String, identity: ScannerIdentity) -> QCCrossCalibration {
        var c = QCCrossCalibration(scanner: label, identity: identity, from: r["fromDate"], to: r["toDate"], target: r["target"],
                                   intercept: r["intercept"], slope: r["slope"], r: r["r"], points: r["points"], unit: r["unit"],
                                   targetUnit: r["targetUnit"], analysisVersion: r["analysisVersion"], series: [])
        (c.id, c.version, c.storedAt, c.seriesKey) = (r["id"], r["version"], r["storedAt"], r["seriesKey"])
        return c
    }
}
