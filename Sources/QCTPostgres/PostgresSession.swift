import Foundation
import Logging
import NIOCore
import PostgresNIO
import QCTStorage

/// The PostgreSQL side of `SQLSession`: one connection, inside the store's transaction. The
/// store's `?` placeholders become `$1…$n`; values travel as bound parameters, never in the SQL.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgresql }

    @discardableResult
    func rows(_ sql: String, _ arguments: SQLArguments) throws -> [SQLRow] {
        try collect(try answer(connection.query(query(sql, arguments), logger: logger)))
    }

    /// The statement's result, waited for at most `PostgresConnection.statementTimeout`, and no
    /// longer once the connection has closed; then the connection is closed and the wait fails as
    /// a lost connection (`StatementTimedOut`).
    func answer(_ pending: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        let c = connection
        return try pending.wait(atMost: PostgresConnection.statementTimeout, abandoned: { c.isClosed }) { let _: EventLoopFuture<Void> = c.close() }
    }

    /// Every statement queued on the connection at once, then every answer collected in order.
    func batch(_ statements: [(String, SQLArguments)]) throws -> [[SQLRow]] {
        let pending = statements.map { connection.query(query($0.0, $0.1), logger: logger) }
        var out: [[SQLRow]] = []
        var failure: Error?
        for p in pending {
            // Wait for all of them, even after a failure, so none is left running on the connection.
            do { out.append(try collect(try answer(p))) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        return out
    }

    func query(_ sql: String, _ arguments: SQLArguments) -> PostgresQuery {
        var binds = PostgresBindings(capacity: arguments.count)
        for a in arguments {
            switch a?.sqlValue ?? .null {
            case .null: binds.appendNull()
            case .int(let i): binds.append(i)
            case .double(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .blob(let b): binds.append(ByteBuffer(bytes: b))
            }
        }
        return PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds)
    }

    func collect(_ result: PostgresQueryResult) throws -> [SQLRow] {
        try result.rows.map { row in
            try SQLRow(row.map { cell in (cell.columnName, try Self.value(cell)) })
        }
    }

    /// Runs each statement of `sql` in turn (the extended protocol takes one at a time).
    func script(_ sql: String) throws {
        for statement in Self.statements(sql) {
            _ = try answer(connection.query(PostgresQuery(unsafeSQL: statement), logger: logger))
        }
    }

    /// `sql` split at the semicolons that end statements: not inside quotes or `$$` bodies.
    static func statements(_ sql: String) -> [String] {
        var out: [String] = [], current = ""
        var quote: Character?, dollar = false
        var previous: Character = " "
        for ch in sql {
            if dollar {
                if ch == "$" && previous == "$" { dollar = false }
            } else if let q = quote {
                if ch == q { quote = nil }
            } else if ch == "$" && previous == "$" {
                dollar = true
            } else if ch == "'" || ch == "\"" {
                quote = ch
            } else if ch == ";" {
                let s = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !s.isEmpty { out.append(s) }
                current = ""
                previous = " "
                continue
            }
            current.append(ch)
            // A "$$" that closes or opens a body must not count its second "$" again.
            previous = (ch == "$" && previous == "$") ? " " : ch
        }
        let s = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !s.isEmpty { out.append(s) }
        return out
    }

    func tableExists(_ table: String) throws -> Bool {
        let n: Int = try scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?",
                                [table.lowercased()]) ?? 0
        return n > 0
    }

    func hasColumn(_ table: String, _ column: String) throws -> Bool {
        let n: Int = try scalar("""
            SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?
            """, [table.lowercased(), column.lowercased()]) ?? 0
        return n > 0
    }

    /// `?` → `$n`, outside quoted strings and identifiers.
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.count + 16)
        var n = 0
        var quote: Character?
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                out.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                out.append(ch)
            } else if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return .int(try cell.decode(Int64.self))
        case .int4: return .int(Int64(try cell.decode(Int32.self)))
        case .int2: return .int(Int64(try cell.decode(Int16.self)))
        case .float8: return .double(try cell.decode(Double.self))
        case .float4: return .double(Double(try cell.decode(Float.self)))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        default: return .text(try cell.decode(String.self))
        }
    }
}
