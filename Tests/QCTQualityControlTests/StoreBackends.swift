import Foundation
import QCTPostgres
import QCTQualityControl
import QCTStorage
import QCTTestSupport
import XCTest

/// The one store test suite, run on both backends: each test body gets an SQLite history in
/// memory, then a PostgreSQL history in a new database of the test server.
enum StoreBackends {
    /// SQLite (in memory) and PostgreSQL (a new, migrated database), with the same clock.
    static func both(_ clock: QCClock) throws -> [(name: String, store: any SQLHistoryBackend)] {
        [("SQLite", try QCDatabase(inMemoryWith: clock)), ("PostgreSQL", try postgres(clock))]
    }

    /// A PostgreSQL history in a database of its own.
    static func postgres(_ clock: QCClock, retryFor: TimeInterval = 6) throws -> PostgresHistory {
        let name = TestPostgres.freshName()
        try PostgresAdmin.run("CREATE DATABASE \(name)", on: try TestPostgres.ownerURL.get())
        return try PostgresHistory(url: try TestPostgres.url(database: name), clock: clock, retryFor: retryFor)
    }
}
