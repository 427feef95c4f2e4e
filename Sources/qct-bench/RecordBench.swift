import Foundation
import QCTPhantoms
import QCTSimulator

/// `qct qc record` of `count` series in one call: series per second, and the process's resident
/// memory read from /proc as each result line arrives (it must not grow from series to series).
func recordBench(qct: String, phantoms: String, dir: String, count: Int, work: String, catalog: PhantomCatalog) throws {
    if !FileManager.default.fileExists(atPath: dir + "/.complete-\(count)"), let profile = catalog.scanners["QCT1"] {
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for r in 0..<count {
            var request = SimulationRequest(scene: "esp-on-pad", profile: profile)
            (request.matrix, request.slices, request.seed, request.seriesNumber) = (256, 48, UInt64(r + 1) &* 7919, r + 1)
            (request.sliceSpacingMM, request.sliceThicknessMM) = (2.5, 2.5)
            request.acquisitionDate = String(format: "2026%02d%02d", 1 + r / 28 % 12, 1 + r % 28)
            _ = try Simulator.run(request, catalog: catalog, directory: String(format: "%@/scan-%03d", dir, r + 1))
        }
        _ = FileManager.default.createFile(atPath: dir + "/.complete-\(count)", contents: nil)
    }
    let db = work + "/record.sqlite"
    try? FileManager.default.removeItem(atPath: db)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: qct)
    p.arguments = ["qc", "record", dir, "--db", db, "--phantoms", phantoms]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    let start = now()
    try p.run()
    var rss: [Int] = [], buffer = Data()
    let handle = out.fileHandleForReading
    while true {
        let chunk = handle.availableData
        if chunk.isEmpty { break }
        buffer.append(chunk)
        while let nl = buffer.firstIndex(of: 10) {
            buffer.removeSubrange(...nl)
            let status = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8)) ?? ""
            let kb = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
            rss.append(kb)
        }
    }
    p.waitUntilExit()
    let seconds = now() - start
    guard rss.count >= 20 else {
        print("qc record of \(count) series: only \(rss.count) lines (exit \(p.terminationStatus))")
        return
    }
    let early = rss[9], late = rss[rss.count - 1]
    print("")
    print("qct qc record of \(rss.count) series (esp-on-pad 256x256x48, 2.5 mm) in one call")
    print(String(format: "  %.1f s, %.1f series/s; resident memory after series 10: %.1f MB, %d: %.1f MB, %d: %.1f MB, last: %.1f MB; growth 10 -> last %.1f MB  (target: flat, <= 5 MB)",
                 seconds, Double(rss.count) / seconds, mb(early), rss.count / 2, mb(rss[rss.count / 2 - 1]), rss.count * 3 / 4,
                 mb(rss[rss.count * 3 / 4 - 1]), mb(late), mb(late - early)))
}
