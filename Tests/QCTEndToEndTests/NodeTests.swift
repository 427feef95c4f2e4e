import Foundation
import QCTTestSupport
import XCTest

/// `qct serve` as a scanner meets it: DCMTK's echoscu and storescu send simulated pad and ESP
/// series; each is analysed and its result stored; strangers are refused; a truncated file does
/// not stop the node; a SIGKILL in the middle of a transfer loses nothing that was received.
final class NodeTests: XCTestCase {
    /// A running `qct serve`, its output in files.
    final class Node {
        let process = Process()
        let out: URL, err: URL
        var port = 0
        var httpPort = 0

        init(_ qct: String, _ args: [String], in dir: URL, waitForPorts: Bool = true) throws {
            out = dir.appendingPathComponent("serve-\(UUID().uuidString).out")
            err = dir.appendingPathComponent("serve-\(UUID().uuidString).err")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: qct)
            process.arguments = ["serve"] + args
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            if !waitForPorts {
                usleep(500_000)
                return
            }
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, process.isRunning {
                let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
                if let r = text.range(of: #":(\d+) AE"#, options: .regularExpression) { port = Int(text[r].dropFirst().dropLast(3)) ?? 0 }
                if let r = text.range(of: #"HTTP 127.0.0.1:(\d+)"#, options: .regularExpression) { httpPort = Int(text[r].split(separator: ":").last!) ?? 0 }
                if port > 0, httpPort > 0 || args.contains("--no-http") { return }
                usleep(50_000)
            }
            throw NSError(domain: "qct serve did not start: \(log)", code: 1)
        }

        var log: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        func stop(signal: Int32 = SIGTERM) {
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    /// Rows of the node's input table: outcome, files, reason.
    func inputs(_ db: URL) throws -> [[String]] {
        let r = try QCTRunner.runTool("/usr/bin/sqlite3", ["-separator", "|", db.path, "SELECT outcome, files, reason FROM input ORDER BY id"])
        return r.stdout.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    func waitForInputs(_ db: URL, count: Int, timeout: TimeInterval = 180) throws -> [[String]] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: db.path), let rows = try? inputs(db), rows.count >= count { return rows }
            usleep(200_000)
        }
        return (try? inputs(db)) ?? []
    }

    func dcmtk(_ tool: String, _ args: [String]) throws -> ToolRun { try QCTRunner.runTool("/usr/bin/\(tool)", args, timeout: 300) }

    func testScansSentByStorescuAreAnalysedAndStrangersRefused() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT(), phantoms = TestRepository.phantoms.path
        let scans: [(String, [String])] = [
            ("pad", ["--matrix", "256", "--pixel-spacing", "1.6", "--slices", "8"]),
            ("esp-on-pad", ["--matrix", "400", "--pixel-spacing", "0.9", "--slices", "45"]),
        ]
        for (k, (scene, args)) in scans.enumerated() {
            let sim = try QCTRunner.runTool(qct, ["simulate", scene, "--out", work.appendingPathComponent(scene).path, "--phantoms", phantoms,
                                                  "--thickness", "3", "--spacing", "3", "--seed", "\(k + 3)", "--acquired", "2026050\(k + 1)080000"] + args)
            XCTAssertEqual(sim.status, 0, sim.stderr)
            try FileManager.default.removeItem(at: work.appendingPathComponent("\(scene)/truth.json"))
        }
        let db = work.appendingPathComponent("qc.sqlite"), inbox = work.appendingPathComponent("inbox")
        // The AE title, allow-list and completion time from a TOML file; the ports from flags, which win over it.
        let config = work.appendingPathComponent("node.toml")
        try """
            [dicom]
            port = 11112
            ae_title = "QCTNODE"
            allow = ["SCANNER1@127.0.0.1"]
            [inbox]
            stable_after = 1
            """.write(to: config, atomically: true, encoding: .utf8)
        let node = try Node(qct, ["--config", config.path, "--db", db.path, "--inbox", inbox.path, "--dicom-port", "0", "--http-port", "0",
                                  "--phantoms", phantoms], in: work)
        defer { node.stop() }
        let port = "\(node.port)"

        XCTAssertEqual(try dcmtk("echoscu", ["-aet", "SCANNER1", "-aec", "QCTNODE", "127.0.0.1", port]).status, 0, node.log)
        // A calling AE not on the allow-list, and a wrong called AE: refused at association, with the DICOM reason.
        let stranger = try dcmtk("storescu", ["-aet", "STRANGER", "-aec", "QCTNODE", "+sd", "127.0.0.1", port, work.appendingPathComponent("pad").path])
        XCTAssertNotEqual(stranger.status, 0)
        XCTAssertTrue(stranger.stderr.contains("Calling AE Title Not Recognized"), stranger.stderr)
        XCTAssertNotEqual(try dcmtk("echoscu", ["-aet", "SCANNER1", "-aec", "OTHER", "127.0.0.1", port]).status, 0)

        // The pad and the ESP, then a truncated file in the middle of an association.
        for (scene, _) in scans {
            let sent = try dcmtk("storescu", ["-aet", "SCANNER1", "-aec", "QCTNODE", "+sd", "127.0.0.1", port, work.appendingPathComponent(scene).path])
            XCTAssertEqual(sent.status, 0, sent.stderr)
        }
        let rows = try waitForInputs(db, count: 2)
        XCTAssertEqual(rows.map { $0[0] }, ["recorded", "recorded"], node.log)
        XCTAssertEqual(rows.map { $0[1] }, ["8", "45"])
        let status = try QCTRunner.runTool(qct, ["qc", "status", "--db", db.path])
        XCTAssertTrue(status.stdout.contains("QCT1"), status.stdout)

        let broken = work.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        let pad = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("pad").path).sorted()
        for (k, name) in pad.prefix(3).enumerated() {
            var data = try Data(contentsOf: work.appendingPathComponent("pad/\(name)"))
            if k == 1 { data = data.prefix(data.count / 2) }
            try data.write(to: broken.appendingPathComponent(name))
        }
        _ = try dcmtk("storescu", ["-aet", "SCANNER1", "-aec", "QCTNODE", "127.0.0.1", port] + pad.prefix(3).map { broken.appendingPathComponent($0).path })
        XCTAssertTrue(node.process.isRunning, node.log)
        XCTAssertEqual(try dcmtk("echoscu", ["-aet", "SCANNER1", "-aec", "QCTNODE", "127.0.0.1", port]).status, 0, "the node still answers")

        // A CT with no phantom in it (a patient sent by mistake): refused, its files deleted.
        let catphan = TestRepository.fixtures.appendingPathComponent("catphan/High quality head")
        let slices = try FileManager.default.contentsOfDirectory(atPath: catphan.path).sorted().prefix(3).map { catphan.appendingPathComponent($0).path }
        XCTAssertEqual(try dcmtk("storescu", ["-aet", "SCANNER1", "-aec", "QCTNODE", "127.0.0.1", port] + slices).status, 0)
        let all = try waitForInputs(db, count: 4)
        XCTAssertEqual(all.count, 4, node.log)
        XCTAssertTrue(all.contains { $0[0] == "refused" && $0[2].contains("no calibration phantom or ESP recognised") }, "\(all)")
        // What is left in the inbox: nothing but the node's own folders.
        let left = try FileManager.default.contentsOfDirectory(atPath: inbox.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(left, [], "every series analysed and moved out")
        XCTAssertFalse(node.log.contains("CATPHAN") || node.log.contains("Patient"), "no patient identifier in the log")

        // The same through the JSON API and the dashboard, rendered by Chromium.
        let api = "http://127.0.0.1:\(node.httpPort)"
        let health = try QCTRunner.json(try get("\(api)/healthz"))
        XCTAssertEqual(health["status"] as? String, "ok")
        let scanners = try XCTUnwrap(try QCTRunner.json(try get("\(api)/api/v1/scanners"))["scanners"] as? [[String: Any]])
        XCTAssertEqual(scanners.map { $0["scanner"] as? String }, ["QCT1"])
        XCTAssertEqual((scanners.first?["latest"] as? [Any])?.count, 2, "the pad and the ESP result")
        // Prometheus metrics (swift-prometheus): instances received, series by outcome, analysis time, refusals.
        let metrics = try get("\(api)/metrics")
        XCTAssertNotNil(metrics.range(of: #"qct_instances_received_total \d+"#, options: .regularExpression), metrics)
        XCTAssertTrue(metrics.contains(#"qct_series_analysed_total{outcome="recorded"} 2"#), metrics)
        XCTAssertTrue(metrics.contains(#"qct_series_analysed_total{outcome="refused"} 1"#), metrics)
        XCTAssertTrue(metrics.contains("qct_analysis_seconds_count"), metrics)
        XCTAssertNotNil(metrics.range(of: #"qct_associations_refused_total [1-9]"#, options: .regularExpression), metrics)
        let refused = try get("\(api)/api/v1/inputs?outcome=refused")
        XCTAssertTrue(refused.contains("no calibration phantom or ESP recognised"), refused)
        // Writes need a user's token: none or a wrong one gets 401, and nothing changes; a physicist's
        // event is stored, starts a new baseline and is in the audit log.
        let event = #"{"at": "2026-05-03T09:00:00", "description": "detector recalibrated"}"#
        XCTAssertEqual(try Self.request("POST", "\(api)/api/v1/scanners/QCT1/events", json: event, token: nil).0, 401)
        XCTAssertEqual(try Self.request("POST", "\(api)/api/v1/scanners/QCT1/events", json: event, token: String(repeating: "0", count: 64)).0, 401)
        XCTAssertEqual(try Self.request("GET", "\(api)/api/v1/audit", json: nil, token: nil).0, 401)
        XCTAssertEqual(try get("\(api)/api/v1/scanners/QCT1/events"), "[]")
        let made = try QCTRunner.runTool(qct, ["serve", "--db", db.path, "--add-user", "jane", "--role", "physicist"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let token = try XCTUnwrap(made.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        XCTAssertEqual(token.count, 64)
        let hashes = try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, "SELECT tokenHash FROM user"]).stdout
        XCTAssertFalse(hashes.contains(token), "only the token's hash is stored")
        let (created, said) = try Self.request("POST", "\(api)/api/v1/scanners/QCT1/events", json: event, token: token)
        XCTAssertEqual(created, 201, said)
        XCTAssertTrue(try get("\(api)/api/v1/scanners/QCT1/events").contains("detector recalibrated"))
        let (auditStatus, audit) = try Self.request("GET", "\(api)/api/v1/audit", json: nil, token: token)
        XCTAssertEqual(auditStatus, 200)
        XCTAssertTrue(audit.contains(#""user":"jane""#) && audit.contains("add service event"), audit)
        let (bad, why) = try Self.request("POST", "\(api)/api/v1/scanners/QCT1/events", json: #"{"description": " "}"#, token: token)
        XCTAssertEqual(bad, 400, why)

        let profile = work.appendingPathComponent("profile").path
        let dom = try QCTRunner.runTool("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                                             "--dump-dom", "\(api)/"], timeout: 120).stdout
        XCTAssertTrue(dom.contains("data-scanner=\"QCT1\""), dom)
        XCTAssertNotNil(dom.range(of: #"data-state="(baseline|in control|warning|out of control|no scan yet today)""#, options: .regularExpression), dom)
        let shot = work.appendingPathComponent("scanner.png")
        _ = try QCTRunner.runTool("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile)",
                                                       "--window-size=1280,1600", "--screenshot=\(shot.path)", "\(api)/scanner/QCT1"], timeout: 120)
        let stats = try QCTRunner.json(try QCTRunner.runTool(QCTRunner.python, [TestRepository.root.appendingPathComponent("Scripts/png_stats.py").path, shot.path]).stdout)
        XCTAssertGreaterThan(try XCTUnwrap(stats["nonWhiteFraction"] as? Double), 0.03, "not a blank page")
        XCTAssertGreaterThan(try XCTUnwrap(stats["colours"] as? Int), 20)
    }

    /// A request through Python's urllib: (HTTP status, body).
    static func request(_ method: String, _ url: String, json body: String?, token: String?) throws -> (Int, String) {
        let script = """
            import sys, urllib.request, urllib.error
            method, url, body, token = sys.argv[1:5]
            req = urllib.request.Request(url, data=body.encode() if body else None, method=method)
            req.add_header("Content-Type", "application/json")
            if token: req.add_header("Authorization", "Bearer " + token)
            try:
                r = urllib.request.urlopen(req, timeout=30); print(r.status); sys.stdout.write(r.read().decode())
            except urllib.error.HTTPError as e:
                print(e.code); sys.stdout.write(e.read().decode())
            """
        let r = try QCTRunner.runTool(QCTRunner.python, ["-c", script, method, url, body ?? "", token ?? ""])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", maxSplits: 1).map(String.init)
        return (Int(lines.first ?? "") ?? 0, lines.count > 1 ? lines[1] : "")
    }

    /// A GET through Python's urllib (a client that is not qct's).
    func get(_ url: String) throws -> String {
        let r = try QCTRunner.runTool(QCTRunner.python, ["-c", "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())", url])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func testSIGKILLDuringATransferLosesNoReceivedFile() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT(), phantoms = TestRepository.phantoms.path
        let scan = work.appendingPathComponent("pad")
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "pad", "--out", scan.path, "--phantoms", phantoms, "--matrix", "256",
                                                   "--pixel-spacing", "1.6", "--slices", "200", "--thickness", "1", "--spacing", "1"]).status, 0)
        try FileManager.default.removeItem(at: scan.appendingPathComponent("truth.json"))
        let db = work.appendingPathComponent("qc.sqlite"), inbox = work.appendingPathComponent("inbox")
        let args = ["--db", db.path, "--inbox", inbox.path, "--dicom-port", "0", "--stable-after", "600", "--no-http", "--phantoms", phantoms]
        let first = try Node(qct, args, in: work)
        let sender = Process()
        sender.executableURL = URL(fileURLWithPath: "/usr/bin/storescu")
        sender.arguments = ["-aec", "QCT", "+sd", "127.0.0.1", "\(first.port)", scan.path]
        sender.standardError = FileHandle.nullDevice
        try sender.run()
        // Kill the node once some files are in and the transfer is still going.
        func received() -> Int {
            let series = ((try? FileManager.default.subpathsOfDirectory(atPath: inbox.path)) ?? []).filter { $0.hasSuffix(".dcm") && !$0.hasPrefix(".") }
            return series.count
        }
        let deadline = Date().addingTimeInterval(120)
        while received() < 20, Date() < deadline { usleep(20_000) }
        first.stop(signal: SIGKILL)
        sender.waitUntilExit()
        let kept = received()
        XCTAssertGreaterThanOrEqual(kept, 20)
        XCTAssertLessThan(kept, 200, "killed during the transfer")

        // Restarted, it analyses what it had (a series called complete at once: it is older than 0 s).
        let second = try Node(qct, ["--db", db.path, "--inbox", inbox.path, "--dicom-port", "0", "--stable-after", "0", "--no-http",
                                    "--phantoms", phantoms], in: work)
        defer { second.stop() }
        let rows = try waitForInputs(db, count: 1)
        XCTAssertEqual(rows.count, 1, second.log)
        XCTAssertEqual(rows.first?[1], "\(kept)", "every file received before the kill was analysed")
        XCTAssertEqual(received(), 0)
    }

    /// `--watch DIR`: files a scanner exports to a folder are taken into the inbox, analysed and
    /// recorded as if sent over DICOM; a file that is not DICOM is set aside, and the folder is emptied.
    func testAWatchedFolderIsRecordedLikeAReceivedSeries() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT(), phantoms = TestRepository.phantoms.path
        let scan = work.appendingPathComponent("scan"), watch = work.appendingPathComponent("export")
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "pad", "--out", scan.path, "--phantoms", phantoms, "--matrix", "256",
                                                   "--pixel-spacing", "1.6", "--slices", "8", "--thickness", "3", "--spacing", "3"]).status, 0)
        try FileManager.default.removeItem(at: scan.appendingPathComponent("truth.json"))
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        let db = work.appendingPathComponent("qc.sqlite"), inbox = work.appendingPathComponent("inbox")
        let node = try Node(qct, ["--db", db.path, "--inbox", inbox.path, "--no-dicom", "--no-http", "--watch", watch.path,
                                  "--stable-after", "1", "--phantoms", phantoms], in: work, waitForPorts: false)
        defer { node.stop() }
        for name in try FileManager.default.contentsOfDirectory(atPath: scan.path) {
            try FileManager.default.copyItem(at: scan.appendingPathComponent(name), to: watch.appendingPathComponent(name))
        }
        try Data("not DICOM".utf8).write(to: watch.appendingPathComponent("notes.txt"))
        let rows = try waitForInputs(db, count: 1)
        XCTAssertEqual(rows.first?[0], "recorded", node.log)
        XCTAssertEqual(rows.first?[1], "8")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !((try? FileManager.default.contentsOfDirectory(atPath: watch.path))?.isEmpty ?? false) { usleep(100_000) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: watch.path), [], "every file taken from the folder")
        XCTAssertTrue(node.log.contains("watched file set aside"), node.log)
        XCTAssertFalse(node.log.contains("notes.txt"), "a watched file is logged without its name")
    }

    /// `--patients DB`: a series with no phantom but a spine is a patient exam. It is calibrated from
    /// the node's own QC history (the pad recorded the day before), kept in the patient database with
    /// its report, and appears nowhere on the QC side: not in the log, the QC history, the dashboard
    /// or its API. A patient no calibration matches is kept as a failure naming the mismatch.
    func testPatientExamsAreCalibratedFromTheNodesHistoryAndKeptApart() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT(), phantoms = TestRepository.phantoms.path
        func simulate(_ scene: String, _ name: String, seed: Int, _ extra: [String]) throws -> [String: Any] {
            let dir = work.appendingPathComponent(name)
            let r = try QCTRunner.runTool(qct, ["simulate", scene, "--seed", "\(seed)", "--scanner", "QCT1", "--phantoms", phantoms, "--slices", "80",
                                                "--thickness", "3", "--spacing", "3", "--out", dir.path] + extra, timeout: 300)
            XCTAssertEqual(r.status, 0, r.stderr)
            let truth = try QCTRunner.json(try String(contentsOf: dir.appendingPathComponent("truth.json"), encoding: .utf8))
            try FileManager.default.removeItem(at: dir.appendingPathComponent("truth.json"))
            return truth
        }
        _ = try simulate("pad", "pad", seed: 5, ["--acquired", "20260301080000"])
        let truth = try simulate("patient", "patient", seed: 6, ["--acquired", "20260302090000", "--patient-id", "PID-4242"])
        _ = try simulate("patient", "sharp", seed: 7, ["--acquired", "20260302100000", "--patient-id", "PID-5353", "--kernel", "SHARP"])
        let db = work.appendingPathComponent("qc.sqlite"), inbox = work.appendingPathComponent("inbox"), watch = work.appendingPathComponent("export")
        let patients = work.appendingPathComponent("patients.sqlite"), reports = work.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        let node = try Node(qct, ["--db", db.path, "--inbox", inbox.path, "--no-dicom", "--http-port", "0", "--watch", watch.path, "--stable-after", "1",
                                  "--phantoms", phantoms, "--patients", patients.path, "--patient-reports", reports.path], in: work, waitForPorts: false)
        defer { node.stop() }
        func send(_ name: String, expecting count: Int) throws -> [[String]] {
            let dir = work.appendingPathComponent(name)
            for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                try FileManager.default.copyItem(at: dir.appendingPathComponent(file), to: watch.appendingPathComponent(file))
            }
            return try waitForInputs(db, count: count, timeout: 300)
        }
        XCTAssertEqual(try send("pad", expecting: 1).first?[0], "recorded", node.log)
        let rows = try send("patient", expecting: 2)
        XCTAssertEqual(rows.count, 2, node.log)
        XCTAssertEqual(rows.last?[0], "patient", node.log)
        XCTAssertTrue(rows.last?[2].contains("L1, L2") ?? false, rows.last?[2] ?? "")
        XCTAssertTrue(rows.last?[2].contains("QC history result") ?? false, rows.last?[2] ?? "")
        let failed = try send("sharp", expecting: 3)
        XCTAssertEqual(failed.last?[0], "failed", node.log)
        XCTAssertTrue(failed.last?[2].contains("kernel STANDARD is not SHARP") ?? false, failed.last?[2] ?? "")

        // The exam in the patient database, calibrated from the history within 1 % of truth.
        let exam = try QCTRunner.runTool("/usr/bin/sqlite3", ["-separator", "|", patients.path, "SELECT patientID, calibration, meanBMD, meanOf FROM exam"])
        let fields = exam.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        XCTAssertEqual(fields.count, 4, exam.stdout + exam.stderr)
        XCTAssertEqual(fields.first, "PID-4242")
        XCTAssertEqual(fields[1], "history")
        var density: [String: Double] = [:]
        for v in truth["vertebrae"] as? [[String: Any]] ?? [] {
            if let n = v["name"] as? String, let d = v["trueK2HPO4"] as? Double { density[n] = d }
        }
        let names = fields[3].split(separator: ",").map(String.init)
        XCTAssertEqual(names, ["L1", "L2"])
        let trueMean = names.map { density[$0]! }.reduce(0, +) / Double(names.count)
        XCTAssertLessThanOrEqual(abs(Double(fields[2])! - trueMean) / trueMean, 0.01, "\(fields[2]) vs true \(trueMean)")
        let written = try FileManager.default.contentsOfDirectory(atPath: reports.path).sorted()
        XCTAssertEqual(written.count, 2, "\(written)")
        XCTAssertTrue(written.contains { $0.hasSuffix(".html") } && written.contains { $0.hasSuffix(".json") }, "\(written)")
        let html = try String(contentsOf: reports.appendingPathComponent(written.first { $0.hasSuffix(".html") }!), encoding: .utf8)
        XCTAssertTrue(html.contains("PID-4242"), "the clinical report names its patient")

        // Nothing of either patient on the QC side.
        let dump = try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, ".dump"]).stdout
        var pages = [node.log, dump]
        if node.httpPort > 0 || (try? String(contentsOf: node.out, encoding: .utf8))?.contains("HTTP") == true {
            let text = (try? String(contentsOf: node.out, encoding: .utf8)) ?? ""
            if let r = text.range(of: #"HTTP 127.0.0.1:(\d+)"#, options: .regularExpression), let port = Int(text[r].split(separator: ":").last!) {
                for path in ["/", "/inputs", "/api/v1/inputs", "/api/v1/inputs?outcome=patient", "/api/v1/scanners"] {
                    pages.append(try get("http://127.0.0.1:\(port)\(path)"))
                }
            }
        }
        XCTAssertEqual(pages.count, 7, "the dashboard answered")
        for text in pages {
            for secret in ["PID-4242", "PID-5353", "SIMULATED^PATIENT", String(format: "%.2f", Double(fields[2])!)] {
                XCTAssertFalse(text.contains(secret), "\(secret) on the QC side")
            }
        }
    }

    /// psql's answer to one query on `url`, trimmed.
    func psql(_ url: String, _ sql: String) throws -> String {
        try QCTRunner.runTool("/usr/bin/psql", [url, "-tAc", sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testWhileThePostgreSQLServerIsDownAReceivedSeriesWaitsAndIsRecordedWhenItIsBack() throws {
        let work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT(), phantoms = TestRepository.phantoms.path
        let owner = try TestPostgres.ownerURL.get(), name = TestPostgres.freshName("node")
        _ = try psql(owner, "CREATE DATABASE \(name)")
        let url = try TestPostgres.url(database: name)
        let cluster = ProcessInfo.processInfo.environment["QCT_TEST_POSTGRES_DIR"] ?? TestRepository.root.appendingPathComponent(".build/pgtest").path
        let script = TestRepository.root.appendingPathComponent("Scripts/pg_test_cluster.sh").path
        let port = "\(URLComponents(string: owner)?.port ?? 55432)"
        let scan = work.appendingPathComponent("scan"), watch = work.appendingPathComponent("export")
        XCTAssertEqual(try QCTRunner.runTool(qct, ["simulate", "pad", "--out", scan.path, "--phantoms", phantoms, "--matrix", "256",
                                                   "--pixel-spacing", "1.6", "--slices", "8", "--thickness", "3", "--spacing", "3"]).status, 0)
        try FileManager.default.removeItem(at: scan.appendingPathComponent("truth.json"))
        try FileManager.default.createDirectory(at: watch, withIntermediateDirectories: true)
        let node = try Node(qct, ["--db", url, "--inbox", work.appendingPathComponent("inbox").path, "--no-dicom", "--no-http",
                                  "--watch", watch.path, "--stable-after", "1", "--phantoms", phantoms], in: work, waitForPorts: false)
        defer { node.stop() }
        // The node is up with its store; then the server goes away and a series arrives.
        let started = Date().addingTimeInterval(30)
        while Date() < started, (try? psql(url, "SELECT COUNT(*) FROM qct_schema WHERE version = 'v1'")) != "1" { usleep(100_000) }
        usleep(500_000)
        XCTAssertEqual(ToolRunner.spawnAndWait(["/bin/bash", script, "halt", cluster]), 0)
        var restarted = false
        defer { if !restarted { _ = ToolRunner.spawnAndWait(["/bin/bash", script, "start", cluster, port]) } }
        for file in try FileManager.default.contentsOfDirectory(atPath: scan.path) {
            try FileManager.default.copyItem(at: scan.appendingPathComponent(file), to: watch.appendingPathComponent(file))
        }
        let waited = Date().addingTimeInterval(90)
        while Date() < waited, !node.log.contains("history store unavailable") { usleep(200_000) }
        XCTAssertTrue(node.log.contains("history store unavailable; will retry"), node.log)
        XCTAssertFalse(node.log.contains("secret"), "no password in the log")
        XCTAssertTrue(node.process.isRunning, node.log)
        // Back: the waiting series is analysed again and recorded, once.
        XCTAssertEqual(ToolRunner.spawnAndWait(["/bin/bash", script, "start", cluster, port]), 0)
        restarted = true
        let back = Date().addingTimeInterval(120)
        while Date() < back, (try? psql(url, "SELECT outcome FROM input")) != "recorded" { usleep(500_000) }
        XCTAssertEqual(try psql(url, "SELECT outcome FROM input"), "recorded", node.log)
        XCTAssertEqual(try psql(url, "SELECT COUNT(*) FROM result"), "1")
        XCTAssertEqual(try psql(url, "SELECT COUNT(*) FROM metric m JOIN result r ON r.id = m.resultId"),
                       try psql(url, "SELECT COUNT(*) FROM metric"), "every metric belongs to the one result")
    }
}
