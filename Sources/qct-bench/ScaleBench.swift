import Foundation
import QCTCalibration
import QCTDICOM
import QCTPhantoms
import QCTSimulator

/// A simulated ESP-on-pad scan of `slices` 512² slices 0.5 mm apart (cached under `dir`).
func simulatedScan(_ dir: String, slices: Int, catalog: PhantomCatalog) throws {
    guard !FileManager.default.fileExists(atPath: dir + "/.complete"), let profile = catalog.scanners["QCT1"] else { return }
    try? FileManager.default.removeItem(atPath: dir)
    var request = SimulationRequest(scene: "esp-on-pad", profile: profile)
    (request.slices, request.sliceSpacingMM, request.sliceThicknessMM) = (slices, 0.5, 0.5)
    _ = try Simulator.run(request, catalog: catalog, directory: dir)
    _ = FileManager.default.createFile(atPath: dir + "/.complete", contents: nil)
}

/// Cost against size: 300 and 1,000 slices of 512² (0.16 and 0.52 GB) loaded and exported, and
/// 300- and 1,000-slice ESP scans calibrated and measured; time and peak memory of each, and the
/// per-slice ratio of the large to the small (1.0 is linear).
func scaleBench(qct: String, phantoms: String, small: String, large: String, smallScan: String, largeScan: String,
                work: String, catalog: PhantomCatalog) throws {
    guard let pad = catalog.phantoms["mindways-model3-ct"], let esp = catalog.phantoms["esp"] else { return }
    let padCertificate = catalog.certificate(for: pad.id), espCertificate = catalog.certificate(for: esp.id)
    func slices(_ dir: String) -> Int { SeriesReader.read(paths: [dir], decodePixels: false).series.first?.geometry.slices ?? 0 }
    var rows: [(String, Double, Double, Int, Int, Int, Int)] = []
    func row(_ name: String, _ a: Double, _ b: Double, _ pa: Int, _ pb: Int, _ na: Int, _ nb: Int) { rows.append((name, a, b, pa, pb, na, nb)) }
    let (ns, nl) = (slices(small), slices(large))
    let loadS = best(3) { _ = SeriesReader.read(paths: [small]) }, loadL = best(3) { _ = SeriesReader.read(paths: [large]) }
    // Written to tmpfs where there is one, as in the export comparison: the disk's write-back would
    // otherwise decide how the time grows.
    let out = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/qct-bench-scale-\(getpid())" : work + "/scale") + ".nii"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let exportS = (0..<3).map { _ in runChild(qct, ["export", small, "--out", out]) }
    let exportL = (0..<3).map { _ in runChild(qct, ["export", large, "--out", out]) }
    let inspectS = runChild(qct, ["inspect", "--hu-range", small]), inspectL = runChild(qct, ["inspect", "--hu-range", large])
    row("load (in process)", loadS, loadL, inspectS.peakKB, inspectL.peakKB, ns, nl)
    row("export .nii", median(exportS.map(\.seconds)), median(exportL.map(\.seconds)), exportS.map(\.peakKB).max()!, exportL.map(\.peakKB).max()!, ns, nl)
    let (ss, sl) = (slices(smallScan), slices(largeScan))
    let calS = try best(3) { _ = try Calibrator.calibrate(SeriesReader.read(paths: [smallScan]).volumes[0], phantom: pad, certificate: padCertificate) }
    let calL = try best(3) { _ = try Calibrator.calibrate(SeriesReader.read(paths: [largeScan]).volumes[0], phantom: pad, certificate: padCertificate) }
    let calPeakS = runChild(qct, ["calibrate", smallScan, "--phantom", pad.id, "--phantoms", phantoms]).peakKB
    let calPeakL = runChild(qct, ["calibrate", largeScan, "--phantom", pad.id, "--phantoms", phantoms]).peakKB
    row("load + calibrate", calS, calL, calPeakS, calPeakL, ss, sl)
    func measure(_ dir: String) throws {
        let v = SeriesReader.read(paths: [dir]).volumes[0]
        let cal = try Calibrator.calibrate(v, phantom: pad, certificate: padCertificate)
        _ = SpineMeasurer.measure(v, phantom: esp, certificate: espCertificate, fit: cal.fit)
    }
    let mS = try best(3) { try measure(smallScan) }, mL = try best(3) { try measure(largeScan) }
    row("load + calibrate + measure", mS, mL, runChild(qct, ["measure", smallScan, "--phantoms", phantoms]).peakKB,
        runChild(qct, ["measure", largeScan, "--phantoms", phantoms]).peakKB, ss, sl)
    print("")
    print("scale: \(ns) and \(nl) slices of 512x512 (series), \(ss) and \(sl) (ESP scans); time best of 3 in process or median of 3 processes; peak whole process")
    for (name, a, b, pa, pb, na, nb) in rows {
        let perSlice = (b / Double(nb)) / (a / Double(na))
        print(String(format: "  %@ %4d: %.3f s %6.0f MB | %4d: %.3f s %6.0f MB | time per slice large/small %.2f  (linear: <= 1.2)",
                     name.padding(toLength: 28, withPad: " ", startingAt: 0), na, a, mb(pa), nb, b, mb(pb), perSlice))
    }
}
