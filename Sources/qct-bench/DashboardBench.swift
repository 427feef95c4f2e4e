import Foundation
import QCTWorkflows

/// The dashboard under load: a 10-scanner × 2-year history (one pad result a day per scanner,
/// 7,300 results, judged by the store as they are recorded; a service event on each scanner
/// every 8 months; the overlay picture of a real analysis kept with the recent ones), served
/// by `qct serve`, read by wrk (Debian) over a mix of pages and API calls — first paced at about
/// 200 requests/s (10 connections, each waiting 45 ms between requests, wrk's Lua `delay`),
/// then as fast as it answers. Prints requests/s and the latency percentiles, after the cost of
/// drawing each kind of page from the history (its first request after a change).
func dashboardBench(qct: String, phantoms: String, work: String, scanners: Int = 10, days: Int = 730) throws {
    let db = work + "/history-\(scanners)x\(days).sqlite"
    if !FileManager.default.fileExists(atPath: db + ".complete") {
        let t0 = now()
        try? FileManager.default.removeItem(atPath: db)
        let n = try syntheticHistory(db: db, phantoms: phantoms, work: work, scanners: scanners, days: days)
        _ = FileManager.default.createFile(atPath: db + ".complete", contents: nil)
        print(String(format: "dashboard: history of %d results (%d scanners x %d days) recorded in %.1f s", n, scanners, days, now() - t0))
    }
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
        print("dashboard: wrk is not installed (apt-get install wrk); skipped")
        return
    }
    let serve = Process()
    serve.executableURL = URL(fileURLWithPath: qct)
    serve.arguments = ["serve", "--db", db, "--no-dicom", "--http-port", "0", "--inbox", work + "/history-inbox", "--phantoms", phantoms]
    let out = Pipe()
    serve.standardOutput = out
    serve.standardError = FileHandle.nullDevice
    try serve.run()
    defer {
        serve.terminate()
        serve.waitUntilExit()
    }
    var port = 0, seen = ""
    let deadline = now() + 60
    while port == 0, now() < deadline {
        seen += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        if let r = seen.range(of: #"HTTP 127.0.0.1:(\d+)"#, options: .regularExpression) { port = Int(seen[r].split(separator: ":").last!) ?? 0 }
    }
    guard port > 0 else { throw NSError(domain: "qct serve did not start: \(seen)", code: 1) }
    let names = (0..<scanners).map { String(format: "CT-%02d", $0 + 1) }
    let paths = ["/", "/api/v1/scanners"] + names.flatMap { ["/scanner/\($0)", "/scanner/\($0)/chart/sigmaCT.svg", "/api/v1/scanners/\($0)/points?metric=betaCT"] }
    // Each kind of URL drawn once from the history (the first request after a change), then kept.
    let timing = try run("/usr/bin/python3", ["-c", """
        import sys, time, urllib.request
        for path in sys.argv[2:]:
            t = time.perf_counter(); body = urllib.request.urlopen(sys.argv[1] + path).read(); first = time.perf_counter() - t
            t = time.perf_counter(); urllib.request.urlopen(sys.argv[1] + path).read(); kept = time.perf_counter() - t
            print(f"  {path:42s} {len(body) / 1000:8.1f} kB  drawn {first * 1000:7.1f} ms  kept {kept * 1000:6.1f} ms")
        """, "http://127.0.0.1:\(port)", "/", "/api/v1/scanners", "/scanner/CT-01", "/scanner/CT-01/chart/sigmaCT.svg",
        "/api/v1/scanners/CT-01/points?metric=betaCT"])
    print("dashboard: each page once from the history, then from what was kept (a history unchanged since):")
    print(timing, terminator: "")
    _ = try run("/usr/bin/python3", ["-c", "import sys, urllib.request\nfor p in sys.argv[2:]: urllib.request.urlopen(sys.argv[1] + p).read()",
                                     "http://127.0.0.1:\(port)"] + paths)
    for (label, connections, delay) in [("paced ~200 req/s", 10, 45), ("saturated", 32, 0)] {
        let script = work + "/dashboard-\(delay).lua"
        try """
            local paths = {\(paths.map { "\"\($0)\"" }.joined(separator: ","))}
            local i = 0
            request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
            \(delay > 0 ? "delay = function() return \(delay) end" : "")
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let text = try run("/usr/bin/wrk", ["-t2", "-c\(connections)", "-d20s", "--latency", "-s", script, "http://127.0.0.1:\(port)"])
        func value(_ pattern: String) -> String {
            guard let r = text.range(of: pattern, options: .regularExpression) else { return "?" }
            return String(text[r]).split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "?"
        }
        let rate = value(#"Requests/sec:\s+[0-9.]+"#)
        let p50 = value(#"50%\s+[0-9.]+[mu]?s"#), p99 = value(#"99%\s+[0-9.]+[mu]?s"#)
        let errors = text.contains("Non-2xx") ? value(#"Non-2xx or 3xx responses:\s+\d+"#) : "0"
        print("dashboard \(label) (\(connections) connections, \(paths.count) URLs, \(scanners)x\(days) history): "
              + "\(rate) req/s, p50 \(p50), p99 \(p99) (target p99 < 50 ms at 200 req/s), non-2xx \(errors)")
    }
}

/// Records `days` daily pad results for each of `scanners` scanners through the store (judged as
/// they come): each scanner's day-0 result is a real analysis of a simulated pad scan of one of
/// the QCT1–QCT3 profiles; later days scale its metrics by 1 + N(0, 0.2 %). Returns the count.
func syntheticHistory(db: String, phantoms: String, work: String, scanners: Int, days: Int) throws -> Int {
    let catalog = try PhantomCatalog.load(directories: [phantoms], certificates: [], report: { _ in })
    let recognition = try PhantomRecognition(measurement: try SpineMeasurement(SpineMeasurementOptions(), catalog: catalog))
    let store = try QCDatabase(path: db)
    let recorder = QCRecorder(recognition: recognition, store: store, baselineSize: 15, cusumH: 5)
    var templates: [QCResultInput] = []
    for p in ["QCT1", "QCT2", "QCT3"] {
        var request = SimulationRequest(scene: "pad", profile: try SimulationBatch.profile(p, in: catalog))
        (request.matrix, request.pixelSpacingMM, request.slices, request.sliceThicknessMM, request.sliceSpacingMM) = (256, 1.6, 4, 3, 3)
        let folder = work + "/history-template-\(p)"
        try? FileManager.default.removeItem(atPath: folder)
        try SimulationBatch(request: request, seed: 7).run(catalog: catalog, out: folder) { _, _ in }
        let plan = try recorder.plan([folder], report: { _ in })
        var warnings: [String] = []
        guard let s = plan.series.first, let input = recorder.analyse(s, refused: [], warnings: &warnings, report: { _ in }) else {
            throw NSError(domain: "the \(p) template pad scan was not analysed", code: 1)
        }
        templates.append(input)
    }
    // The simulator's seeded generator, so every run builds the same history.
    var rng = SplitMix64(seed: 20261203)
    let start = Date(timeIntervalSince1970: 1_704_096_000)  // 2024-01-01T08:00:00Z
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    var count = 0
    for d in 0..<days {
        for k in 0..<scanners {
            var input = templates[k % templates.count]
            input.scanner = ScannerIdentity(manufacturer: "Simulated", model: "QCT\(k % 3 + 1)", stationName: String(format: "CT-%02d", k + 1),
                                            deviceSerialNumber: String(format: "SN%05d", 1000 + k))
            input.acquired = f.string(from: start.addingTimeInterval(Double(d) * 86400 + Double(k) * 300))
            input.seriesInstanceUID = "2.25.\(900_000_000 + d * 100 + k)"
            input.source = "synthetic"
            input.metrics = input.metrics.map { var m = $0; m.value *= 1 + 0.002 * rng.normalPair().0; return m }
            if d > 0, (d + 23 * k) % 240 == 0 {
                _ = try store.addEvent(scanner: input.scanner.stationName!, at: String(input.acquired.prefix(10)) + "T07:00:00",
                                       description: "service (synthetic)", baselineSize: 15)
            }
            if case .stored = try recorder.store(input) { count += 1 }
        }
    }
    return count
}
