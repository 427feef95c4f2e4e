import Foundation
import QCTCore
import QCTPostgres
import QCTQualityControl
import QCTStorage
import QCTTestSupport
import XCTest

/// What only a shared server has: sites kept apart by row-level security (the roles made by the
/// SQL in Docs/multisite.md), nodes recording at once, the server restarting mid-recording, and
/// the one-line refusals of a bad URL, an unreachable server and wrong credentials.
final class PostgresNetworkTests: XCTestCase {
    let clock = QCClock { Date(timeIntervalSince1970: 1_780_000_000) }

    func scanner(_ serial: String, _ station: String) -> ScannerIdentity {
        ScannerIdentity(manufacturer: "Maker", model: "M1", stationName: station, deviceSerialNumber: serial)
    }

    func input(_ s: ScannerIdentity, _ day: Int, _ value: Double, metrics: Int = 1) -> QCResultInput {
        QCResultInput(scanner: s, protocolKey: "120 kV, kernel B30f", kind: "mindways-model3-ct", phantom: "mindways-model3-ct",
                      certificate: "4541A", acquired: String(format: "2026-03-%02dT08:00:00", day),
                      seriesInstanceUID: "1.2.\(s.deviceSerialNumber ?? "").\(day)", analysisVersion: "test", source: "day \(day)",
                      calibrationStatus: "pass", provenance: "{}",
                      metrics: (0..<metrics).map { QCMetric(name: "m\($0)", unit: "HU", value: value + Double($0), percentLimit: nil) })
    }

    /// A new database, migrated by its owner; returns its name.
    func freshDatabase() throws -> String {
        let name = TestPostgres.freshName()
        try PostgresAdmin.run("CREATE DATABASE \(name)", on: try TestPostgres.ownerURL.get())
        _ = try PostgresHistory(url: try TestPostgres.url(database: name), clock: clock)
        return name
    }

    /// Runs the roles-and-grants block of Docs/multisite.md on `database`, its role names made
    /// unique to this test (`site_a` → `site_a_SUFFIX`…); the group roles may exist from an earlier run.
    func createRoles(database: String, suffix: String) throws {
        let doc = try String(contentsOf: TestRepository.root.appendingPathComponent("Docs/multisite.md"), encoding: .utf8)
        guard let start = doc.range(of: "```sql\n"), let end = doc.range(of: "```", range: start.upperBound..<doc.endIndex) else {
            return XCTFail("Docs/multisite.md has no ```sql block")
        }
        var sql = String(doc[start.upperBound..<end.lowerBound])
        for role in ["site_a", "site_b", "network"] {
            sql = sql.replacingOccurrences(of: "\\b\(role)\\b", with: "\(role)_\(suffix)", options: .regularExpression)
        }
        sql = sql.replacingOccurrences(of: "DATABASE qct ", with: "DATABASE \(database) ")
        let owner = try TestPostgres.url(database: database)
        for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
            do { try PostgresAdmin.run(statement, on: owner) } catch {
                guard "\(error)".contains("already exists"), statement.hasPrefix("CREATE ROLE qct_") else { throw error }
            }
        }
    }

    func testASiteReadsAndWritesOnlyItsOwnScannersAndTheNetworkReadsAll() throws {
        let db = try freshDatabase()
        let suffix = "\(getpid())_\(UInt16.random(in: 0...UInt16.max))"
        try createRoles(database: db, suffix: suffix)
        let a = try PostgresHistory(url: try TestPostgres.url(database: db, user: "site_a_\(suffix)", password: "change-me-a"), clock: clock)
        let b = try PostgresHistory(url: try TestPostgres.url(database: db, user: "site_b_\(suffix)", password: "change-me-b"), clock: clock)
        let network = try PostgresHistory(url: try TestPostgres.url(database: db, user: "network_\(suffix)", password: "change-me-n"), clock: clock)
        let (ctA, ctB) = (scanner("SN-A", "CT-A"), scanner("SN-B", "CT-B"))
        for d in 1...4 {
            _ = try a.record(input(ctA, d, 0.94), baselineSize: 3, cusumH: 5)
            _ = try b.record(input(ctB, d, 0.95), baselineSize: 3, cusumH: 5)
        }
        XCTAssertEqual(try a.site(), "site_a_\(suffix)")
        // Reads: each site its own; the network everything.
        XCTAssertEqual(try a.latestResults().map(\.scanner), ["CT-A"])
        XCTAssertEqual(try b.latestResults().map(\.scanner), ["CT-B"])
        XCTAssertEqual(try network.latestResults().map(\.scanner), ["CT-A", "CT-B"])
        XCTAssertEqual(try network.latestResults().map(\.site), ["site_a_\(suffix)", "site_b_\(suffix)"])
        // The network's status, from the command line: every site's scanners, each with its site.
        if let qct = ToolRunner.releaseQCT {
            let run = try ToolRunner.run(qct, ["qc", "status", "--db", try TestPostgres.url(database: db, user: "network_\(suffix)", password: "change-me-n")])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.hasPrefix("site"), run.stdout)
            XCTAssertTrue(run.stdout.contains("site_a_\(suffix)") && run.stdout.contains("site_b_\(suffix)"), run.stdout)
        } else {
            XCTFail("build the release qct first (make test does)")
        }
        XCTAssertEqual(try a.points(scanner: nil, metric: nil).count, 4)
        XCTAssertEqual(try network.points(scanner: nil, metric: nil).count, 8)
        // Writes: site A cannot name B's scanner or result, nor slip a row in under B's name.
        let bResult = try XCTUnwrap(try b.latestResults().first?.id)
        XCTAssertThrowsError(try a.addEvent(scanner: "CT-B", at: "2026-03-10", description: "x", baselineSize: 3)) {
            XCTAssertTrue("\($0)".contains("no scanner \"CT-B\""), "\($0)")
        }
        XCTAssertThrowsError(try a.reject(resultID: bResult, by: "ann", reason: "not mine", audit: nil)) {
            XCTAssertTrue("\($0)".contains("no result"), "\($0)")
        }
        let aURL = try TestPostgres.url(database: db, user: "site_a_\(suffix)", password: "change-me-a")
        XCTAssertThrowsError(try PostgresAdmin.run("""
            INSERT INTO audit (site, at, "user", action, detail) VALUES ('site_b_\(suffix)', 'now', 'mallory', 'forged', '')
            """, on: aURL)) { XCTAssertTrue("\($0)".contains("row-level security"), "\($0)") }
        try PostgresAdmin.run("UPDATE result SET state = 'forged' WHERE id = \(bResult)", on: aURL)  // touches no row it cannot see
        XCTAssertEqual(try b.latestResults().first?.state, .inControl)
        XCTAssertEqual(try b.auditLog(limit: 10).count, 0)
        // The network role reads but writes nothing.
        XCTAssertThrowsError(try network.record(input(scanner("SN-N", "CT-N"), 1, 1), baselineSize: 3, cusumH: 5))
        XCTAssertEqual(try network.latestResults().count, 2)
    }

    func testFourNodesRecordingTheSameSeriesAtOnceStoreEachOnce() throws {
        let db = try freshDatabase()
        let url = try TestPostgres.url(database: db)
        let ct = scanner("SN-C", "CT-C")
        let inputs = (1...24).map { input(ct, $0, 0.94 + Double($0 % 3) * 0.005, metrics: 3) }
        let stores = try (0..<4).map { _ in try PostgresHistory(url: url, clock: clock) }
        let outcomes = NSLock()
        nonisolated(unsafe) var stored: [String] = [], duplicates = 0, failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { node in
            // Each node receives the series in its own order.
            var order = inputs
            if node % 2 == 1 { order.reverse() }
            if node >= 2 { order = order.enumerated().sorted { ($0.offset * 7) % 24 < ($1.offset * 7) % 24 }.map(\.element) }
            for i in order {
                do {
                    let outcome = try stores[node].record(i, baselineSize: 5, cusumH: 5)
                    outcomes.lock()
                    if case .stored = outcome { stored.append(i.seriesInstanceUID) } else { duplicates += 1 }
                    outcomes.unlock()
                } catch {
                    outcomes.lock(); failures.append("\(error)"); outcomes.unlock()
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(stored.count, 24)
        XCTAssertEqual(Set(stored), Set(inputs.map(\.seriesInstanceUID)))
        XCTAssertEqual(duplicates, 3 * 24)
        // Every result whole: its three metrics, and the baseline made of the first five stored.
        let points = try stores[0].points(scanner: "CT-C", metric: nil)
        XCTAssertEqual(points.count, 72)
        XCTAssertEqual(Dictionary(grouping: points, by: \.seriesInstanceUID).values.map(\.count).sorted(), Array(repeating: 3, count: 24))
        XCTAssertEqual(points.filter { $0.state == .baseline }.count, 15)
    }

    func testTheServerRestartingMidRecordingLosesNothingAndHalfWritesNothing() throws {
        let dir = ProcessInfo.processInfo.environment["QCT_TEST_POSTGRES_DIR"]
            ?? TestRepository.root.appendingPathComponent(".build/pgtest").path
        let db = try freshDatabase()
        let url = try TestPostgres.url(database: db)
        let recorder = try PostgresHistory(url: url, clock: clock, retryFor: 60)
        let watcher = try PostgresHistory(url: url, clock: clock)
        let ct = scanner("SN-R", "CT-R")
        let done = DispatchSemaphore(value: 0)
        let inputs = (1...30).map { input(ct, $0, 0.94, metrics: 4) }
        nonisolated(unsafe) var failures: [String] = [], stored = 0
        Thread.detachNewThread {
            for i in inputs {
                do {
                    if case .stored = try recorder.record(i, baselineSize: 5, cusumH: 5) { stored += 1 }
                } catch { failures.append("\(i.source): \(error)") }
                usleep(30_000)
            }
            done.signal()
        }
        // Restart once a third is in, while the recorder is still going.
        let deadline = Date().addingTimeInterval(60)
        while (try? watcher.points(scanner: nil, metric: nil).count) ?? 0 < 40, Date() < deadline { usleep(10_000) }
        XCTAssertEqual(ToolRunner.spawnAndWait(["/bin/bash", TestRepository.root.appendingPathComponent("Scripts/pg_test_cluster.sh").path, "restart", dir]), 0)
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(failures, [])
        XCTAssertEqual(stored, 30)
        XCTAssertGreaterThanOrEqual(recorder.reconnections, 1, "the restart cut the recorder's connection")
        let points = try watcher.points(scanner: nil, metric: nil)
        XCTAssertEqual(points.count, 120)
        XCTAssertEqual(Dictionary(grouping: points, by: \.seriesInstanceUID).values.map(\.count).sorted(), Array(repeating: 4, count: 30))
    }

    func testABadURLAnUnreachableServerAndWrongCredentialsAreOneLineEach() throws {
        let cases: [(String, String)] = [
            ("postgresql://127.0.0.1/qct", "no user"),
            ("postgresql://someone@127.0.0.1:1/qct", "cannot connect"),
            (try TestPostgres.url(password: "wrong-secret"), "password authentication failed"),
        ]
        for (url, expected) in cases {
            XCTAssertThrowsError(try PostgresHistory(url: url, clock: clock)) { error in
                let line = "\(error)"
                XCTAssertTrue(line.contains(expected), line)
                XCTAssertFalse(line.contains("\n"), line)
                XCTAssertFalse(line.contains("wrong-secret") || line.contains("qct-owner-secret"), "a password reached the message: \(line)")
            }
        }
        // The command line: one line on stderr, exit 2, for each.
        guard let qct = ToolRunner.releaseQCT else { return XCTFail("build the release qct first (make test does)") }
        for (url, expected) in cases {
            let run = try ToolRunner.run(qct, ["qc", "status", "--db", url], timeout: 60)
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains(expected), run.stderr)
            XCTAssertFalse(run.stderr.contains("secret"), run.stderr)
        }
    }

    /// Every stored value with its judgement, as text (ids differ between stores; what was judged does not).
    func judged(_ store: any QCHistoryStore) throws -> [String] {
        try store.points(scanner: nil, metric: nil).map { p in
            [p.scanner, p.seriesInstanceUID, p.metric, p.unit, "\(p.value)", "\(p.state)", "\(String(describing: p.target))",
             "\(String(describing: p.sd))", "\(String(describing: p.z))", p.fired.joined(separator: ","), "\(p.resultState)"].joined(separator: "|")
        }
    }

    func testAMigrationRoundTripCopiesEverythingOnceAndVerifies() throws {
        let dir = try TestRepository.temporaryDirectory("qct-migrate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("site.sqlite").path
        let sqlite = try QCDatabase(path: file, clock: clock)
        let (ct1, ct2) = (scanner("SN-1", "CT-1"), scanner("SN-2", "CT-2"))
        var ids: [Int64] = []
        for d in 1...8 {
            var i = input(ct1, d, 0.94 + Double(d % 3) * 0.004, metrics: 2)
            if d > 5 { i.picture = Array("<svg>\(d)</svg>".utf8) }
            if case .stored(let r) = try sqlite.record(i, baselineSize: 4, cusumH: 5) { ids.append(r.id) }
            _ = try sqlite.record(input(ct2, d, 1.1, metrics: 1), baselineSize: 3, cusumH: 5)
        }
        _ = try sqlite.reject(resultID: ids[6], by: "ann", reason: "misplaced", audit: QCAuditEntry(at: "t", user: "ann", action: "reject", detail: ""))
        let (event, _) = try sqlite.addEvent(scanner: "CT-2", at: "2026-03-20", description: "tube", baselineSize: 3)
        _ = try sqlite.deleteEvent(id: try XCTUnwrap(event.id), reason: "wrong day")
        _ = try sqlite.addEvent(scanner: "CT-2", at: "2026-03-21", description: "tube", baselineSize: 3)
        _ = try sqlite.setBaseline(scanner: "CT-1", from: "2026-03-01", to: "2026-03-05")
        _ = try sqlite.addUser(QCUser(name: "ann", role: .physicist, createdAt: "t"), tokenHash: "abc")
        for d in 9...10 { _ = try sqlite.record(input(ct1, d, 0.95, metrics: 2), baselineSize: 4, cusumH: 5) }

        let pgName = try freshDatabase()
        let pg = try PostgresHistory(url: try TestPostgres.url(database: pgName), clock: clock)
        let first = try HistoryCopy.copy(from: sqlite, to: pg)
        XCTAssertTrue(first.verified, "\(first)")
        XCTAssertEqual(first.tables.first { $0.table == "result" }?.source, 18)
        XCTAssertEqual(first.tables.first { $0.table == "metric" }?.copied, 28)
        XCTAssertTrue(first.tables.allSatisfy { $0.copied == $0.source && $0.present == 0 }, "\(first.tables)")
        // Again: nothing copied twice.
        let again = try HistoryCopy.copy(from: sqlite, to: pg)
        XCTAssertTrue(again.verified)
        XCTAssertTrue(again.tables.allSatisfy { $0.copied == 0 && $0.present == $0.source }, "\(again.tables)")
        XCTAssertEqual(again.sourceChecksum, first.sourceChecksum)
        // Back into a new file: the same history, read through the store.
        let back = try QCDatabase(path: dir.appendingPathComponent("back.sqlite").path, clock: clock)
        XCTAssertTrue(try HistoryCopy.copy(from: pg, to: back).verified)
        for store in [pg as any QCHistoryStore, back] {
            XCTAssertEqual(try judged(store), try judged(sqlite))
            XCTAssertEqual(try store.latestResults().map(\.seriesInstanceUID), try sqlite.latestResults().map(\.seriesInstanceUID))
            XCTAssertEqual(try store.rejections(scanner: nil).map(\.reason), ["misplaced"])
            XCTAssertEqual(try store.events(scanner: "CT-2", deleted: true).map(\.description), ["tube", "tube"])
            XCTAssertNotNil(try store.user(tokenHash: "abc"))
        }
        // The command: verified, exit 0; then nothing copied.
        guard let qct = ToolRunner.releaseQCT else { return XCTFail("build the release qct first (make test does)") }
        let target = try freshDatabase()
        for pass in 0..<2 {
            let run = try ToolRunner.run(qct, ["qc", "migrate", "--from", file, "--to", try TestPostgres.url(database: target)], timeout: 120)
            XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
            XCTAssertTrue(run.stdout.contains("verified: every row"), run.stdout)
            XCTAssertFalse(run.stdout.contains("secret"), run.stdout)
            let resultLine = run.stdout.split(separator: "\n").first { $0.hasPrefix("result ") }?.split(separator: " ").map(String.init)
            XCTAssertEqual(resultLine, pass == 0 ? ["result", "18", "18", "0"] : ["result", "18", "0", "18"], run.stdout)
        }
    }
}
