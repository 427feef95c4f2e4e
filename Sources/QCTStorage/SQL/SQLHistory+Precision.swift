import Foundation
import QCTCore
import QCTQualityControl

extension SQLHistoryBackend {
    public func recordPrecision(_ study: QCPrecisionRecord, audit: QCAuditEntry?) throws(QCStoreError) -> (QCPrecisionRecord, stored: Bool) {
        guard study.rmsSD.isFinite, study.overallCVPercent.isFinite, study.lsc.isFinite else {
            throw QCStoreError("\(study.scanner): a precision study needs at least 2 scans (its SD is not defined with \(study.scans))")
        }
        return try write { db in
            let scannerID = try Self.scannerID(db, study.identity)
            if let row = try db.row("SELECT * FROM precisionStudy WHERE scannerId = ? AND seriesKey = ?",
                                          [scannerID, study.seriesKey]) {
                return (Self.precision(row, label: study.scanner, identity: study.identity), false)
            }
            let now = clock.iso()
            let id = try db.insert("""
                INSERT INTO precisionStudy (scannerId, fromDate, toDate, storedAt, scans, phantom, certificates, analysisVersion, unit,
                  rmsSD, overallCV, lsc, seriesKey, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [scannerID, study.from, study.to, now, study.scans, study.phantom, Self.json(study.certificates),
                                 study.analysisVersion, study.unit, study.rmsSD, study.overallCVPercent, study.lsc, study.seriesKey, study.json])
            var stored = study
            (stored.id, stored.storedAt) = (id, now)
            try Self.insertAudit(db, audit)
            return (stored, true)
        }
    }

    public func precisionStudies(scanner: String? = nil) throws(QCStoreError) -> [QCPrecisionRecord] {
        try read { db in
            try Self.rowsWithScanner(db, table: "precisionStudy", scanner: scanner, order: "t.toDate DESC, t.id DESC").map(Self.precision)
        }
    }

    static func precision(_ r: SQLRow, label: String, identity: ScannerIdentity) -> QCPrecisionRecord {
        var p = QCPrecisionRecord(scanner: label, identity: identity, from: r["fromDate"], to: r["toDate"], scans: r["scans"], phantom: r["phantom"],
                                  certificates: strings(r["certificates"]), analysisVersion: r["analysisVersion"], unit: r["unit"],
                                  rmsSD: r["rmsSD"], overallCVPercent: r["overallCV"], lsc: r["lsc"], series: [], json: r["json"])
        (p.id, p.storedAt, p.seriesKey) = (r["id"], r["storedAt"], r["seriesKey"])
        return p
    }
}
