import Foundation
import XCTest

/// `qct precision` and `qct compare` end to end on simulated repeat scans,
/// and the HTML report rendered by a real browser (Debian's chromium).
final class StudyCommandTests: XCTestCase {
    static let repo = SimulateCommandTests.repo
    let phantoms = StudyCommandTests.repo.appendingPathComponent("Phantoms").path
    /// Shared across the tests of this class: 2 scanners × 4 repositioned scans, measured once.
    nonisolated(unsafe) static var measurements: URL?
    nonisolated(unsafe) static var workDirectory: URL?

    override class func tearDown() {
        if let d = workDirectory { try? FileManager.default.removeItem(at: d) }
    }

    func measured() throws -> URL {
        if let m = Self.measurements { return m }
        let qct = try QCTRunner.releaseQCT()
        let root = try QCTRunner.temporaryDirectory()
        Self.workDirectory = root
        for scanner in ["QCT1", "QCT3"] {
            let r = try QCTRunner.runTool(qct, ["simulate", "esp-on-pad", "--scanner", scanner, "--repeat", "4", "--reposition",
                                                "--out", root.appendingPathComponent(scanner).path, "--phantoms", phantoms,
                                                "--matrix", "400", "--pixel-spacing", "0.9", "--slices", "40", "--thickness", "3",
                                                "--spacing", "3", "--noise", "12"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let out = root.appendingPathComponent("measurements")
        let r = try QCTRunner.runTool(qct, ["precision", root.appendingPathComponent("QCT1").path, root.appendingPathComponent("QCT3").path,
                                           "--phantoms", phantoms, "--save-measurements", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        Self.measurements = out
        return out
    }

    /// Every saved measurement: scanner station → vertebra → readings.
    func readings(_ dir: URL) throws -> [String: [String: [Double]]] {
        var out: [String: [String: [Double]]] = [:]
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) where f.hasSuffix(".json") {
            let m = try QCTRunner.json(String(decoding: try Data(contentsOf: dir.appendingPathComponent(f)), as: UTF8.self))
            let station = try XCTUnwrap((m["scanner"] as? [String: Any])?["stationName"] as? String)
            for v in try XCTUnwrap(m["vertebrae"] as? [[String: Any]]) {
                out[station, default: [:]][try XCTUnwrap(v["name"] as? String), default: []].append(try XCTUnwrap(v["bmd"] as? Double))
            }
        }
        return out
    }

    static func meanSD(_ x: [Double]) -> (Double, Double) {
        let m = x.reduce(0, +) / Double(x.count)
        return (m, (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1)).squareRoot())
    }

    func testPrecisionFromSavedMeasurementsMatchesAnIndependentComputation() throws {
        let dir = try measured()
        let data = try readings(dir)
        XCTAssertEqual(data.keys.sorted(), ["QCT1", "QCT3"])
        let r = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["precision", dir.path, "--json", "-", "--phantoms", phantoms])
        XCTAssertEqual(r.status, 0, r.stderr)
        let study = try QCTRunner.json(r.stdout)
        let scanners = try XCTUnwrap(study["scanners"] as? [[String: Any]])
        XCTAssertEqual(scanners.count, 2)
        for s in scanners {
            let name = try XCTUnwrap(s["scanner"] as? String)
            let p = try XCTUnwrap(s["precision"] as? [String: Any])
            var sumSq = 0.0, means: [Double] = []
            for site in try XCTUnwrap(p["sites"] as? [[String: Any]]) {
                let v = try XCTUnwrap(site["name"] as? String)
                let (m, sd) = Self.meanSD(try XCTUnwrap(data[name]?[v]))
                XCTAssertEqual(try XCTUnwrap(site["n"] as? Int), 4)
                XCTAssertEqual(try XCTUnwrap(site["mean"] as? Double), m, accuracy: 1e-9)
                XCTAssertEqual(try XCTUnwrap(site["sd"] as? Double), sd, accuracy: 1e-9)
                XCTAssertEqual(try XCTUnwrap(site["cvPercent"] as? Double), sd / m * 100, accuracy: 1e-9)
                sumSq += sd * sd
                means.append(m)
            }
            let rms = (sumSq / 3).squareRoot(), grand = means.reduce(0, +) / 3
            XCTAssertEqual(try XCTUnwrap(p["rmsSD"] as? Double), rms, accuracy: 1e-9)
            XCTAssertEqual(try XCTUnwrap(p["overallCVPercent"] as? Double), rms / grand * 100, accuracy: 1e-9)
            XCTAssertEqual(try XCTUnwrap(p["df"] as? Int), 9)
            XCTAssertEqual(try XCTUnwrap(p["lsc"] as? Double), 2.77 * rms, accuracy: 1e-9)
        }
        // CSV: one row per scanner and vertebra, every figure with its unit in the header.
        let csv = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["precision", dir.path, "--csv", "-", "--phantoms", phantoms])
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 7, csv.stdout)
        XCTAssertTrue(lines[0].contains("mean_mg_cm3") && lines[0].contains("sd_mg_cm3"), String(lines[0]))
    }

    /// `--record` keeps each scanner's study in the QC history, with the pooled figures computed here
    /// from the readings; the same scans again are not stored twice; the node's dashboard and API list it.
    func testPrecisionStudiesAreKeptInTheHistoryOncePerSetOfScans() throws {
        let dir = try measured(), data = try readings(dir), work = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let qct = try QCTRunner.releaseQCT(), db = work.appendingPathComponent("qc.sqlite")
        let first = try QCTRunner.runTool(qct, ["precision", dir.path, "--record", "--db", db.path, "--phantoms", phantoms])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stderr.components(separatedBy: "kept precision study").count - 1, 2, first.stderr)
        let again = try QCTRunner.runTool(qct, ["precision", dir.path, "--record", "--db", db.path, "--phantoms", phantoms])
        XCTAssertEqual(again.stderr.components(separatedBy: "already kept").count - 1, 2, again.stderr)
        let rows = try QCTRunner.runTool("/usr/bin/sqlite3", ["-separator", "|", db.path,
                                                             "SELECT s.label, p.scans, p.rmsSD, p.overallCV, p.lsc FROM precisionStudy p JOIN scanner s ON s.id = p.scannerId ORDER BY s.label"])
        let lines = rows.stdout.split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
        XCTAssertEqual(lines.map { $0[0] }, ["QCT1", "QCT3"])
        for line in lines {
            let sites = try XCTUnwrap(data[line[0]])
            let stats = sites.values.map { Self.meanSD($0) }
            let rms = (stats.map { $0.1 * $0.1 }.reduce(0, +) / Double(stats.count)).squareRoot()
            let grand = stats.map(\.0).reduce(0, +) / Double(stats.count)
            XCTAssertEqual(line[1], "4")
            XCTAssertEqual(try XCTUnwrap(Double(line[2])), rms, accuracy: 1e-9)
            XCTAssertEqual(try XCTUnwrap(Double(line[3])), rms / grand * 100, accuracy: 1e-9)
            XCTAssertEqual(try XCTUnwrap(Double(line[4])), 2.77 * rms, accuracy: 1e-9)
        }
        let audit = try QCTRunner.runTool("/usr/bin/sqlite3", [db.path, "SELECT count(*) FROM audit WHERE action = 'record precision study'"])
        XCTAssertEqual(audit.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2", "one entry per study kept, none for the repeat")
        // The node shows them.
        let node = try NodeTests.Node(qct, ["--db", db.path, "--inbox", work.appendingPathComponent("inbox").path, "--no-dicom",
                                            "--http-port", "0", "--phantoms", phantoms], in: work, waitForPorts: false)
        defer { node.stop() }
        var port = 0
        for _ in 0..<100 where port == 0 {
            let text = (try? String(contentsOf: node.out, encoding: .utf8)) ?? ""
            if let r = text.range(of: #"HTTP 127.0.0.1:(\d+)"#, options: .regularExpression) { port = Int(text[r].split(separator: ":").last!) ?? 0 }
            usleep(100_000)
        }
        let get = { (path: String) throws -> String in
            try QCTRunner.runTool(QCTRunner.python, ["-c", "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
                                                     "http://127.0.0.1:\(port)\(path)"]).stdout
        }
        let page = try get("/precision")
        XCTAssertTrue(page.contains("QCT1: 4 scans") && page.contains("QCT3: 4 scans") && page.contains("LSC (95 %)"), page)
        let api = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try get("/api/v1/precision?scanner=QCT3").utf8)) as? [[String: Any]])
        XCTAssertEqual(api.map { $0["scanner"] as? String }, ["QCT3"])
    }

    func testCompareCorrectsEachScannerToNominalAndToAReference() throws {
        let dir = try measured()
        let data = try readings(dir)
        let r = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["compare", dir.path, "--json", "-", "--reference", "QCT1", "--phantoms", phantoms])
        XCTAssertEqual(r.status, 0, r.stderr)
        let c = try QCTRunner.json(r.stdout)
        let regressions = try XCTUnwrap(c["regressions"] as? [[String: Any]])
        for reg in regressions {
            let name = try XCTUnwrap(reg["scanner"] as? String)
            // measured = a + b · nominal through the three vertebra means: the line holds them within its SEE.
            let line = try XCTUnwrap(reg["versusNominal"] as? [String: Any])
            let a = try XCTUnwrap(line["intercept"] as? Double), b = try XCTUnwrap(line["slope"] as? Double)
            let see = try XCTUnwrap(line["see"] as? Double)
            for (v, nominal) in [("L1", 50.0), ("L2", 100.0), ("L3", 200.0)] {
                let mean = Self.meanSD(try XCTUnwrap(data[name]?[v])).0
                XCTAssertLessThanOrEqual(abs(mean - (a + b * nominal)), 2 * see + 1e-9, "\(name) \(v)")
            }
            XCTAssertGreaterThan(try XCTUnwrap(line["r"] as? Double), 0.999)
        }
        // Against the reference: QCT1 on itself is the identity.
        let selfLine = try XCTUnwrap(regressions.first { $0["scanner"] as? String == "QCT1" }?["versusReference"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(selfLine["slope"] as? Double), 1, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(selfLine["intercept"] as? Double), 0, accuracy: 1e-9)
        // QCT3 (80 kVp) reads L1 higher than QCT1 (140 kVp): the ANOVA across scanners says so.
        let across = try XCTUnwrap(c["acrossScanners"] as? [[String: Any]])
        let l1 = try XCTUnwrap((across.first { $0["vertebra"] as? String == "L1" })?["anova"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(l1["p"] as? Double), 1e-6)
        // The report draws the regression on the reference it computed, not only the one on nominal.
        let html = dir.appendingPathComponent("compare.html")
        let h = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["compare", dir.path, "--html", html.path, "--reference", "QCT1", "--phantoms", phantoms])
        XCTAssertEqual(h.status, 0, h.stderr)
        let page = try String(contentsOf: html, encoding: .utf8)
        XCTAssertTrue(page.contains("Vertebra means against scanner QCT1"), "chart against the reference")
        XCTAssertTrue(page.contains("where QCT1 reads"), "points placed at the reference's readings")
        let others = regressions.compactMap { $0["scanner"] as? String }.filter { $0 != "QCT1" }
        XCTAssertFalse(others.isEmpty)
        for other in others {
            XCTAssertNotNil(page.range(of: "\(other): -?[0-9.]+ where QCT1 reads -?[0-9.]+", options: .regularExpression), other)
        }
        XCTAssertNil(page.range(of: "QCT1: -?[0-9.]+ where QCT1 reads", options: .regularExpression), "the reference is not plotted on itself")
        let bad = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["compare", dir.path, "--reference", "QCT9", "--phantoms", phantoms])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("QCT9"), bad.stderr)
    }

    func testHTMLReportRendersInChromiumWithTheTableNumbers() throws {
        let dir = try measured()
        let data = try readings(dir)
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let html = root.appendingPathComponent("report.html"), png = root.appendingPathComponent("report.png")
        let r = try QCTRunner.runTool(try QCTRunner.releaseQCT(), ["compare", dir.path, "--html", html.path, "--phantoms", phantoms])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = try String(contentsOf: html, encoding: .utf8)
        XCTAssertFalse(page.contains("http://") && page.contains("<script"), "the report must need no network")
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try XCTUnwrap(chromium, "Debian's chromium is needed (make deps installs it)")
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(root.appendingPathComponent("profile").path)"]
        let shot = try QCTRunner.runTool(browser, flags + ["--window-size=1200,1800", "--screenshot=\(png.path)", html.absoluteString], timeout: 120)
        XCTAssertTrue(FileManager.default.fileExists(atPath: png.path), shot.stderr)
        // Not blank: a good share of non-white pixels and many colours (tables, charts).
        let stats = try QCTRunner.runTool(QCTRunner.fixtures.appendingPathComponent("venv/bin/python").path,
                                          [Self.repo.appendingPathComponent("Scripts/png_stats.py").path, png.path])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        let s = try QCTRunner.json(stats.stdout)
        XCTAssertGreaterThan(try XCTUnwrap(s["nonWhiteFraction"] as? Double), 0.03, stats.stdout)
        XCTAssertGreaterThan(try XCTUnwrap(s["colours"] as? Int), 20, stats.stdout)
        // The DOM as the browser built it holds the table's numbers, computed here from the measurements.
        let dom = try QCTRunner.runTool(browser, flags + ["--dump-dom", html.absoluteString], timeout: 120)
        XCTAssertTrue(dom.stdout.contains("<table id=\"precision\">"), String(dom.stdout.prefix(500)))
        for (scanner, sites) in data {
            var sumSq = 0.0, means: [Double] = []
            for v in ["L1", "L2", "L3"] {
                let (m, sd) = Self.meanSD(try XCTUnwrap(sites[v]))
                XCTAssertTrue(dom.stdout.contains(String(format: "%.2f ± %.3f", m, sd)), "\(scanner) \(v) \(m) ± \(sd) not in the page")
                sumSq += sd * sd
                means.append(m)
            }
            let rms = (sumSq / 3).squareRoot()
            XCTAssertTrue(dom.stdout.contains(String(format: "<td>%.3f</td><td>%.3f</td>", rms, rms / (means.reduce(0, +) / 3) * 100)),
                          "\(scanner): overall SD and CV not in the page")
        }
        XCTAssertTrue(dom.stdout.contains("<svg"), "charts are inline SVG")
        // Every column that holds a measured quantity names its unit.
        let quantity = try NSRegularExpression(pattern: "mean|SD|bias|intercept|SEE|limits|LSC|nominal|CV")
        let unit = try NSRegularExpression(pattern: "mg/cm³|mg HA/cm³|mg K2HPO4/cm³|HU|%")
        for th in Self.matches(page, "<th[^>]*>[^<]*</th>") {
            let text = th.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            let range = NSRange(text.startIndex..., in: text)
            if quantity.firstMatch(in: text, range: range) != nil {
                XCTAssertNotNil(unit.firstMatch(in: text, range: range), "table header without a unit: \(text)")
            }
        }
        // Data lines (regressions, identity, limits) stay inside each chart's plot frame.
        for chart in Self.matches(page, "<svg[^>]*>.*?</svg>") {
            guard let frame = Self.matches(chart, "<rect [^>]*stroke=\"#888\"[^>]*>").first else { continue }
            let x = Self.number("x", frame), y = Self.number("y", frame), w = Self.number("width", frame), hh = Self.number("height", frame)
            for line in Self.matches(chart, "<line [^>]*stroke-width[^>]*>") {
                for (a, lo, hi) in [("x1", x, x + w), ("x2", x, x + w), ("y1", y, y + hh), ("y2", y, y + hh)] {
                    let v = Self.number(a, line)
                    XCTAssertTrue(v >= lo - 0.11 && v <= hi + 0.11, "\(a) = \(v) outside the plot frame \(lo)…\(hi): \(line)")
                }
            }
        }
    }

    func testPDFReportsArePagedOnTheChosenPaperWithAHeaderOnEveryPage() throws {
        let dir = try measured()
        let root = try QCTRunner.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let qct = try QCTRunner.releaseQCT()
        let a4 = root.appendingPathComponent("compare.pdf"), letter = root.appendingPathComponent("precision.pdf")
        let c = try QCTRunner.runTool(qct, ["compare", dir.path, "--pdf", a4.path, "--institution", "St Example Physics", "--phantoms", phantoms])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stderr.contains("wrote \(a4.path)"), c.stderr)
        let p = try QCTRunner.runTool(qct, ["precision", dir.path, "--pdf", letter.path, "--paper", "letter", "--phantoms", phantoms])
        XCTAssertEqual(p.status, 0, p.stderr)
        let compare = try PrintedReport(a4)
        compare.assertPaper(PrintedReport.a4)
        XCTAssertGreaterThanOrEqual(compare.pages, 2, "tables and charts over more than one page")
        compare.assertEveryPageHas(["St Example Physics", "scanners QCT1, QCT3", "2026-01-01", "printed 20"])
        XCTAssertTrue(compare.pageTexts.joined().contains("Bland"), "the comparison is printed")
        XCTAssertGreaterThan(compare.nonWhite, 0.02)
        XCTAssertGreaterThan(compare.colours, 20)
        let precision = try PrintedReport(letter)
        precision.assertPaper(PrintedReport.letter)
        // Without --institution: the Institution Name (0008,0080) the simulated scans carry.
        precision.assertEveryPageHas(["Simulation ·", "scanners QCT1, QCT3"])
        // Chromium missing: one line, exit 2, nothing written.
        let none = root.appendingPathComponent("none.pdf")
        let missing = try QCTRunner.runTool("/usr/bin/env", ["QCT_CHROMIUM=/nonexistent/chromium", qct, "precision", dir.path, "--pdf", none.path, "--phantoms", phantoms])
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("cannot write \(none.path): QCT_CHROMIUM /nonexistent/chromium is not an executable"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: none.path))
    }

    static func matches(_ text: String, _ pattern: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
    }

    static func number(_ name: String, _ element: String) -> Double {
        guard let r = element.range(of: " \(name)=\"") else { return .nan }
        return Double(element[r.upperBound...].prefix { $0 != "\"" }) ?? .nan
    }
}
