import Foundation
import QCTQualityControl

/// A QC history kept in an SQL database. The store's logic (judging, baselines, events,
/// rejections, queries) is written once, in this protocol's extensions, against `SQLSession`;
/// a backend supplies transactions: SQLite (`QCDatabase`) or PostgreSQL (the QCTPostgres module).
public protocol SQLHistoryBackend: QCHistoryStore {
    /// When results, events and baselines are recorded.
    var clock: QCClock { get }
    /// Runs `body` in one write transaction. Writers are serialised (SQLite's IMMEDIATE
    /// transaction; PostgreSQL's change row, locked first), so a result is always judged against
    /// the whole history before it, and a baseline or an event never interleaves with a recording.
    func write<T>(_ body: (any SQLSession) throws -> T) throws(QCStoreError) -> T
    /// Runs `body` on one consistent snapshot.
    func read<T>(_ body: (any SQLSession) throws -> T) throws(QCStoreError) -> T
}

extension SQLHistoryBackend {
    /// The SQL condition "result `alias` is not rejected" (none on an SQLite database from before v5,
    /// opened read-only and so not migrated).
    static func accepted(_ db: any SQLSession, _ alias: String = "r") throws -> String {
        try db.hasColumn("result", "rejectedAt") ? "\(alias).rejectedAt IS NULL" : "1 = 1"
    }

    /// Appends `entry` to the audit log inside the caller's transaction.
    static func insertAudit(_ db: any SQLSession, _ entry: QCAuditEntry?) throws {
        guard let entry else { return }
        try db.execute("INSERT INTO audit (at, \"user\", action, detail) VALUES (?, ?, ?, ?)",
                       [entry.at, entry.user, entry.action, entry.detail])
    }
}
