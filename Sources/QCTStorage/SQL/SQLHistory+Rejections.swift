import Foundation
import QCTQualityControl
import QCTStatistics

extension SQLHistoryBackend {
    /// Overlay pictures are kept for this many of each scanner's most recent results (about
    /// 100–400 KB each); older results keep their numbers and provenance.
    public static var picturesKept: Int { 90 }

    /// Keeps a result's picture and drops those of the scanner's results beyond `picturesKept`.
    static func keepPicture(_ db: any SQLSession, resultID: Int64, scannerID: Int64, svg: [UInt8]) throws {
        try db.execute("INSERT INTO picture (resultId, svg) VALUES (?, ?) ON CONFLICT (resultId) DO UPDATE SET svg = excluded.svg", [resultID, svg])
        try db.execute("""
            DELETE FROM picture WHERE resultId IN (SELECT id FROM result WHERE scannerId = ? ORDER BY acquired DESC, id DESC \(db.dialect.noLimit) OFFSET ?)
            """, [scannerID, picturesKept])
    }

    public func provenance(resultID: Int64) throws(QCStoreError) -> String? {
        try read { db -> String? in try db.scalar("SELECT provenance FROM result WHERE id = ?", [resultID]) }
    }

    public func picture(resultID: Int64) throws(QCStoreError) -> [UInt8]? {
        try read { db -> [UInt8]? in
            guard try db.tableExists("picture") else { return nil }
            return try db.scalar("SELECT svg FROM picture WHERE resultId = ?", [resultID])
        }
    }

    /// Rejects result `resultID`: it keeps its judgement and leaves every baseline whose statistics
    /// it is part of (they are recomputed without it; refused if one would keep fewer than 3
    /// results), the rule windows of later results, the charts and the scanner's state.
    public func reject(resultID: Int64, by user: String, reason: String, audit: QCAuditEntry?) throws(QCStoreError) -> QCRejection {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw QCStoreError("rejecting a result needs a reason") }
        return try write { db in
            guard let r = try db.row("""
                SELECT r.*, s.label FROM result r JOIN scanner s ON s.id = r.scannerId WHERE r.id = ?
                """, [resultID]) else {
                throw QCStoreError("no result \(resultID) in the database")
            }
            if let when = r["rejectedAt"] as String? { throw QCStoreError("result \(resultID) was already rejected at \(when)") }
            let now = clock.iso()
            try db.execute("UPDATE result SET rejectedAt = ?, rejectedBy = ?, rejectReason = ? WHERE id = ?",
                           [now, user, why, resultID])
            try Self.recomputeBaselines(db, containing: r)
            try Self.insertAudit(db, audit)
            return QCRejection(resultID: resultID, scanner: r["label"], acquired: r["acquired"], seriesInstanceUID: r["seriesInstanceUID"],
                               kind: r["kind"], protocolKey: r["protocol"], state: ControlState(rawValue: r["state"]) ?? .inControl,
                               rejectedAt: now, rejectedBy: user, reason: why)
        }
    }

    /// Recomputes the statistics of the complete baselines whose members include result `r`: the
    /// baseline it was collected into (acquired up to its end) and baselines set over its dates.
    static func recomputeBaselines(_ db: any SQLSession, containing r: SQLRow) throws {
        let acquired: String = r["acquired"]
        let baselines = try db.rows("""
            SELECT * FROM baseline WHERE complete = 1 AND withdrawnAt IS NULL AND scannerId = ? AND protocol = ? AND kind = ?
              AND fromDate <= ? AND toDate >= ?
            """, [r["scannerId"] as Int64, r["protocol"] as String, r["kind"] as String, acquired, acquired])
        for b in baselines {
            let id: Int64 = b["id"]
            let manual = (b["reason"] as String).hasPrefix("set from ")
            guard manual || (r["baselineId"] as Int64?) == id else { continue }
            let members = manual
                ? "r.scannerId = \(r["scannerId"] as Int64) AND r.protocol = ? AND r.kind = ? AND r.acquired >= ? AND r.acquired <= ?"
                : "r.baselineId = \(id) AND r.protocol = ? AND r.kind = ? AND r.acquired >= ? AND r.acquired <= ?"
            let args: SQLArguments = [r["protocol"] as String, r["kind"] as String, b["fromDate"] as String, b["toDate"] as String]
            let n: Int = try db.scalar("SELECT COUNT(*) FROM result r WHERE \(members) AND r.rejectedAt IS NULL", args) ?? 0
            guard n >= 3 else {
                throw QCStoreError("result \(r["id"] as Int64) is one of the \(n + 1) results of baseline \(id) (\(b["reason"] as String)); "
                                   + "without it fewer than 3 remain. Set a new baseline first (qct qc baseline) or record a service event")
            }
            let rows = try db.rows("""
                SELECT m.name, m.unit, m.value FROM metric m JOIN result r ON r.id = m.resultId
                WHERE \(members) AND r.rejectedAt IS NULL AND m.judged = 1
                """, args)
            try db.execute("DELETE FROM baselineMetric WHERE baselineId = ?", [id])
            try insertBaselineMetrics(db, id: id, rows: rows)
            if manual { try db.execute("UPDATE baseline SET size = ? WHERE id = ?", [n, id]) }
        }
    }

    public func rejections(scanner: String? = nil) throws(QCStoreError) -> [QCRejection] {
        try read { db -> [QCRejection] in
            guard try db.hasColumn("result", "rejectedAt") else { return [] }
            var sql = """
                SELECT r.*, s.label FROM result r JOIN scanner s ON s.id = r.scannerId WHERE r.rejectedAt IS NOT NULL
                """
            var args: SQLArguments = []
            if let scanner {
                sql += " AND s.id = ?"
                args = [try Self.findScanner(db, scanner).id]
            }
            return try db.rows(sql + " ORDER BY r.rejectedAt DESC, r.id DESC", args).map { r in
                QCRejection(resultID: r["id"], scanner: r["label"], acquired: r["acquired"], seriesInstanceUID: r["seriesInstanceUID"],
                            kind: r["kind"], protocolKey: r["protocol"], state: ControlState(rawValue: r["state"]) ?? .inControl,
                            rejectedAt: r["rejectedAt"], rejectedBy: r["rejectedBy"] ?? "", reason: r["rejectReason"] ?? "")
            }
        }
    }
}
