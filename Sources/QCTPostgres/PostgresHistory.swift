import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import QCTQualityControl
import QCTStorage

/// The QC history on a PostgreSQL server, shared by a network's nodes. Same semantics as the
/// SQLite store (the logic is `SQLHistoryBackend`'s, written once): every write is one
/// transaction that first locks the single `qct_change` row, so writers from every node are
/// serialised as SQLite's are — a series recorded by two nodes at once is stored once (and
/// `seriesInstanceUID` is unique besides), and a baseline or an event never interleaves with a
/// recording. Reads see one snapshot (REPEATABLE READ). A connection lost mid-transaction is
/// rolled back by the server; the store reconnects with backoff and runs the transaction again.
/// A connection lost during COMMIT leaves the outcome unknown to the client: the store asks the
/// server (`txid_status`) whether that transaction committed before running it again.
public final class PostgresHistory: SQLHistoryBackend, @unchecked Sendable {
    public let url: PostgresLocation
    public var location: String { url.description }
    public let clock: QCClock
    /// How long a transaction is retried, reconnecting with doubling waits, when the server goes away.
    public let retryFor: TimeInterval
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var lostConnections = 0

    /// How many times a transaction found the connection gone and was run again on a new one.
    public var reconnections: Int {
        lock.lock()
        defer { lock.unlock() }
        return lostConnections
    }
    private let logger = PostgresHistory.quietLogger

    /// The store's own event loop: its callers block on its futures, so it must never be one of the
    /// loops they run on (Hummingbird's, the shared singleton's).
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// postgres-nio's own log, kept to critical events (it never carries bound values).
    static let quietLogger: Logger = {
        var l = Logger(label: "qct.postgres")
        l.logLevel = .critical
        return l
    }()

    /// Connects, checks the server and applies missing migrations. A bad URL, an unreachable server
    /// or refused credentials is one `QCStoreError` line naming the database (never its password).
    public init(url text: String, clock: QCClock = .system, retryFor: TimeInterval = 6) throws(QCStoreError) {
        url = try PostgresLocation(url: text)
        self.clock = clock
        self.retryFor = retryFor
        lock.lock()
        defer { lock.unlock() }
        _ = try connected()
        try migrate()
    }

    deinit {
        connection?.closeBounded()
    }

    /// Closes the connection (the next call reconnects).
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        connection?.closeBounded()
        connection = nil
    }

    public func write<T>(_ body: (any SQLSession) throws -> T) throws(QCStoreError) -> T {
        try transaction("BEGIN ISOLATION LEVEL READ COMMITTED", lockChanges: true, body)
    }

    public func read<T>(_ body: (any SQLSession) throws -> T) throws(QCStoreError) -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lockChanges: false, body)
    }

    /// The change counter every write transaction bumps: equal tokens, equal history.
    public func changeToken() throws(QCStoreError) -> String {
        try read { db in "pg.\(try db.scalar("SELECT n FROM qct_change WHERE id = 1") ?? 0)" }
    }

    /// The site (role) this node writes as.
    public func site() throws(QCStoreError) -> String {
        try read { db in try db.scalar("SELECT current_user") ?? "" }
    }

    // MARK: - Transactions

    private func transaction<T>(_ begin: String, lockChanges: Bool, _ body: (any SQLSession) throws -> T) throws(QCStoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(retryFor)
        var wait = 0.2
        while true {
            do {
                let session = PostgresSession(connection: try connected(), logger: logger)
                try session.script(begin)
                var xid: Int64?
                let out: T
                do {
                    // Writers queue on the change row; the transaction's id tells later whether a COMMIT
                    // whose answer was lost took effect.
                    if lockChanges { xid = try session.scalar("UPDATE qct_change SET n = n + 1 WHERE id = 1 RETURNING txid_current()") }
                    out = try body(session)
                } catch {
                    if !Self.isConnectionLoss(error) { try? session.script("ROLLBACK") }
                    throw error
                }
                do { try session.script("COMMIT") } catch where Self.isConnectionLoss(error) {
                    guard let xid else { throw error }
                    if try committed(xid, deadline: deadline) { return out }
                    throw error
                }
                return out
            } catch {
                if Self.isConnectionLoss(error) && Date().addingTimeInterval(wait) < deadline {
                    dropConnection()
                    Thread.sleep(forTimeInterval: wait)
                    wait = min(wait * 2, 5)
                    continue
                }
                if let e = error as? QCStoreError { throw e }
                throw QCStoreError("\(url.description): \(Self.describe(error))")
            }
        }
    }

    private func dropConnection() {
        connection?.closeBounded()
        connection = nil
        lostConnections += 1
    }

    /// Whether transaction `xid`, whose COMMIT went out but whose answer was lost with the
    /// connection, took effect: asked of the server once it answers again (txid_status).
    private func committed(_ xid: Int64, deadline: Date) throws(QCStoreError) -> Bool {
        var wait = 0.2
        while true {
            dropConnection()
            do {
                let session = PostgresSession(connection: try connected(), logger: logger)
                let status: String? = try session.scalar("SELECT txid_status(?)", [xid])
                return status == "committed"
            } catch {
                guard Self.isConnectionLoss(error), Date().addingTimeInterval(wait) < deadline else {
                    throw QCStoreError("\(url.description): the connection was lost while committing, and whether the change was "
                                       + "stored cannot be known until the server answers (\(Self.describe(error)))")
                }
                Thread.sleep(forTimeInterval: wait)
                wait = min(wait * 2, 5)
            }
        }
    }

    /// The open connection, or a new one.
    private func connected() throws(QCStoreError) -> PostgresConnection {
        if let c = connection, !c.isClosed { return c }
        let c = try Self.connect(url, logger: logger)
        connection = c
        return c
    }

    /// A new connection to `url` (5 s to connect); a failure is one line naming the server.
    static func connect(_ url: PostgresLocation, logger: Logger) throws(QCStoreError) -> PostgresConnection {
        var config = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: url.password,
                                                      database: url.database, tls: .disable)
        if url.requireTLS {
            do {
                config.tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw QCStoreError("\(url.description): TLS: \(error)")
            }
        }
        config.options.connectTimeout = .seconds(5)
        do {
            // The TCP connect has its own 5 s; the start-up and authentication after it get 20 s,
            // and a connection that arrives later than that is closed.
            let pending = PostgresConnection.connect(on: eventLoops.next(), configuration: config, id: 1, logger: logger)
            return try pending.wait(atMost: 20) { pending.whenSuccess { let _: EventLoopFuture<Void> = $0.close() } }
        } catch {
            throw QCStoreError("\(url.description): cannot connect: \(describe(error))")
        }
    }

    /// Applies the migrations not yet recorded, under an advisory lock (two nodes starting together
    /// migrate once). A role that may not create tables gets the versions it is missing.
    private func migrate() throws(QCStoreError) {
        do {
            let c = try connected()
            let s = PostgresSession(connection: c, logger: logger)
            try s.script("BEGIN")
            do {
                try s.execute("SELECT pg_advisory_xact_lock(1363366993)")
                let hasTable = try s.tableExists("qct_schema")
                let applied: [String] = hasTable ? try s.column("SELECT version FROM qct_schema") : []
                let missing = PostgresMigrations.all.filter { !applied.contains($0.version) }
                if !missing.isEmpty {
                    if !hasTable { try s.script("CREATE TABLE qct_schema (version TEXT PRIMARY KEY, appliedAt TEXT NOT NULL)") }
                    for m in missing {
                        try s.script(m.sql)
                        try s.execute("INSERT INTO qct_schema (version, appliedAt) VALUES (?, ?)", [m.version, clock.iso()])
                    }
                }
                try s.script("COMMIT")
            } catch {
                try? s.script("ROLLBACK")
                throw error
            }
        } catch let e as QCStoreError {
            throw e
        } catch {
            throw QCStoreError("\(url.description): the schema cannot be brought up to date (\(Self.describe(error))); "
                               + "the database's owner applies it once (Docs/multisite.md)")
        }
    }

    /// Whether `error` means the connection went away (worth reconnecting), not a refusal.
    static func isConnectionLoss(_ error: Error) -> Bool {
        if let p = error as? PSQLError {
            switch p.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
            default:
                // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (the server is starting or stopping).
                if let state = p.serverInfo?[.sqlState], ["57P01", "57P02", "57P03"].contains(state) { return true }
                return false
            }
        }
        if error is StatementTimedOut { return true }
        if let e = error as? QCStoreError { return e.description.contains("cannot connect") }
        return error is ChannelError || error is IOError
    }

    /// One line: the server's own message (e.g. "password authentication failed for user …"), or the
    /// connection's failure, never the query's bound values.
    static func describe(_ error: Error) -> String {
        if let p = error as? PSQLError {
            if let message = p.serverInfo?[.message] {
                return message + (p.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let underlying = p.underlying { return describeLow(underlying) }
            return "\(p.code)"
        }
        return describeLow(error)
    }

    private static func describeLow(_ error: Error) -> String {
        if let io = error as? IOError { return io.description }
        if let e = error as? NIOConnectionError {
            return e.connectionErrors.first.map { describeLow($0.error) } ?? "connection failed"
        }
        return "\(error)"
    }
}
