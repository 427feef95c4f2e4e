import Foundation
import QCTQualityControl
import QCTStatistics

extension SQLHistoryBackend {
    /// The last result of every scanner, protocol and kind, with its judgement.
    public func latestResults() throws(QCStoreError) -> [QCStoredResult] {
        try read { db in
            let accepted = try Self.accepted(db, "r2")
            // One index probe per scanner, protocol and kind (the DISTINCT reads the result_scope index only).
            let rows = try db.rows("""
                SELECT r.*, s.label\(db.dialect == .postgresql ? ", s.site AS scannerSite" : "") FROM result r JOIN scanner s ON s.id = r.scannerId
                WHERE r.id IN (SELECT (SELECT r2.id FROM result r2 WHERE r2.scannerId = g.scannerId AND r2.protocol = g.protocol
                                       AND r2.kind = g.kind AND \(accepted) ORDER BY r2.acquired DESC, r2.id DESC LIMIT 1)
                               FROM (SELECT DISTINCT scannerId, protocol, kind FROM result) g)
                ORDER BY s.label, r.kind, r.protocol
                """)
            return try rows.map { r in
                let id: Int64 = r["id"]
                let metrics = try db.rows("SELECT * FROM metric WHERE resultId = ? ORDER BY \(db.dialect.insertionOrder())", [id]).map { m in
                    QCMetricJudgement(name: m["name"], unit: m["unit"], value: m["value"], target: m["target"], sd: m["sd"], z: m["z"],
                                      state: ControlState(rawValue: m["state"]) ?? .inControl, fired: Self.strings(m["fired"]))
                }
                var progress: [Int]?
                if let b: Int64 = r["baselineId"],
                   let brow = try db.row("SELECT size, complete FROM baseline WHERE id = ?", [b]),
                   !(brow["complete"] as Bool) {
                    let n: Int = try db.scalar("SELECT COUNT(*) FROM result r2 WHERE baselineId = ? AND \(accepted)", [b]) ?? 0
                    progress = [n, brow["size"]]
                }
                var stored = QCStoredResult(id: id, scanner: r["label"], protocolKey: r["protocol"], kind: r["kind"], phantom: r["phantom"],
                                      acquired: r["acquired"], seriesInstanceUID: r["seriesInstanceUID"],
                                      state: ControlState(rawValue: r["state"]) ?? .inControl, fired: Self.strings(r["fired"]),
                                      baselineID: r["baselineId"], baselineProgress: progress, metrics: metrics,
                                      analysisVersion: r["analysisVersion"], certificate: r["certificate"])
                stored.site = r["scannerSite"]
                return stored
            }
        }
    }

    /// Every stored metric value (optionally one scanner's, one metric's), oldest first.
    public func points(scanner: String? = nil, metric: String? = nil) throws(QCStoreError) -> [QCPoint] {
        try read { db in
            var sql = """
                SELECT s.label, s.serial, r.acquired, r.seriesInstanceUID, r.protocol, r.kind, r.phantom, r.certificate, r.analysisVersion,
                       r.baselineId, r.state AS resultState, m.name, m.unit, m.value, m.target, m.sd, m.z, m.state, m.fired
                FROM metric m JOIN result r ON r.id = m.resultId JOIN scanner s ON s.id = r.scannerId
                """
            var args: SQLArguments = []
            var clauses = [try Self.accepted(db)]
            if let scanner {
                let s = try Self.findScanner(db, scanner)
                clauses.append("s.id = ?")
                args.append(s.id)
            }
            if let metric {
                clauses.append("m.name = ?")
                args.append(metric)
            }
            sql += " WHERE " + clauses.joined(separator: " AND ")
            sql += " ORDER BY s.label, r.acquired, r.id, \(db.dialect.insertionOrder("m"))"
            return try db.rows(sql, args).map { r in
                QCPoint(scanner: r["label"], serial: r["serial"], acquired: r["acquired"], seriesInstanceUID: r["seriesInstanceUID"],
                        protocolKey: r["protocol"], kind: r["kind"], phantom: r["phantom"], certificate: r["certificate"],
                        analysisVersion: r["analysisVersion"], metric: r["name"], unit: r["unit"], value: r["value"], target: r["target"],
                        sd: r["sd"], z: r["z"], state: ControlState(rawValue: r["state"]) ?? .inControl, fired: Self.strings(r["fired"]), baselineID: r["baselineId"],
                        resultState: ControlState(rawValue: r["resultState"]) ?? .inControl)
            }
        }
    }

    /// Metric names stored for a scanner.
    public func metricNames(scanner: String) throws(QCStoreError) -> [String] {
        try read { db in
            let s = try Self.findScanner(db, scanner)
            return try db.column("""
                SELECT DISTINCT m.name FROM metric m JOIN result r ON r.id = m.resultId WHERE r.scannerId = ? ORDER BY m.name
                """, [s.id])
        }
    }

    /// A scanner's service events, oldest first; deleted ones only with `deleted`.
    public func events(scanner: String, deleted: Bool = false) throws(QCStoreError) -> [QCEvent] {
        try read { db in
            let s = try Self.findScanner(db, scanner)
            guard try db.hasColumn("event", "deletedAt") else {
                return try db.rows("SELECT id, at, description FROM event WHERE scannerId = ? ORDER BY at", [s.id]).map {
                    QCEvent(id: $0["id"], scanner: s.label, at: $0["at"], description: $0["description"])
                }
            }
            return try db.rows("""
                SELECT id, at, description, deletedAt, deleteReason FROM event WHERE scannerId = ? \(deleted ? "" : "AND deletedAt IS NULL") ORDER BY at
                """, [s.id]).map {
                QCEvent(id: $0["id"], scanner: s.label, at: $0["at"], description: $0["description"],
                        deletedAt: $0["deletedAt"], deleteReason: $0["deleteReason"])
            }
        }
    }

    /// Baselines by id: mean and SD per metric (complete ones).
    public func baselineLimits(ids: Set<Int64>, metric: String) throws(QCStoreError) -> [Int64: (mean: Double, sd: Double)] {
        try read { db in
            var out: [Int64: (Double, Double)] = [:]
            for id in ids {
                if let r = try db.row("SELECT mean, sd FROM baselineMetric WHERE baselineId = ? AND name = ?", [id, metric]) {
                    out[id] = (r["mean"], r["sd"])
                }
            }
            return out
        }
    }
}

extension SQLHistoryBackend {
    public func calibrations(serial: String, limit: Int) throws(QCStoreError) -> [QCStoredCalibration] {
        try read { db in
            let fitNames = ["sigmaCT", "betaCT", "slope", "intercept"]
            let rows = try db.rows("""
                SELECT r.id, s.label, s.serial, r.acquired, r.phantom, r.certificate, r.analysisVersion, r.state, r.calibrationStatus, r.provenance
                FROM result r JOIN scanner s ON s.id = r.scannerId
                WHERE s.serial = ? AND \(try Self.accepted(db))
                  AND EXISTS (SELECT 1 FROM metric m WHERE m.resultId = r.id AND m.name IN ('sigmaCT', 'slope'))
                ORDER BY r.acquired DESC, r.id DESC LIMIT ?
                """, [serial, limit])
            return try rows.map { r in
                let id: Int64 = r["id"]
                var fit: [String: Double] = [:]
                for m in try db.rows("SELECT name, value FROM metric WHERE resultId = ? AND name IN ('sigmaCT', 'betaCT', 'slope', 'intercept')", [id])
                where fitNames.contains(m["name"]) {
                    fit[m["name"]] = m["value"]
                }
                return QCStoredCalibration(resultID: id, scanner: r["label"], serial: r["serial"], acquired: r["acquired"], phantom: r["phantom"],
                                           certificate: r["certificate"], analysisVersion: r["analysisVersion"],
                                           state: ControlState(rawValue: r["state"]) ?? .inControl, calibrationStatus: r["calibrationStatus"],
                                           fit: fit, provenance: r["provenance"])
            }
        }
    }
}
