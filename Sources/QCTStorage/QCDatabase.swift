import Foundation
import GRDB
import QCTQualityControl

/// The QC history: an SQLite file (GRDB) with migrations, WAL journal and
/// a busy timeout so several `qct qc record` processes can write in turn.
/// Every write is one IMMEDIATE transaction. (A GRDB DatabasePool, which
/// would let reads run side by side, aborts in its reader connections'
/// teardown on Linux's libdispatch — "free(): invalid pointer" from
/// SchedulingWatchdog's queue-specific value — so one serial queue it is.)
public final class QCDatabase: SQLHistoryBackend {
    public var location: String { path }

    /// SQLite `application_id` of a qct QC database ("QCTQ").
    public static let applicationID: Int32 = 0x5143_5451
    public let path: String
    let queue: DatabaseQueue
    /// When results, events and baselines are recorded.
    public let clock: QCClock

    /// Opens (creating if needed) the database at `path`. A file that is not
    /// SQLite, or an SQLite database of another application, is refused and
    /// left untouched. With `readOnly`, a missing file is refused (nothing is
    /// created) and the file is opened for reading only, so that someone who
    /// may only read it (an auditor) can.
    public init(path: String, readOnly: Bool = false, clock: QCClock = .system) throws(QCStoreError) {
        self.path = path
        self.clock = clock
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: path)
        if readOnly {
            guard exists else { throw QCStoreError("\(path): no QC database there (qct qc record creates one)") }
            try Self.checkForeign(path)
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(60)
            do { queue = try DatabaseQueue(path: path, configuration: config) } catch {
                throw QCStoreError("\(path): \(Self.describe(error))")
            }
            return
        }
        try Self.prepareWritable(path)
        var config = Configuration()
        config.busyMode = .timeout(60)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
        } catch {
            throw QCStoreError("\(path): \(Self.describe(error))")
        }
    }

    /// A database in memory, migrated, for tests and for a front end that keeps no history.
    public init(inMemoryWith clock: QCClock = .system) throws(QCStoreError) {
        path = ":memory:"
        self.clock = clock
        var config = Configuration()
        config.foreignKeysEnabled = true
        do {
            queue = try DatabaseQueue(configuration: config)
            try Self.migrator.migrate(queue)
        } catch {
            throw QCStoreError("in-memory database: \(Self.describe(error))")
        }
    }

    /// Before a database is opened for writing: an existing non-empty file must be ours (`checkForeign`,
    /// with `applicationID` and `what`); for a new one, its folder is created.
    static func prepareWritable(_ path: String, applicationID: Int32 = QCDatabase.applicationID, what: String = "QC database") throws(QCStoreError) {
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: path)
        let size = (try? fm.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if exists && size > 0 {
            try checkForeign(path, applicationID: applicationID, what: what)
        } else if !exists {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty {
                do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                    throw QCStoreError("\(path): cannot create its folder: \(error.localizedDescription)")
                }
            }
        }
    }

    /// Refuses a file that is not a qct QC database (or, with another `applicationID`, the database
    /// `what` names), reading it only.
    static func checkForeign(_ path: String, applicationID: Int32 = QCDatabase.applicationID, what: String = "QC database") throws(QCStoreError) {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(60)
        do {
            let q = try DatabaseQueue(path: path, configuration: config)
            let (id, tables) = try q.read { db in
                (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
                 try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
            }
            try q.close()
            if id != applicationID && !(id == 0 && tables.isEmpty) {
                throw QCStoreError("\(path): not a qct \(what) (application_id \(id), tables: \(tables.prefix(5).joined(separator: ", "))); left untouched")
            }
        } catch let e as QCStoreError {
            throw e
        } catch {
            throw QCStoreError("\(path): cannot be read as a \(what) (\(describe(error))); left untouched")
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.execute(sql: """
                CREATE TABLE scanner (
                  id INTEGER PRIMARY KEY,
                  key TEXT NOT NULL UNIQUE,
                  manufacturer TEXT, model TEXT, serial TEXT, station TEXT,
                  label TEXT NOT NULL);
                CREATE TABLE baseline (
                  id INTEGER PRIMARY KEY,
                  scannerId INTEGER NOT NULL REFERENCES scanner(id),
                  protocol TEXT NOT NULL,
                  kind TEXT NOT NULL,
                  reason TEXT NOT NULL,
                  size INTEGER NOT NULL,
                  startedAt TEXT NOT NULL,
                  fromDate TEXT, toDate TEXT,
                  complete INTEGER NOT NULL DEFAULT 0,
                  createdAt TEXT NOT NULL);
                CREATE INDEX baseline_scope ON baseline(scannerId, protocol, kind);
                CREATE TABLE baselineMetric (
                  baselineId INTEGER NOT NULL REFERENCES baseline(id),
                  name TEXT NOT NULL, unit TEXT NOT NULL,
                  mean REAL NOT NULL, sd REAL NOT NULL, n INTEGER NOT NULL,
                  PRIMARY KEY (baselineId, name));
                CREATE TABLE result (
                  id INTEGER PRIMARY KEY,
                  scannerId INTEGER NOT NULL REFERENCES scanner(id),
                  seriesInstanceUID TEXT NOT NULL UNIQUE,
                  protocol TEXT NOT NULL,
                  kind TEXT NOT NULL,
                  phantom TEXT NOT NULL,
                  certificate TEXT,
                  acquired TEXT NOT NULL,
                  recordedAt TEXT NOT NULL,
                  analysisVersion TEXT NOT NULL,
                  source TEXT NOT NULL,
                  baselineId INTEGER REFERENCES baseline(id),
                  state TEXT NOT NULL,
                  fired TEXT NOT NULL,
                  calibrationStatus TEXT NOT NULL,
                  provenance TEXT NOT NULL);
                CREATE INDEX result_scope ON result(scannerId, protocol, kind, acquired);
                CREATE TABLE metric (
                  resultId INTEGER NOT NULL REFERENCES result(id),
                  name TEXT NOT NULL, unit TEXT NOT NULL, value REAL NOT NULL,
                  judged INTEGER NOT NULL,
                  percentLimit REAL,
                  target REAL, sd REAL, z REAL,
                  state TEXT NOT NULL, fired TEXT NOT NULL,
                  cusumUpper REAL, cusumLower REAL,
                  PRIMARY KEY (resultId, name));
                CREATE TABLE event (
                  id INTEGER PRIMARY KEY,
                  scannerId INTEGER NOT NULL REFERENCES scanner(id),
                  at TEXT NOT NULL,
                  description TEXT NOT NULL,
                  recordedAt TEXT NOT NULL);
                """)
        }
        // v2: a service event can be deleted (kept, with when and why: the audit); the baselines it
        // started are withdrawn, and judgements already stored under them are kept.
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE event ADD COLUMN deletedAt TEXT;
                ALTER TABLE event ADD COLUMN deleteReason TEXT;
                ALTER TABLE baseline ADD COLUMN eventId INTEGER REFERENCES event(id);
                ALTER TABLE baseline ADD COLUMN withdrawnAt TEXT;
                UPDATE baseline SET eventId = (SELECT e.id FROM event e WHERE e.scannerId = baseline.scannerId AND e.at = baseline.startedAt
                                               ORDER BY e.id DESC LIMIT 1)
                  WHERE reason LIKE 'after service event %';
                """)
        }
        // v3: what a QC node made of each series it received (no patient identifier is kept).
        m.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE input (
                  id INTEGER PRIMARY KEY,
                  seriesInstanceUID TEXT NOT NULL,
                  source TEXT NOT NULL,
                  firstReceived TEXT NOT NULL,
                  lastReceived TEXT NOT NULL,
                  finishedAt TEXT NOT NULL,
                  files INTEGER NOT NULL,
                  outcome TEXT NOT NULL,
                  reason TEXT NOT NULL,
                  resultId INTEGER REFERENCES result(id));
                CREATE INDEX input_finished ON input(finishedAt);
                """)
        }
        // v4: users who may write through a node (token hashes only) and the audit log.
        m.registerMigration("v4") { db in
            try db.execute(sql: """
                CREATE TABLE user (
                  id INTEGER PRIMARY KEY,
                  name TEXT NOT NULL UNIQUE,
                  role TEXT NOT NULL,
                  tokenHash TEXT NOT NULL UNIQUE,
                  createdAt TEXT NOT NULL);
                CREATE TABLE audit (
                  id INTEGER PRIMARY KEY,
                  at TEXT NOT NULL,
                  user TEXT NOT NULL,
                  action TEXT NOT NULL,
                  detail TEXT NOT NULL);
                """)
        }
        // v5: a result can be rejected (kept, with who, when and why); the overlay picture (SVG) of a
        // result, kept for the most recent results of each scanner; results indexed by baseline
        // (judging a result reads its baseline's members: without it every recording scanned the
        // whole metric table, 78 ms a result at 6,500 results).
        m.registerMigration("v5") { db in
            try db.execute(sql: """
                ALTER TABLE result ADD COLUMN rejectedAt TEXT;
                ALTER TABLE result ADD COLUMN rejectedBy TEXT;
                ALTER TABLE result ADD COLUMN rejectReason TEXT;
                CREATE TABLE picture (
                  resultId INTEGER PRIMARY KEY REFERENCES result(id),
                  svg BLOB NOT NULL);
                CREATE INDEX result_baseline ON result(baselineId);
                """)
        }
        // v6: precision studies, per scanner, one row per set of scans.
        m.registerMigration("v6") { db in
            try db.execute(sql: """
                CREATE TABLE precisionStudy (
                  id INTEGER PRIMARY KEY,
                  scannerId INTEGER NOT NULL REFERENCES scanner(id),
                  fromDate TEXT NOT NULL,
                  toDate TEXT NOT NULL,
                  storedAt TEXT NOT NULL,
                  scans INTEGER NOT NULL,
                  phantom TEXT NOT NULL,
                  certificates TEXT NOT NULL,
                  analysisVersion TEXT NOT NULL,
                  unit TEXT NOT NULL,
                  rmsSD REAL NOT NULL,
                  overallCV REAL NOT NULL,
                  lsc REAL NOT NULL,
                  seriesKey TEXT NOT NULL,
                  json TEXT NOT NULL,
                  UNIQUE (scannerId, seriesKey));
                """)
        }
        // v7: cross-calibration equations (qct compare --record), per scanner, versioned.
        m.registerMigration("v7") { db in
            try db.execute(sql: """
                CREATE TABLE crossCalibration (
                  id INTEGER PRIMARY KEY,
                  scannerId INTEGER NOT NULL REFERENCES scanner(id),
                  version INTEGER NOT NULL,
                  fromDate TEXT NOT NULL, toDate TEXT NOT NULL, storedAt TEXT NOT NULL,
                  target TEXT NOT NULL,
                  intercept REAL NOT NULL, slope REAL NOT NULL, r REAL NOT NULL, points INTEGER NOT NULL,
                  unit TEXT NOT NULL, targetUnit TEXT NOT NULL,
                  analysisVersion TEXT NOT NULL,
                  seriesKey TEXT NOT NULL,
                  UNIQUE (scannerId, seriesKey, target),
                  UNIQUE (scannerId, version));
                """)
        }
        // v8: results by baseline in acquisition order, so a metric's last judged values (all the
        // rules read) are found by walking back from the newest instead of reading the whole baseline.
        m.registerMigration("v8") { db in
            try db.execute(sql: "CREATE INDEX result_baseline_acquired ON result(baselineId, acquired, id); DROP INDEX result_baseline")
        }
        return m
    }

    /// The default location: $XDG_DATA_HOME/qct/qc.sqlite, else ~/.local/share/qct/qc.sqlite.
    public static func defaultPath(named name: String = "qc.sqlite") -> String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_DATA_HOME"], xdg.hasPrefix("/") { return (xdg as NSString).appendingPathComponent("qct/" + name) }
        let home = env["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".local/share/qct/" + name)
    }

    /// Runs `body` in one IMMEDIATE transaction (the write lock is taken first, so
    /// a concurrent writer waits instead of judging against a stale history).
    public func write<T>(_ body: (any SQLSession) throws -> T) throws(QCStoreError) -> T {
        do {
            return try queue.writeWithoutTransaction { db in
                var out: T?
                try db.inTransaction(.immediate) {
                    out = try body(GRDBSession(db: db))
                    return .commit
                }
                return out!
            }
        } catch let e as QCStoreError {
            throw e
        } catch {
            throw QCStoreError("\(path): \(Self.describe(error))")
        }
    }

    public func read<T>(_ body: (any SQLSession) throws -> T) throws(QCStoreError) -> T {
        do { return try queue.read { db in try body(GRDBSession(db: db)) } } catch let e as QCStoreError {
            throw e
        } catch {
            throw QCStoreError("\(path): \(Self.describe(error))")
        }
    }

    /// SQLite's `data_version` (bumped by commits of other connections) and this connection's
    /// `total_changes()` (its own): together they change with every change to the file.
    public func changeToken() throws(QCStoreError) -> String {
        try read { db in
            let other = try db.scalar("PRAGMA data_version") ?? 0
            let own = try db.scalar("SELECT total_changes()") ?? 0
            return "\(other).\(own)"
        }
    }

    /// Checks the file's structure (SQLite's own integrity check).
    public func integrityCheck() throws(QCStoreError) -> String {
        try read { db in try db.scalar("PRAGMA integrity_check") ?? "no answer" }
    }
}
