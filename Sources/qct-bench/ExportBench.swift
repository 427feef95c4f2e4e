import Foundation

/// `qct export` against dcm2niix on the same series, run alternately, median of `runs`, whole
/// process (start-up included), page cache warm, output written to `outDir`. For .nii.gz both use
/// deflate level 6: qct libdeflate's in parallel blocks (one gzip member each), dcm2niix `-z y`,
/// which pipes to pigz (zlib, level 6, every core) when pigz is installed; each one's bytes written
/// are printed beside its time.
func exportBench(series: String, label: String, qct: String, outDir: String, runs: Int) -> [String: (qct: ChildRun, peer: ChildRun)] {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dcm2niix") else {
        print("dcm2niix not run: /usr/bin/dcm2niix is missing (make bench installs it)")
        return [:]
    }
    try? FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
    let pigz = FileManager.default.isExecutableFile(atPath: "/usr/bin/pigz")
    var results: [String: (qct: ChildRun, peer: ChildRun)] = [:]
    print("")
    print("qct export against dcm2niix: \(label); alternating, median of \(runs), whole process, page cache warm")
    for (ext, z) in [("nii", "n"), ("nrrd", "n"), ("nii.gz", "y")] {
        let ours = outDir + "/qct." + ext
        let (a, b) = sideBySide(runs, {
            try? FileManager.default.removeItem(atPath: ours)
            return runChild(qct, ["export", series, "--out", ours])
        }, {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: outDir)) ?? [] where f.hasPrefix("peer") {
                try? FileManager.default.removeItem(atPath: outDir + "/" + f)
            }
            return runChild("/usr/bin/dcm2niix", ["-z", z, "-b", "n", "-f", "peer", "-o", outDir, series])
        })
        let q = ChildRun(seconds: median(a.map(\.seconds)), peakKB: a.map(\.peakKB).max() ?? 0, status: a.map(\.status).max() ?? 0)
        let p = ChildRun(seconds: median(b.map(\.seconds)), peakKB: b.map(\.peakKB).max() ?? 0, status: b.map(\.status).max() ?? 0)
        results[ext] = (q, p)
        let ourName = z == "y" ? "qct (libdeflate, level 6)" : "qct"
        let peer = z == "y" ? "dcm2niix -z y (\(pigz ? "pigz" : "miniz"), level 6)" : "dcm2niix -z n"
        func written(_ path: String) -> String {
            String(format: "%.2f", Double(((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int) ?? 0) / 1e6)
        }
        print(String(format: "  %@ %@ %.3f s, peak %.0f MB (%@ MB written) | %@ %.3f s, peak %.0f MB (%@ MB) | ratio qct/dcm2niix %.2f  (target <= 1)%@",
                     ("." + ext).padding(toLength: 7, withPad: " ", startingAt: 0), ourName, q.seconds, mb(q.peakKB), written(ours), peer, p.seconds, mb(p.peakKB),
                     written(outDir + "/peer." + (ext == "nrrd" ? "nii" : ext)), q.seconds / p.seconds,
                     q.status == 0 && p.status == 0 ? "" : "  [exit \(q.status)/\(p.status)]"))
    }
    return results
}
