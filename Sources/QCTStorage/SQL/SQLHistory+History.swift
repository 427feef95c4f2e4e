import Foundation
import QCTCore
import QCTQualityControl
import QCTStatistics

extension SQLHistoryBackend {
    /// Stores one result and judges it under the baseline in force; the same
    /// series twice is stored once.
    public func record(_ input: QCResultInput, baselineSize: Int, cusumH: Double) throws(QCStoreError) -> QCRecordOutcome {
        try write { db -> QCRecordOutcome in
            if let row = try db.row("""
                SELECT r.recordedAt, r.acquired, s.label FROM result r JOIN scanner s ON s.id = r.scannerId
                WHERE r.seriesInstanceUID = ?
                """, [input.seriesInstanceUID]) {
                return .duplicate(recordedAt: row["recordedAt"], scanner: row["label"], acquired: row["acquired"])
            }
            let scannerID = try Self.scannerID(db, input.scanner)
            let now = clock.iso()
            var baseline = try db.row("""
                SELECT * FROM baseline WHERE scannerId = ? AND protocol = ? AND kind = ? AND withdrawnAt IS NULL ORDER BY id DESC LIMIT 1
                """, [scannerID, input.protocolKey, input.kind])
            if baseline == nil {
                let id = try db.insert("""
                    INSERT INTO baseline (scannerId, protocol, kind, reason, size, startedAt, complete, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, 0, ?)
                    """, [scannerID, input.protocolKey, input.kind, "first \(baselineSize) scans", baselineSize, input.acquired, now])
                baseline = try db.row("SELECT * FROM baseline WHERE id = ?", [id])
            }
            guard let baseline else { throw QCStoreError("no baseline could be made") }
            let baselineID: Int64 = baseline["id"]
            let complete: Bool = baseline["complete"]
            var progress: [Int]?
            // What the judge needs: the baseline's statistics and each judged metric's past under it.
            var statistics: [String: BaselineStatistic]?
            var history: [String: MetricHistory] = [:]
            if complete {
                let stats = try Self.baselineStatistics(db, baselineID: baselineID)
                statistics = stats
                let judged = input.metrics.filter { $0.judged && stats[$0.name] != nil }.map(\.name)
                history = try Self.histories(db, baselineID: baselineID, metrics: judged, before: input.acquired)
            }
            let judgement = QCJudge.judge(input.metrics, baseline: statistics, history: history, cusumH: cusumH)
            let (state, fired, judgements, cusums) = (judgement.state, judgement.fired, judgement.metrics, judgement.cusums)
            let resultID = try db.insert("""
                INSERT INTO result (scannerId, seriesInstanceUID, protocol, kind, phantom, certificate, acquired, recordedAt,
                  analysisVersion, source, baselineId, state, fired, calibrationStatus, provenance)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [scannerID, input.seriesInstanceUID, input.protocolKey, input.kind, input.phantom, input.certificate,
                                 input.acquired, now, input.analysisVersion, input.source, baselineID, state.rawValue,
                                 Self.json(fired), input.calibrationStatus, input.provenance])

            // Every metric in one statement (one round trip to a server).
            var rows: SQLArguments = []
            for (m, j) in zip(input.metrics, judgements) {
                rows += [resultID, m.name, m.unit, m.value, m.judged, m.percentLimit, j.target, j.sd, j.z, j.state.rawValue,
                         Self.json(j.fired), cusums[m.name]?.upper, cusums[m.name]?.lower]
            }
            if !input.metrics.isEmpty {
                try db.execute("INSERT INTO metric (resultId, name, unit, value, judged, percentLimit, target, sd, z, state, fired, cusumUpper, cusumLower) VALUES "
                               + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: input.metrics.count).joined(separator: ", "), rows)
            }
            if let svg = input.picture { try Self.keepPicture(db, resultID: resultID, scannerID: scannerID, svg: svg) }
            if !complete {
                let count: Int = try db.scalar("SELECT COUNT(*) FROM result WHERE baselineId = ? AND rejectedAt IS NULL",
                                             [baselineID]) ?? 0
                progress = [count, baseline["size"]]
                if count >= (baseline["size"] as Int) { try Self.completeBaseline(db, id: baselineID) }
            }
            return .stored(QCStoredResult(id: resultID, scanner: input.scanner.label, protocolKey: input.protocolKey, kind: input.kind,
                                          phantom: input.phantom, acquired: input.acquired, seriesInstanceUID: input.seriesInstanceUID,
                                          state: state, fired: fired, baselineID: baselineID, baselineProgress: progress,
                                          metrics: judgements, analysisVersion: input.analysisVersion, certificate: input.certificate))
        }
    }

    /// Baseline statistics: mean and SD (n − 1) of each judged metric of its member results.
    /// The SD is floored at 0.1 % of |mean| (at least 0.001) so identical values do not make every change infinite.
    static func completeBaseline(_ db: any SQLSession, id: Int64) throws {
        let rows = try db.rows("""
            SELECT m.name, m.unit, m.value, r.acquired FROM metric m JOIN result r ON r.id = m.resultId
            WHERE r.baselineId = ? AND m.judged = 1 AND r.rejectedAt IS NULL ORDER BY r.acquired
            """, [id])
        try insertBaselineMetrics(db, id: id, rows: rows)
        let from = rows.first.map { $0["acquired"] as String }, to = rows.last.map { $0["acquired"] as String }
        try db.execute("UPDATE baseline SET complete = 1, fromDate = ?, toDate = ? WHERE id = ?", [from, to, id])
    }

    /// Mean, floored SD and n per metric name of `rows` (name, unit, value), stored for baseline `id`.
    @discardableResult
    static func insertBaselineMetrics(_ db: any SQLSession, id: Int64, rows: [SQLRow]) throws -> [String: [Double]] {
        var byName: [String: (unit: String, values: [Double])] = [:]
        for r in rows { byName[r["name"], default: (r["unit"], [])].values.append(r["value"]) }
        var out: [String: [Double]] = [:]
        for (name, v) in byName {
            let st = BaselineStatistic(values: v.values)
            try db.execute("INSERT INTO baselineMetric (baselineId, name, unit, mean, sd, n) VALUES (?, ?, ?, ?, ?, ?)",
                           [id, name, v.unit, st.mean, st.sd, st.n])
            out[name] = [st.mean, st.sd, Double(st.n)]
        }
        return out
    }

    /// The completed baseline's statistics per metric.
    static func baselineStatistics(_ db: any SQLSession, baselineID: Int64) throws -> [String: BaselineStatistic] {
        var out: [String: BaselineStatistic] = [:]
        for r in try db.rows("SELECT name, mean, sd, n FROM baselineMetric WHERE baselineId = ?", [baselineID]) {
            out[r["name"]] = BaselineStatistic(mean: r["mean"], sd: r["sd"], n: r["n"])
        }
        return out
    }

    /// Each metric's past under a baseline, up to `before`: the z of the last results judged in
    /// control or warning (not those that fired 1₃s), as many as a rule reads
    /// (`ControlRules.lookback`), oldest first; and the CUSUM sums of the last judged result.
    /// Two statements per metric, sent together (`SQLSession.batch`: one wait on a server).
    static func histories(_ db: any SQLSession, baselineID: Int64, metrics: [String], before acquired: String) throws -> [String: MetricHistory] {
        var statements: [(String, SQLArguments)] = []
        for metric in metrics {
            statements.append(("""
                SELECT m.z FROM metric m JOIN result r ON r.id = m.resultId
                WHERE r.baselineId = ? AND m.name = ? AND m.state IN ('in control', 'warning') AND r.acquired <= ? AND r.rejectedAt IS NULL
                  AND NOT (m.state = 'warning' AND m.fired LIKE '%1_3s%')
                ORDER BY r.acquired DESC, r.id DESC LIMIT \(ControlRules.lookback)
                """, [baselineID, metric, acquired]))
            statements.append(("""
                SELECT m.cusumUpper, m.cusumLower FROM metric m JOIN result r ON r.id = m.resultId
                WHERE r.baselineId = ? AND m.name = ? AND m.state != 'baseline' AND r.acquired <= ? AND r.rejectedAt IS NULL
                ORDER BY r.acquired DESC, r.id DESC LIMIT 1
                """, [baselineID, metric, acquired]))
        }
        let answers = try db.batch(statements)
        var out: [String: MetricHistory] = [:]
        for (i, metric) in metrics.enumerated() {
            let zs: [Double] = answers[2 * i].compactMap { $0.firstValue.flatMap(Double.decode) }
            let last = answers[2 * i + 1].first
            out[metric] = MetricHistory(zs: zs.reversed(), cusum: CusumState(upper: last?["cusumUpper"] ?? 0, lower: last?["cusumLower"] ?? 0))
        }
        return out
    }

    static func scannerID(_ db: any SQLSession, _ s: ScannerIdentity) throws -> Int64 {
        if let id: Int64 = try db.scalar("SELECT id FROM scanner WHERE key = ?", [s.trendingKey]) { return id }
        return try db.insert("INSERT INTO scanner (key, manufacturer, model, serial, station, label) VALUES (?, ?, ?, ?, ?, ?)",
                       [s.trendingKey, s.manufacturer, s.model, s.deviceSerialNumber, s.stationName, s.label])

    }

    /// The scanner named by label, station or serial (case-insensitive).
    static func findScanner(_ db: any SQLSession, _ name: String) throws -> (id: Int64, label: String) {
        let rows = try db.rows("""
            SELECT id, label FROM scanner WHERE lower(label) = lower(?) OR lower(station) = lower(?) OR lower(serial) = lower(?)
            """, [name, name, name])
        guard let first = rows.first else {
            let known: [String] = try db.column("SELECT label FROM scanner ORDER BY label")
            throw QCStoreError("no scanner \"\(name)\" in the database; known: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        guard rows.count == 1 else { throw QCStoreError("\"\(name)\" names \(rows.count) scanners; use the device serial number") }
        return (first["id"], first["label"])
    }

    /// The rows of `table` (every scanner's, or `scanner`'s), in `order` (`t` the table, `s` the
    /// scanner), each with its scanner's label and identity; none when the table is not there yet.
    static func rowsWithScanner(_ db: any SQLSession, table: String, scanner: String?, order: String) throws
        -> [(SQLRow, label: String, identity: ScannerIdentity)]
    {
        guard try db.tableExists(table) else { return [] }
        var sql = "SELECT t.*, s.label, s.manufacturer, s.model, s.serial, s.station FROM \(table) t JOIN scanner s ON s.id = t.scannerId"
        var args: SQLArguments = []
        if let scanner {
            sql += " WHERE s.id = ?"
            args = [try findScanner(db, scanner).id]
        }
        return try db.rows(sql + " ORDER BY " + order, args).map { r in
            (r, r["label"], ScannerIdentity(manufacturer: r["manufacturer"], model: r["model"], stationName: r["station"], deviceSerialNumber: r["serial"]))
        }
    }

    /// Records a service event and starts a new baseline for each protocol of the scanner.
    public func addEvent(scanner name: String, at: String, description: String, baselineSize: Int,
                         audit: QCAuditEntry?) throws(QCStoreError) -> (QCEvent, Int) {
        try write { db in
            let s = try Self.findScanner(db, name)
            let eventID = try db.insert("INSERT INTO event (scannerId, at, description, recordedAt) VALUES (?, ?, ?, ?)",
                           [s.id, at, description, clock.iso()])

            let scopes = try db.rows("SELECT DISTINCT protocol, kind FROM baseline WHERE scannerId = ?", [s.id])
            for scope in scopes {
                try db.execute("""
                    INSERT INTO baseline (scannerId, protocol, kind, reason, size, startedAt, complete, createdAt, eventId)
                    VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)
                    """, [s.id, scope["protocol"] as String, scope["kind"] as String,
                                     "after service event \(at): \(description)", baselineSize, at, clock.iso(), eventID])
            }
            try Self.insertAudit(db, audit)
            return (QCEvent(id: eventID, scanner: s.label, at: at, description: description), scopes.count)
        }
    }

    /// Deletes a service event recorded by mistake: it stays in the database with when and why (the
    /// audit), no longer shows as an event, and the baselines it started are withdrawn — later results
    /// are judged as if it had not happened; results already stored keep their judgements.
    /// Returns the event and how many baselines were withdrawn.
    public func deleteEvent(id: Int64, reason: String, audit: QCAuditEntry?) throws(QCStoreError) -> (QCEvent, Int) {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw QCStoreError("deleting an event needs a reason (--reason)") }
        return try write { db in
            guard let row = try db.row("""
                SELECT e.id, e.at, e.description, e.deletedAt, s.label FROM event e JOIN scanner s ON s.id = e.scannerId WHERE e.id = ?
                """, [id]) else {
                throw QCStoreError("no service event \(id) in the database (qct qc event --list --scanner S lists them)")
            }
            if let when = row["deletedAt"] as String? { throw QCStoreError("service event \(id) was already deleted at \(when)") }
            let now = clock.iso()
            try db.execute("UPDATE event SET deletedAt = ?, deleteReason = ? WHERE id = ?", [now, why, id])
            let withdrawn = try db.rows("UPDATE baseline SET withdrawnAt = ? WHERE eventId = ? AND withdrawnAt IS NULL RETURNING id",
                                        [now, id]).count
            try Self.insertAudit(db, audit)
            return (QCEvent(id: id, scanner: row["label"], at: row["at"], description: row["description"], deletedAt: now, deleteReason: why),
                    withdrawn)
        }
    }

    /// A baseline from the scanner's results acquired between two dates
    /// (inclusive), one per protocol and kind found; it judges later results.
    public func setBaseline(scanner name: String, from: String, to: String, audit: QCAuditEntry?) throws(QCStoreError) -> [QCBaseline] {
        try write { db in
            let s = try Self.findScanner(db, name)
            let upper = to.count == 10 ? to + "T23:59:59" : to
            let scopes = try db.rows("""
                SELECT protocol, kind, COUNT(*) AS n FROM result WHERE scannerId = ? AND acquired >= ? AND acquired <= ? AND rejectedAt IS NULL
                GROUP BY protocol, kind
                """, [s.id, from, upper])
            guard !scopes.isEmpty else { throw QCStoreError("\(s.label) has no results between \(from) and \(to)") }
            var out: [QCBaseline] = []
            for scope in scopes {
                let n: Int = scope["n"]
                guard n >= 3 else { throw QCStoreError("\(s.label): only \(n) results between \(from) and \(to) for \(scope["kind"] as String); a baseline needs at least 3") }
                let id = try db.insert("""
                    INSERT INTO baseline (scannerId, protocol, kind, reason, size, startedAt, fromDate, toDate, complete, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
                    """, [s.id, scope["protocol"] as String, scope["kind"] as String, "set from \(from) to \(to)", n,
                                     clock.iso(), from, upper, clock.iso()])

                let rows = try db.rows("""
                    SELECT m.name, m.unit, m.value FROM metric m JOIN result r ON r.id = m.resultId
                    WHERE r.scannerId = ? AND r.protocol = ? AND r.kind = ? AND r.acquired >= ? AND r.acquired <= ? AND m.judged = 1
                      AND r.rejectedAt IS NULL
                    """, [s.id, scope["protocol"] as String, scope["kind"] as String, from, upper])
                let metrics = try Self.insertBaselineMetrics(db, id: id, rows: rows)
                out.append(QCBaseline(id: id, scanner: s.label, protocolKey: scope["protocol"], kind: scope["kind"],
                                      reason: "set from \(from) to \(to)", size: n, startedAt: clock.iso(), complete: true, metrics: metrics))
            }
            try Self.insertAudit(db, audit)
            return out
        }
    }

    static func json(_ strings: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(strings), as: UTF8.self)) ?? "[]"
    }

    static func strings(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }
}
