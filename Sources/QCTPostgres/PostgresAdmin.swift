import Foundation
import PostgresNIO
import QCTQualityControl

/// Statements that run outside a transaction (CREATE DATABASE, roles), for setting a server up.
public enum PostgresAdmin {
    /// Runs `sql` (one or more statements, no parameters) on `url`'s database.
    public static func run(_ sql: String, on url: String) throws(QCStoreError) {
        let location = try PostgresLocation(url: url)
        let connection = try PostgresHistory.connect(location, logger: PostgresHistory.quietLogger)
        defer { connection.closeBounded() }
        do { try PostgresSession(connection: connection, logger: PostgresHistory.quietLogger).script(sql) } catch {
            throw QCStoreError("\(location.description): \(PostgresHistory.describe(error))")
        }
    }
}
