import Foundation
import QCTDICOM

/// Stored pixel bytes of the series under `dir` (every series, 16-bit samples), from headers alone.
func storedBytes(_ dir: String) -> Int {
    SeriesReader.read(paths: [dir], decodePixels: false).series.reduce(0) { $0 + $1.geometry.voxelCount * 2 }
}

/// Peak resident memory of whole `qct` processes against the floor the volume sets:
/// 1.5 × the series' stored pixel bytes + 50 MB.
func memoryBench(qct: String, phantoms: String, bigSeries: String, scan: String, work: String) {
    let big = storedBytes(bigSeries), small = storedBytes(scan)
    let db = work + "/memory.sqlite"
    try? FileManager.default.removeItem(atPath: db)
    let cases: [(String, [String], Int)] = [
        ("inspect (headers)", ["inspect", bigSeries], big),
        ("inspect --hu-range", ["inspect", "--hu-range", bigSeries], big),
        ("export .nii", ["export", bigSeries, "--out", work + "/memory.nii"], big),
        ("export .nii.gz", ["export", bigSeries, "--out", work + "/memory.nii.gz"], big),
        ("calibrate", ["calibrate", scan, "--phantom", "mindways-model3-ct", "--phantoms", phantoms], small),
        ("measure", ["measure", scan, "--phantoms", phantoms], small),
        ("qc record", ["qc", "record", scan, "--db", db, "--phantoms", phantoms], small),
    ]
    print("")
    print(String(format: "peak memory, whole process (GNU time %%M), MB = 2^20 bytes; limit 1.5 x stored pixel bytes + 50 MB; %.0f MB and %.0f MB stored",
                 Double(big) / 1_048_576, Double(small) / 1_048_576))
    for (name, args, bytes) in cases {
        let r = runChild(qct, args)
        let limit = 1.5 * Double(bytes) / 1_048_576 + 50
        print(String(format: "  %@ %7.1f MB  limit %6.1f MB  ratio to limit %.2f  %@", name.padding(toLength: 20, withPad: " ", startingAt: 0), mb(r.peakKB), limit, mb(r.peakKB) / limit,
                     r.status <= 1 ? (mb(r.peakKB) <= limit ? "ok" : "OVER") : "exit \(r.status)"))
    }
}
