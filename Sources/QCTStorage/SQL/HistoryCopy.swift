import Crypto
import Foundation
import QCTQualityControl

/// Copies a whole QC history from one store to another — a site's SQLite file into the network's
/// PostgreSQL server (`qct qc migrate`), or back. Rows get the target's ids (foreign keys are
/// mapped), so several sites' files can go into one server. Each row is found again by what it
/// is, not by its id (a scanner by its key, a result by its Series Instance UID, an event by its
/// scanner, date, description and recording time…), so running the copy again copies nothing
/// twice. All of it is one write transaction on the target: a copy is whole or not made.
public enum HistoryCopy {
    /// Per table: rows in the source, rows copied now, rows the target already had.
    public struct TableCount: Sendable, Equatable {
        public var table: String
        public var source: Int
        public var copied: Int
        public var present: Int
    }

    public struct Report: Sendable {
        public var tables: [TableCount]
        /// SHA-256 over every judged value of the source's results (series, metric, value, unit,
        /// target, SD, z, state, rules fired, the result's state and rejection), sorted; and the same
        /// read back from the target for those series.
        public var sourceChecksum: String
        public var targetChecksum: String
        public var verified: Bool { sourceChecksum == targetChecksum && tables.allSatisfy { $0.copied + $0.present == $0.source } }
    }

    /// Tables in dependency order, with the columns that identify a row and the foreign keys to map.
    struct Table {
        let name: String
        let quoted: String
        /// Columns (after mapping) that find the row again in the target.
        let key: [String]
        /// Foreign-key column → the table it points to.
        let references: [String: String]
        let hasID: Bool
    }

    static let tables: [Table] = [
        Table(name: "scanner", quoted: "scanner", key: ["key"], references: [:], hasID: true),
        Table(name: "event", quoted: "event", key: ["scannerId", "at", "description", "recordedAt"], references: ["scannerId": "scanner"], hasID: true),
        Table(name: "baseline", quoted: "baseline", key: ["scannerId", "protocol", "kind", "reason", "startedAt", "createdAt"],
              references: ["scannerId": "scanner", "eventId": "event"], hasID: true),
        Table(name: "baselineMetric", quoted: "baselineMetric", key: ["baselineId", "name"], references: ["baselineId": "baseline"], hasID: false),
        Table(name: "result", quoted: "result", key: ["seriesInstanceUID"], references: ["scannerId": "scanner", "baselineId": "baseline"], hasID: true),
        Table(name: "metric", quoted: "metric", key: ["resultId", "name"], references: ["resultId": "result"], hasID: false),
        Table(name: "input", quoted: "input", key: ["seriesInstanceUID", "source", "finishedAt"], references: ["resultId": "result"], hasID: true),
        Table(name: "user", quoted: "\"user\"", key: ["tokenHash"], references: [:], hasID: true),
        Table(name: "audit", quoted: "audit", key: ["at", "user", "action", "detail"], references: [:], hasID: true),
        Table(name: "picture", quoted: "picture", key: ["resultId"], references: ["resultId": "result"], hasID: false),
        Table(name: "precisionStudy", quoted: "precisionStudy", key: ["scannerId", "seriesKey"], references: ["scannerId": "scanner"], hasID: true),
        Table(name: "crossCalibration", quoted: "crossCalibration", key: ["scannerId", "seriesKey", "target"], references: ["scannerId": "scanner"],
              hasID: true),
    ]

    /// Columns never copied: the row's own id, and what the target fills itself (site, order).
    static let ownColumns: Set<String> = ["id", "site", "seq"]

    public static func copy(from source: any SQLHistoryBackend, to target: any SQLHistoryBackend) throws(QCStoreError) -> Report {
        // Everything the source holds, in insertion order.
        let rows: [String: [SQLRow]] = try source.read { db in
            var out: [String: [SQLRow]] = [:]
            for t in tables where try db.tableExists(t.name) {
                let order = db.dialect == .sqlite ? "rowid" : t.hasID ? "id" : t.name == "metric" ? "seq" : t.key.joined(separator: ", ")
                out[t.name] = try db.rows("SELECT * FROM \(t.quoted) ORDER BY \(order)")
            }
            return out
        }
        let sourceChecksum = try source.read { db in try checksum(db, series: nil) }
        var counts: [TableCount] = []
        try target.write { db in
            var ids: [String: [Int64: Int64]] = [:]
            for t in tables {
                guard let list = rows[t.name] else { continue }
                var count = TableCount(table: t.name, source: list.count, copied: 0, present: 0)
                for row in list {
                    // The row's columns with foreign keys mapped to the target's ids.
                    var columns: [(String, SQLValue)] = []
                    for (name, value) in zip(row.names, row.ordered) where !ownColumns.contains(name.lowercased()) {
                        if let referenced = t.references.first(where: { $0.key.lowercased() == name.lowercased() })?.value,
                           case .int(let old) = value {
                            guard let new = ids[referenced]?[old] else {
                                throw QCStoreError("\(t.name): a row points to \(referenced) \(old), which the source does not hold")
                            }
                            columns.append((name, .int(new)))
                        } else {
                            columns.append((name, value))
                        }
                    }
                    let keyValues = t.key.map { k in columns.first { $0.0.lowercased() == k.lowercased() }?.1 ?? .null }
                    let condition = t.key.map { k in k == "user" ? "\"user\" = ?" : "\(k) = ?" }.joined(separator: " AND ")
                    let found = try db.row("SELECT \(t.hasID ? "id" : "1 AS present") FROM \(t.quoted) WHERE \(condition)",
                                           keyValues.map { SQLBound($0) })
                    var newID: Int64?
                    if let found {
                        count.present += 1
                        newID = t.hasID ? found["id"] as Int64? : nil
                    } else {
                        let names = columns.map { $0.0.lowercased() == "user" ? "\"user\"" : $0.0 }.joined(separator: ", ")
                        let marks = Array(repeating: "?", count: columns.count).joined(separator: ", ")
                        let sql = "INSERT INTO \(t.quoted) (\(names)) VALUES (\(marks))"
                        let args = columns.map { SQLBound($0.1) }
                        if t.hasID { newID = try db.insert(sql, args) } else { try db.execute(sql, args) }
                        count.copied += 1
                    }
                    if let newID, let old: Int64 = row["id"] { ids[t.name, default: [:]][old] = newID }
                }
                counts.append(count)
            }
        }
        let uids = rows["result"]?.compactMap { $0["seriesInstanceUID"] as String? } ?? []
        let targetChecksum = try target.read { db in try checksum(db, series: Set(uids)) }
        return Report(tables: counts, sourceChecksum: sourceChecksum, targetChecksum: targetChecksum)
    }

    /// SHA-256 (hex) of the sorted judged values; only `series`' results when given.
    static func checksum(_ db: any SQLSession, series: Set<String>?) throws -> String {
        let rejected = try db.hasColumn("result", "rejectedAt") ? "r.rejectedAt" : "NULL AS rejectedAt"
        let rows = try db.rows("""
            SELECT r.seriesInstanceUID, m.name, m.unit, m.value, m.target, m.sd, m.z, m.state, m.fired, r.state AS resultState, \(rejected)
            FROM metric m JOIN result r ON r.id = m.resultId
            """)
        var lines: [String] = []
        for r in rows {
            let uid: String = r["seriesInstanceUID"]
            if let series, !series.contains(uid) { continue }
            let numbers = ["value", "target", "sd", "z"].map { (r[$0] as Double?).map { String(format: "%.17g", $0) } ?? "null" }
            lines.append(([uid, r["name"] as String, r["unit"] as String] + numbers
                          + [r["state"] as String, r["fired"] as String, r["resultState"] as String, r["rejectedAt"] as String? ?? "null"])
                .joined(separator: "|"))
        }
        let digest = SHA256.hash(data: Data(lines.sorted().joined(separator: "\n").utf8))
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// An `SQLValue` bound as it is.
struct SQLBound: SQLArgument {
    let sqlValue: SQLValue
    init(_ v: SQLValue) { sqlValue = v }
}
