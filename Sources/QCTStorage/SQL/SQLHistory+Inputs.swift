import Foundation
import QCTQualityControl

extension SQLHistoryBackend {
    public func recordInput(_ input: QCInputRecord) throws(QCStoreError) -> QCInputRecord {
        try write { db -> QCInputRecord in
            let id = try db.insert("""
                INSERT INTO input (seriesInstanceUID, source, firstReceived, lastReceived, finishedAt, files, outcome, reason, resultId)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [input.seriesInstanceUID, input.source, input.firstReceived, input.lastReceived, input.finishedAt,
                                 input.files, input.outcome.rawValue, input.reason, input.resultID])
            var stored = input
            stored.id = id
            return stored
        }
    }

    public func inputs(outcomes: Set<QCInputRecord.Outcome>? = nil, limit: Int = 100) throws(QCStoreError) -> [QCInputRecord] {
        try read { db -> [QCInputRecord] in
            guard try db.tableExists("input") else { return [] }
            var sql = "SELECT * FROM input"
            var arguments: SQLArguments = []
            if let outcomes {
                sql += " WHERE outcome IN (\(outcomes.map { _ in "?" }.joined(separator: ",")))"
                arguments += outcomes.map(\.rawValue).sorted()
            }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments.append(max(0, limit))
            return try db.rows(sql, arguments).map { row in
                QCInputRecord(id: row["id"], seriesInstanceUID: row["seriesInstanceUID"], source: row["source"],
                              firstReceived: row["firstReceived"], lastReceived: row["lastReceived"], finishedAt: row["finishedAt"],
                              files: row["files"], outcome: QCInputRecord.Outcome(rawValue: row["outcome"]) ?? .failed,
                              reason: row["reason"], resultID: row["resultId"])
            }
        }
    }
}
