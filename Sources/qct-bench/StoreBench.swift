import Dispatch
import Foundation
import QCTCore
import QCTQualityControl
import QCTPostgres
import QCTWorkflows

/// Recording throughput of the QC history on SQLite (a file, WAL, synchronous FULL) and on
/// PostgreSQL (a throwaway loopback cluster, Scripts/pg_test_cluster.sh), side by side: the same
/// `count` results (5 scanners, 24 metrics each, judged under their baselines as they come),
/// recorded by one writer, then by 4 writers at once (4 connections; writers take turns on both).
func storeBench(work: String, count: Int = 3000) throws {
    try? FileManager.default.removeItem(atPath: work)
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let inputs = syntheticInputs(count)
    let url: String
    if let given = ProcessInfo.processInfo.environment["QCT_BENCH_POSTGRES"] {
        url = given
    } else {
        let start = try run("/bin/bash", ["Scripts/pg_test_cluster.sh", "start", work + "/pg", "55434"])
        url = start.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    defer { if ProcessInfo.processInfo.environment["QCT_BENCH_POSTGRES"] == nil { _ = try? run("/bin/bash", ["Scripts/pg_test_cluster.sh", "stop", work + "/pg"]) } }
    var n = 0
    func fresh(_ kind: String) throws -> String {
        n += 1
        if kind == "sqlite" { return "\(work)/bench-\(n).sqlite" }
        let name = "bench_\(getpid())_\(n)"
        try PostgresAdmin.run("CREATE DATABASE \(name)", on: url)
        var c = URLComponents(string: url)
        c?.path = "/" + name
        return c?.string ?? url
    }
    var rates: [String: Double] = [:]
    for kind in ["sqlite", "postgresql"] {
        for writers in [1, 4] {
            let location = try fresh(kind)
            let stores = try (0..<writers).map { _ in try QCStoreLocation.open(location).store }
            let t0 = now()
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: writers) { w in
                for (i, input) in inputs.enumerated() where i % writers == w {
                    do { _ = try stores[w].record(input, baselineSize: 15, cusumH: 5) } catch {
                        failures.withLock { $0.append("\(input.seriesInstanceUID): \(error)") }
                    }
                }
            }
            let seconds = now() - t0
            for line in failures.withLock({ $0 }).prefix(5) { print("\(kind), \(writers) writers: not stored: \(line)") }
            let stored = try stores[0].points(scanner: nil, metric: nil).count / 24
            guard stored == inputs.count else { throw NSError(domain: "\(kind): \(stored) of \(inputs.count) results stored", code: 1) }
            rates["\(kind)-\(writers)"] = Double(inputs.count) / seconds
        }
    }
    for writers in [1, 4] {
        let (s, p) = (rates["sqlite-\(writers)"] ?? 0, rates["postgresql-\(writers)"] ?? 0)
        print(String(format: "qc record, %d writer%@, %d results × 24 metrics: SQLite %.0f results/s, PostgreSQL %.0f results/s (%.2f× SQLite)",
                     writers, writers == 1 ? "" : "s", inputs.count, s, p, p / s))
    }
}

/// `count` pad-like results over 5 scanners, a day apart, each metric varying by N(0, 0.2 %).
func syntheticInputs(_ count: Int) -> [QCResultInput] {
    var rng = SplitMix64(seed: 20261204)
    return (0..<count).map { i in
        let k = i % 5, day = i / 5
        let scanner = ScannerIdentity(manufacturer: "Simulated", model: "M", stationName: String(format: "CT-%02d", k + 1),
                                      deviceSerialNumber: String(format: "SN%05d", 2000 + k))
        let metrics = (0..<24).map { m in
            QCMetric(name: "metric \(m)", unit: "HU", value: (100 + Double(m) * 10) * (1 + 0.002 * rng.normalPair().0), percentLimit: m < 4 ? 0.015 : nil)
        }
        return QCResultInput(scanner: scanner, protocolKey: "120 kV, kernel B30f", kind: "mindways-model3-ct", phantom: "mindways-model3-ct",
                             certificate: "4541A", acquired: String(format: "%04d-%02d-%02dT08:%02d:00", 2024 + day / 336, 1 + (day / 28) % 12, 1 + day % 28, k),
                             seriesInstanceUID: "2.25.\(800_000_000 + i)", analysisVersion: "bench", source: "synthetic",
                             calibrationStatus: "pass", provenance: "{}", metrics: metrics)
    }
}
