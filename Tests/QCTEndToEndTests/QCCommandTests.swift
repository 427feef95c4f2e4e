import Foundation
import QCTTestSupport
import XCTest

/// `qct qc` on simulated 60-day scenarios (one pad scan a day with the
/// day-to-day CT-number variation of a real scanner), and the database's
/// durability: killed writers, concurrent writers, corrupt and foreign files.
final class QCCommandTests: XCTestCase {
    static let repo = SimulateCommandTests.repo
    let phantoms = QCCommandTests.repo.appendingPathComponent("Phantoms").path
    nonisolated(unsafe) static var days: URL?

    override class func tearDown() {
        if let d = days { try? FileManager.default.removeItem(at: d) }
    }

    /// A normal deviate (Box–Muller).
    static func gauss(_ rng: inout TestRandom) -> Double {
        let u = max(rng.next(), 1e-12), v = rng.next()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// Simulates one pad scan for day d (1-based) into dir: gain N(1, 0.3 %), offset N(0, 2 HU) day to day.
    func simulateDay(_ d: Int, into dir: URL, gain extraGain: Double = 1, rodC: Double = 1, jitter: (Double, Double)) throws {
        let date = Calendar(identifier: .gregorian).date(byAdding: .day, value: d - 1, to: DateComponents(calendar: Calendar(identifier: .gregorian),
            timeZone: TimeZone(identifier: "UTC"), year: 2026, month: 3, day: 1).date!)!
        let f = DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd"
        var args = ["simulate", "pad", "--out", dir.path, "--phantoms", phantoms, "--seed", "\(7000 + d)", "--matrix", "256",
                    "--pixel-spacing", "1.6", "--slices", "10", "--thickness", "5", "--spacing", "5", "--acquired", f.string(from: date) + "080000",
                    "--gain", String(format: "%.6f", jitter.0 * extraGain), String(format: "--offset=%.4f", jitter.1)]
        if rodC != 1 { args += ["--insert-scale", String(format: "C=%.5f", rodC)] }
        let r = try QCTRunner.runTool(try QCTRunner.releaseQCT(), args)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Stable days 1–60, a bad day 40, and days 21–60 with rod C drifting 0.3 %/day: simulated once.
    func scenarioDays() throws -> URL {
        if let d = Self.days { return d }
        let root = try QCTRunner.temporaryDirectory()
        var rng = TestRandom(state: 60_2026)
        for d in 1...60 {
            let jitter = (1 + 0.003 * Self.gauss(&rng), 2.0 * Self.gauss(&rng))
            try simulateDay(d, into: root.appendingPathComponent(String(format: "stable/d%02d", d)), jitter: jitter)
            if d == 40 { try simulateDay(d, into: root.appendingPathComponent("bad/d40"), gain: 1.03, jitter: jitter) }
            if d > 20 { try simulateDay(d, into: root.appendingPathComponent(String(format: "drift/d%02d", d)), rodC: 1 + 0.003 * Double(d - 20), jitter: jitter) }
        }
        Self.days = root
        return root
    }

    func record(_ dirs: [URL], db: URL, extra: [String] = []) throws -> QCTRun {
        try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "record"] + dirs.map(\.path) + ["--db", db.path, "--phantoms", phantoms] + extra,
                              timeout: 600)
    }

    /// Recorded lines by day: (day index 1…60, text after the date).
    func outcomes(_ run: QCTRun) -> [(day: Int, text: String)] {
        run.stdout.split(separator: "\n").filter { $0.hasPrefix("recorded ") }.map { line in
            let day = Int(line.split(separator: "/").last(where: { $0.hasPrefix("d") }).map { String($0.dropFirst().prefix(2)) } ?? "") ?? 0
            return (day, String(line))
        }
    }

    func dayDirs(_ root: URL, _ days: ClosedRange<Int>, replacing: [Int: URL] = [:]) -> [URL] {
        days.map { replacing[$0] ?? root.appendingPathComponent(String(format: "stable/d%02d", $0)) }
    }

    /// Under cron, stdout goes to a file: each result line is there as soon as it is stored, and an
    /// interrupted run says how far it got; what was stored stays.
    func testInterruptedBatchKeepsItsLinesAndSaysHowFarItGot() throws {
        let root = try scenarioDays(), work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let db = work.appendingPathComponent("qc.sqlite")
        let log = work.appendingPathComponent("log.txt"), errors = work.appendingPathComponent("err.txt")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try QCTRunner.releaseQCT())
        p.arguments = ["qc", "record"] + dayDirs(root, 1...30).map(\.path) + ["--db", db.path, "--phantoms", phantoms]
        p.standardOutput = try FileHandle(forWritingTo: log)
        p.standardError = try FileHandle(forWritingTo: errors)
        try p.run()
        func lines() -> [String] {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.hasPrefix("recorded ") }
        }
        let deadline = Date().addingTimeInterval(300)
        while lines().count < 5, p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(p.isRunning, "the batch ended before it could be interrupted")
        p.interrupt()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let written = lines()
        XCTAssertGreaterThanOrEqual(written.count, 5)
        XCTAssertLessThan(written.count, 30)
        let stderr = try String(contentsOf: errors, encoding: .utf8)
        XCTAssertTrue(stderr.contains("interrupted: \(written.count) of 30 recorded"), stderr + "\n" + written.joined(separator: "\n"))
        // Every line printed is stored: the export holds exactly those scans (8 metrics each).
        let csv = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "export", "--db", db.path])
        XCTAssertEqual(csv.stdout.split(separator: "\n").count, 1 + written.count * 8, stderr)
    }

    func testStableScannerRaisesAtMostOneFalseAlarmIn60Days() throws {
        let root = try scenarioDays(), work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let run = try record(dayDirs(root, 1...60), db: work.appendingPathComponent("qc.sqlite"))
        let lines = outcomes(run)
        XCTAssertEqual(lines.count, 60, run.stderr)
        XCTAssertEqual(lines.filter { $0.text.contains("baseline") }.count, 15, "the first 15 scans form the baseline")
        let alarms = lines.filter { $0.text.contains("out of control") }
        XCTAssertLessThanOrEqual(alarms.count, 1, alarms.map(\.text).joined(separator: "\n"))
        print("stable scanner: \(alarms.count) false alarm(s) in 60 days")
    }

    func testOneBadDayFires13sOnThatDay() throws {
        let root = try scenarioDays(), work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let db = work.appendingPathComponent("qc.sqlite")
        let run = try record(dayDirs(root, 1...60, replacing: [40: root.appendingPathComponent("bad/d40")]), db: db)
        XCTAssertEqual(run.status, 4, "the batch holds an out-of-control day: \(run.stderr)")
        let status = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "status", "--db", db.path])
        XCTAssertEqual(status.status, 0, "the last day is in control again: \(status.stdout)")
        let lines = outcomes(run)
        let day40 = try XCTUnwrap(lines.first { $0.day == 40 })
        XCTAssertTrue(day40.text.contains("out of control") && day40.text.contains("1_3s"), day40.text)
        // The days after it are judged without it.
        for d in 41...43 { XCTAssertFalse(lines.first { $0.day == d }?.text.contains("out of control") ?? true, "day \(d)") }
    }

    func testSlowRodDriftIsCaughtByCUSUMBefore13s() throws {
        let root = try scenarioDays(), work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        var drifted: [Int: URL] = [:]
        for d in 21...60 { drifted[d] = root.appendingPathComponent(String(format: "drift/d%02d", d)) }
        let run = try record(dayDirs(root, 1...60, replacing: drifted), db: work.appendingPathComponent("qc.sqlite"))
        let lines = outcomes(run)
        let cusum = lines.first { $0.text.contains("rod C: CUSUM+") }?.day
        let shewhart = lines.first { $0.text.contains("rod C: 1_3s") }?.day ?? 61
        let caught = try XCTUnwrap(cusum, "CUSUM never caught the drift")
        XCTAssertLessThan(caught, shewhart, "CUSUM day \(caught), 1_3s day \(shewhart)")
        print("rod C drifting 0.3 %/day from day 21: CUSUM fired on day \(caught), 1_3s on day \(shewhart)")
        // The chart marks the violations; the export carries every value with its judgement.
        let chart = work.appendingPathComponent("rodC.svg")
        let c = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "chart", "--db", work.appendingPathComponent("qc.sqlite").path,
                                                                   "--scanner", "QCT1", "--metric", "rod C", "--out", chart.path])
        XCTAssertEqual(c.status, 0, c.stderr)
        let svg = try String(contentsOf: chart, encoding: .utf8)
        XCTAssertTrue(svg.contains("CUSUM+") && svg.contains("+3 SD"), "violations and limits drawn")
        // Printed on Letter paper with the page header.
        let pdf = work.appendingPathComponent("rodC.pdf")
        let printed = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "chart", "--db", work.appendingPathComponent("qc.sqlite").path,
                                                                         "--scanner", "QCT1", "--metric", "rod C", "--pdf", pdf.path, "--paper", "letter",
                                                                         "--institution", "Example Clinic"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let report = try PrintedReport(pdf)
        report.assertPaper(PrintedReport.letter)
        report.assertEveryPageHas(["Example Clinic", "scanner QCT1", "2026-"])
        XCTAssertTrue(report.pageTexts[0].contains("rod C"), report.pageTexts[0])
        XCTAssertGreaterThan(report.nonWhite, 0.01)
        // Dates on the x axis (not days since), every limit labelled, the baseline shaded with its n, a legend.
        XCTAssertFalse(svg.contains("days since"))
        XCTAssertNotNil(svg.range(of: #">2026-[0-9]{2}-[0-9]{2}</text>"#, options: .regularExpression), "date ticks")
        for label in ["+1 SD", "+2 SD", "−1 SD", "−2 SD", "−3 SD", ">mean<", "baseline (n = 15)", "class=\"legend\"", "out of control</text>", "service event</text>"] {
            XCTAssertTrue(svg.contains(label), label)
        }
        // Rule labels never share a line: no two at the same place.
        let rules = try NSRegularExpression(pattern: #"<text x="([0-9.]+)" y="([0-9.]+)"[^>]*class="rule""#)
        let places = rules.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).map { m in
            (Double(svg[Range(m.range(at: 1), in: svg)!])!, Double(svg[Range(m.range(at: 2), in: svg)!])!)
        }
        XCTAssertFalse(places.isEmpty)
        for (k, a) in places.enumerated() {
            for b in places[(k + 1)...] { XCTAssertFalse(abs(a.0 - b.0) < 150 && abs(a.1 - b.1) < 11.9, "rule labels overlap at \(a) and \(b)") }
        }
        // Rendered by Chromium: not blank.
        if let browser = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            let png = work.appendingPathComponent("rodC.png")
            let shot = try QCTRunner.runTool(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                       "--user-data-dir=\(work.appendingPathComponent("profile").path)",
                                                       "--window-size=980,420", "--screenshot=\(png.path)", chart.absoluteString], timeout: 120)
            XCTAssertTrue(FileManager.default.fileExists(atPath: png.path), shot.stderr)
            let stats = try QCTRunner.runTool(QCTRunner.fixtures.appendingPathComponent("venv/bin/python").path,
                                              [SimulateCommandTests.repo.appendingPathComponent("Scripts/png_stats.py").path, png.path])
            let st = try QCTRunner.json(stats.stdout)
            XCTAssertGreaterThan(try XCTUnwrap(st["nonWhiteFraction"] as? Double), 0.02, stats.stdout)
            XCTAssertGreaterThan(try XCTUnwrap(st["colours"] as? Int), 8, stats.stdout)
        } else {
            XCTFail("Debian's chromium is needed (make deps installs it)")
        }
        let csv = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["qc", "export", "--db", work.appendingPathComponent("qc.sqlite").path])
        XCTAssertEqual(csv.stdout.split(separator: "\n").count, 1 + 60 * 8, "header + 60 days × 8 metrics")
    }

    func testDuplicateSeriesStatusCodesServiceEventAndBaseline() throws {
        let root = try scenarioDays(), work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let db = work.appendingPathComponent("qc.sqlite")
        let qct = try QCTRunner.releaseQCT()
        let created = try record(dayDirs(root, 1...20), db: db)
        XCTAssertNotEqual(created.status, 2)
        XCTAssertTrue(created.stderr.contains("created new QC database \(db.path)"), created.stderr)
        let again = try record(dayDirs(root, 20...20), db: db)
        XCTAssertTrue(again.stdout.contains("already recorded"), again.stdout)
        XCTAssertEqual(try QCTRunner.runTool(qct, ["qc", "export", "--db", db.path]).stdout.split(separator: "\n").count, 1 + 20 * 8)
        // Status exits with the last result's state: 0 in control, 3 warning.
        let first = try QCTRunner.runTool(qct, ["qc", "status", "--db", db.path, "--json"])
        let state = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: Any]])?.first?["state"] as? String)
        XCTAssertEqual(first.status, state == "warning" ? 3 : 0, first.stdout)
        // A bad day: status 4 until the next good day.
        XCTAssertEqual(try record([root.appendingPathComponent("bad/d40")], db: db).status, 4)
        let status = try QCTRunner.runTool(qct, ["qc", "status", "--db", db.path, "--json"])
        XCTAssertEqual(status.status, 4)
        XCTAssertTrue(status.stdout.contains("1_3s"), status.stdout)
        // In text: the value, its unit, the target and z of each metric whose rules fired, then the rules.
        let text = try QCTRunner.runTool(qct, ["qc", "status", "--db", db.path])
        XCTAssertEqual(text.status, 4)
        let why = try NSRegularExpression(pattern: #"[A-Za-z ]+ -?[0-9.]+(e[-+][0-9]+)? [^ (]+( [^ (]+)* \(target -?[0-9.]+(e[-+][0-9]+)?, z [+-][0-9]+\.[0-9]\): [^;]*1_3s"#)
        XCTAssertNotNil(why.firstMatch(in: text.stdout, range: NSRange(text.stdout.startIndex..., in: text.stdout)), text.stdout)
        // -v: every metric of the last result, each with its state.
        let verbose = try QCTRunner.runTool(qct, ["qc", "status", "--db", db.path, "-v"])
        let metricLines = verbose.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && ($0.contains(": in control") || $0.contains(": warning") || $0.contains(": out of control")) }
        XCTAssertEqual(metricLines.count, 8, verbose.stdout)
        // The bad day was a phantom set up wrong: rejected with its reason (audited), it stops counting and
        // the scanner's state is its last good day's again; a rejection without a reason, or twice, is refused.
        let bad = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])?.first?["id"] as? Int)
        XCTAssertEqual(try QCTRunner.runTool(qct, ["qc", "reject", "--db", db.path, "\(bad)"]).status, 2, "no reason")
        let rejected = try QCTRunner.runTool(qct, ["qc", "reject", "--db", db.path, "\(bad)", "--reason", "phantom set up off-centre"])
        XCTAssertEqual(rejected.status, 0, rejected.stderr)
        XCTAssertTrue(rejected.stdout.contains("rejected result \(bad) (QCT1") && rejected.stdout.contains("judged out of control"), rejected.stdout)
        XCTAssertEqual(try QCTRunner.runTool(qct, ["qc", "reject", "--db", db.path, "\(bad)", "--reason", "twice"]).status, 2)
        let back = try QCTRunner.runTool(qct, ["qc", "status", "--db", db.path, "--json"])
        XCTAssertEqual(back.status, first.status, back.stdout)
        XCTAssertFalse(back.stdout.contains("1_3s"), back.stdout)
        XCTAssertEqual(try QCTRunner.runTool(qct, ["qc", "export", "--db", db.path]).stdout.split(separator: "\n").count, 1 + 20 * 8,
                       "the rejected day is no longer exported with the values that count")
        let audit = try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, "SELECT user, action, detail FROM audit"]).stdout
        XCTAssertTrue(audit.contains("(command line)|reject result|result \(bad): phantom set up off-centre"), audit)
        // Judgements before a service event stay; a new baseline starts after it.
        let before = try QCTRunner.runTool(qct, ["qc", "export", "--db", db.path]).stdout
        // A date that is not ISO 8601 is refused with the expected form, and nothing is stored.
        for bad in ["25/02/2026", "next tuesday", "2026-13-45"] {
            let refused = try QCTRunner.runTool(qct, ["qc", "event", "--db", db.path, "--scanner", "QCT1", "--at", bad, "tube replaced"])
            XCTAssertNotEqual(refused.status, 0, bad)
            XCTAssertTrue(refused.stderr.contains("--at \(bad): not an ISO 8601 date; expected YYYY-MM-DD"), refused.stderr)
        }
        XCTAssertEqual(try QCTRunner.runTool(qct, ["qc", "export", "--db", db.path]).stdout, before, "nothing stored by refused events")
        let event = try QCTRunner.runTool(qct, ["qc", "event", "--db", db.path, "--scanner", "QCT1", "--at", "2026-04-10T12:00:00", "tube replaced"])
        XCTAssertEqual(event.status, 0, event.stderr)
        let next = try record(dayDirs(root, 41...41), db: db)
        XCTAssertTrue(next.stdout.contains("baseline 1 of 15"), next.stdout)
        let after = try QCTRunner.runTool(qct, ["qc", "export", "--db", db.path]).stdout
        XCTAssertTrue(after.hasPrefix(before), "earlier rows and their judgements unchanged")
        // The event was a mistake: deleted with a reason (kept, audited); its baseline is withdrawn, so the
        // next day is judged against the baseline before it, and what was stored stays as it was.
        let eventID = try XCTUnwrap(event.stdout.split(separator: " ").dropFirst().first.map(String.init))
        let noReason = try QCTRunner.runTool(qct, ["qc", "event", "--db", db.path, "--delete", eventID])
        XCTAssertEqual(noReason.status, 2, noReason.stderr)
        XCTAssertTrue(noReason.stderr.contains("--delete needs --reason"), noReason.stderr)
        let deleted = try QCTRunner.runTool(qct, ["qc", "event", "--db", db.path, "--delete", eventID, "--reason", "entered on the wrong scanner"])
        XCTAssertEqual(deleted.status, 0, deleted.stderr)
        XCTAssertTrue(deleted.stdout.contains("1 baseline(s) it started withdrawn"), deleted.stdout)
        let again2 = try QCTRunner.runTool(qct, ["qc", "event", "--db", db.path, "--delete", eventID, "--reason", "twice"])
        XCTAssertEqual(again2.status, 2, again2.stderr)
        let listed = try QCTRunner.runTool(qct, ["qc", "event", "--db", db.path, "--list", "--scanner", "QCT1"])
        XCTAssertTrue(listed.stdout.contains("tube replaced") && listed.stdout.contains("entered on the wrong scanner"), listed.stdout)
        XCTAssertEqual(try QCTRunner.runTool(qct, ["qc", "export", "--db", db.path]).stdout, after, "nothing stored changes")
        let judged = try record(dayDirs(root, 42...42), db: db)
        XCTAssertFalse(judged.stdout.contains("baseline 2 of 15"), judged.stdout)
        XCTAssertTrue(judged.stdout.contains("in control") || judged.stdout.contains("warning"), judged.stdout)
        // An explicit baseline from dates.
        let b = try QCTRunner.runTool(qct, ["qc", "baseline", "--db", db.path, "--scanner", "QCT1", "--from", "2026-03-01", "--to", "2026-03-20"])
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertTrue(b.stdout.contains("20 results"), b.stdout)
        // Reading commands refuse a missing database and create nothing.
        let none = work.appendingPathComponent("none.sqlite").path
        for args in [["qc", "status", "--db", none], ["qc", "export", "--db", none],
                     ["qc", "chart", "--db", none, "--scanner", "QCT1", "--metric", "sigmaCT", "--out", work.appendingPathComponent("c.svg").path]] {
            let r = try QCTRunner.runTool(qct, args)
            XCTAssertEqual(r.status, 2, args[1])
            XCTAssertTrue(r.stderr.contains("no QC database there"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: none), args[1])
        }
    }

    func testKilledConcurrentAndForeignDatabases() throws {
        let root = try scenarioDays(), work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let db = work.appendingPathComponent("qc.sqlite")
        let qct = try QCTRunner.releaseQCT()
        let python = QCTRunner.fixtures.appendingPathComponent("venv/bin/python").path
        func integrity() throws -> (String, Int) {
            let r = try QCTRunner.runTool(python, ["-c", """
                import sqlite3, sys
                c = sqlite3.connect(sys.argv[1])
                print(c.execute('PRAGMA integrity_check').fetchone()[0], c.execute('SELECT COUNT(*) FROM result').fetchone()[0])
                """, db.path])
            let parts = r.stdout.split(separator: " ")
            return (String(parts.first ?? ""), Int(parts.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1)
        }
        // SIGKILL a writer mid-way through 60 series, three times at different moments.
        for delay in [0.8, 1.6, 2.4] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: qct)
            p.arguments = ["qc", "record"] + dayDirs(root, 1...60).map(\.path) + ["--db", db.path, "--phantoms", phantoms]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32(delay * 1_000_000))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let (check, count) = try integrity()
            XCTAssertEqual(check, "ok", "after SIGKILL at \(delay) s")
            XCTAssertGreaterThanOrEqual(count, 0)
        }
        // Two writers at once, then one more: every series stored exactly once.
        let a = Process(), b = Process()
        for (p, range) in [(a, 1...30), (b, 25...60)] {
            p.executableURL = URL(fileURLWithPath: qct)
            p.arguments = ["qc", "record"] + dayDirs(root, range).map(\.path) + ["--db", db.path, "--phantoms", phantoms]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
        }
        a.waitUntilExit()
        b.waitUntilExit()
        XCTAssertNotEqual(a.terminationStatus, 2)
        XCTAssertNotEqual(b.terminationStatus, 2)
        let (check, count) = try integrity()
        XCTAssertEqual(check, "ok")
        XCTAssertEqual(count, 60, "each of the 60 series stored once")

        // A corrupt file and another application's database are refused, named, and left as they were.
        let corrupt = work.appendingPathComponent("corrupt.sqlite")
        var bytes = [UInt8](repeating: 0, count: 8192)
        for i in bytes.indices { bytes[i] = UInt8((i * 7919 + 13) % 251) }
        try Data(bytes).write(to: corrupt)
        let foreign = work.appendingPathComponent("foreign.sqlite")
        _ = try QCTRunner.runTool(python, ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE patients (id INTEGER, name TEXT)'); c.execute(\"INSERT INTO patients VALUES (1, 'x')\"); c.commit()", foreign.path])
        for file in [corrupt, foreign] {
            let before = try Data(contentsOf: file)
            let r = try record(dayDirs(root, 1...1), db: file)
            XCTAssertEqual(r.status, 2, r.stdout)
            XCTAssertFalse(r.crashed)
            XCTAssertTrue(r.stderr.contains(file.path), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertEqual(try Data(contentsOf: file), before, "\(file.lastPathComponent) must be left untouched")
            XCTAssertFalse(FileManager.default.fileExists(atPath: file.path + "-wal"))
        }
    }

    func testRecordRecognisesWhatEachScanHolds() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT()
        let scans: [(scene: String, args: [String], kind: String, metric: String)] = [
            ("qa", ["--matrix", "300", "--pixel-spacing", "1.0", "--slices", "10"], "mindways-qa", "rod D"),
            ("esp-on-pad", ["--matrix", "400", "--pixel-spacing", "0.9", "--slices", "45"], "esp on mindways-model3-ct", "L3 BMD"),
            ("qrm-bdc-6", ["--matrix", "300", "--pixel-spacing", "0.8", "--slices", "10"], "qrm-bdc-6", "slope"),
            ("pad", ["--matrix", "256", "--pixel-spacing", "1.6", "--slices", "10"], "mindways-model3-ct", "sigmaCT"),
        ]
        for (n, scan) in scans.enumerated() {
            let r = try QCTRunner.runTool(qct, ["simulate", scan.scene, "--out", work.appendingPathComponent(scan.scene).path, "--phantoms", phantoms,
                                                "--thickness", "3", "--spacing", "3", "--acquired", "2026050\(n + 1)080000"] + scan.args)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let db = work.appendingPathComponent("qc.sqlite")
        let run = try record(scans.map { work.appendingPathComponent($0.scene) }, db: db)
        XCTAssertEqual(run.status, 0, run.stderr)
        let csv = try QCTRunner.runTool(qct, ["qc", "export", "--db", db.path]).stdout
        for scan in scans {
            XCTAssertTrue(run.stdout.contains("QCT1 \(scan.kind) ("), "\(scan.scene) recognised as \(scan.kind): \(run.stdout)")
            XCTAssertTrue(csv.contains(",\(scan.kind),") && csv.contains(",\(scan.metric),"), "\(scan.metric) stored")
        }
        // A scan with no phantom at all is refused with one line, and nothing is stored for it.
        let empty = work.appendingPathComponent("catphan")
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "catphan", "--out", empty.path, "--phantoms", phantoms, "--matrix", "256",
                                                   "--pixel-spacing", "0.9", "--slices", "5", "--thickness", "3", "--spacing", "3"]).status, 0)
        let none = try record([empty], db: db)
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("no calibration phantom or ESP recognised"), none.stderr)
    }
}
