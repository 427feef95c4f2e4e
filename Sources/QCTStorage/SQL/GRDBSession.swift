import Foundation
import GRDB

/// The SQLite side of `SQLSession`: GRDB's connection inside its transaction.
struct GRDBSession: SQLSession {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    @discardableResult
    func rows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
        let args = StatementArguments(arguments.values.map(Self.databaseValue))
        return try Row.fetchAll(db, sql: sql, arguments: args).map { row in
            SQLRow(row.map { (column, value) in (column, Self.sqlValue(value)) })
        }
    }

    func script(_ sql: String) throws { try db.execute(sql: sql) }

    func batch(_ statements: [(String, SQLArguments)]) throws -> [[SQLRow]] { try statements.map { try rows($0.0, $0.1) } }

    func tableExists(_ table: String) throws -> Bool { try db.tableExists(table) }

    func hasColumn(_ table: String, _ column: String) throws -> Bool {
        try db.columns(in: table).contains { $0.name.lowercased() == column.lowercased() }
    }

    static func databaseValue(_ v: SQLValue) -> DatabaseValue {
        switch v {
        case .null: .null
        case .int(let i): i.databaseValue
        case .double(let d): d.databaseValue
        case .text(let s): s.databaseValue
        case .blob(let b): Data(b).databaseValue
        }
    }

    static func sqlValue(_ v: DatabaseValue) -> SQLValue {
        switch v.storage {
        case .null: .null
        case .int64(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .text(s)
        case .blob(let d): .blob([UInt8](d))
        }
    }
}
