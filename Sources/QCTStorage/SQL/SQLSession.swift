import Foundation
import QCTQualityControl

/// The SQL that differs between the two databases the history lives in.
public enum SQLDialect: Sendable {
    case sqlite, postgresql

    /// The column that orders a table's rows as they were inserted (`alias.` prefixed if given).
    public func insertionOrder(_ alias: String? = nil) -> String {
        let prefix = alias.map { "\($0)." } ?? ""
        return prefix + (self == .sqlite ? "rowid" : "seq")
    }

    /// "No limit", for a query that only skips rows (OFFSET needs a LIMIT in SQLite).
    public var noLimit: String { self == .sqlite ? "LIMIT -1" : "LIMIT ALL" }
}

/// A connection inside a transaction (or a read): runs the store's statements with `?`
/// placeholders, whatever the database behind it.
public protocol SQLSession {
    var dialect: SQLDialect { get }
    /// Runs a statement and returns its rows (none for most writes).
    @discardableResult
    func rows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow]
    /// Runs several statements with no arguments (DDL).
    func script(_ sql: String) throws
    /// Runs statements in order and returns each one's rows; a server backend sends them all before
    /// waiting for the answers.
    func batch(_ statements: [(String, SQLArguments)]) throws -> [[SQLRow]]
    func tableExists(_ table: String) throws -> Bool
    func hasColumn(_ table: String, _ column: String) throws -> Bool
}

extension SQLSession {
    @discardableResult
    public func rows(_ sql: String) throws -> [SQLRow] { try rows(sql, []) }

    public func execute(_ sql: String, _ arguments: SQLArguments = []) throws { try rows(sql, arguments) }

    public func row(_ sql: String, _ arguments: SQLArguments = []) throws -> SQLRow? { try rows(sql, arguments).first }

    /// The first column of the first row.
    public func scalar<T: SQLColumnDecodable>(_ sql: String, _ arguments: SQLArguments = []) throws -> T? {
        guard let r = try rows(sql, arguments).first, let first = r.firstValue else { return nil }
        return T.decode(first)
    }

    /// The first column of every row.
    public func column<T: SQLColumnDecodable>(_ sql: String, _ arguments: SQLArguments = []) throws -> [T] {
        try rows(sql, arguments).compactMap { $0.firstValue.flatMap(T.decode) }
    }

    /// Runs an INSERT and returns the new row's id (`RETURNING id`: SQLite ≥ 3.35 and PostgreSQL).
    public func insert(_ sql: String, _ arguments: SQLArguments) throws -> Int64 {
        guard let id: Int64 = try scalar(sql + " RETURNING id", arguments) else { throw QCStoreError("INSERT returned no id") }
        return id
    }
}

