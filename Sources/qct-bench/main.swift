import Dispatch
import Foundation
import QCTCalibration
import QCTCore
import QCTDICOM
import QCTPhantoms
import QCTSimulator

// qct-bench: qct's figures beside a peer or a physical floor, run in the same run.
//
//   qct-bench --fixtures DIR --python PY [--slices N] [--runs N] [--qct PATH]
//             [--only load|export|memory|simulate|calibrate|scale|record|dashboard|store]
//
// Builds an N-slice 512² uncompressed series from one real CT slice
// (pydicom-data's 693_UNCR, re-positioned N times), warms the page cache,
// then times (best of --runs): `cat` reading the same bytes; qct reading the
// headers, loading the series to a Volume (exact HU through each slice's
// rescale) and to a materialised float32 HU array; pydicom + numpy loading it
// to float64 HU. Then: `qct export` against dcm2niix (ExportBench), peak
// memory of whole qct processes against the stored bytes (MemoryBench),
// simulation against cp, calibration and measurement against the load and
// pylinac, cost from 300 to 1,000 slices (ScaleBench), and qc record of 200
// series (RecordBench), and the dashboard under wrk over a 10-scanner × 2-year
// history (DashboardBench), and recording into SQLite and PostgreSQL side by side (StoreBench). Docs/benchmarks.md says what each part measures.

struct Options {
    var fixtures = ".fixtures"
    var python = ".fixtures/venv/bin/python"
    var slices = 300
    var runs = 5
    var phantoms = "Phantoms"
    var pylinacPython: String?
    /// The qct binary run as a whole process (export, memory, scale, record).
    var qct = ".build/release/qct"
    /// One part only (load, export, memory, simulate, calibrate (with measure), scale, record, dashboard, store); all when nil.
    var only: String?

    func wants(_ part: String) -> Bool { only == nil || only == part }

    init(_ args: [String]) {
        var it = args.dropFirst().makeIterator()
        while let a = it.next() {
            switch a {
            case "--fixtures": fixtures = it.next() ?? fixtures
            case "--python": python = it.next() ?? python
            case "--slices": slices = Int(it.next() ?? "") ?? slices
            case "--runs": runs = Int(it.next() ?? "") ?? runs
            case "--phantoms": phantoms = it.next() ?? phantoms
            case "--pylinac-python": pylinacPython = it.next()
            case "--only": only = it.next()
            case "--qct": qct = it.next() ?? qct
            default:
                FileHandle.standardError.write(Data("qct-bench: unknown option \(a)\n".utf8))
                exit(2)
            }
        }
    }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func best(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var t = Double.infinity
    for _ in 0..<runs {
        let s = now()
        try body()
        t = min(t, now() - s)
    }
    return t
}

func run(_ tool: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: tool)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw NSError(domain: tool, code: Int(p.terminationStatus)) }
    return String(decoding: data, as: UTF8.self)
}

func buildSeries(template: String, into dir: String, count: Int) throws {
    let fm = FileManager.default
    let marker = dir + "/.complete-\(count)"
    if fm.fileExists(atPath: marker) { return }
    try? fm.removeItem(atPath: dir)
    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let series = "1.2.826.0.1.3680043.9.7777.300"
    DispatchQueue.concurrentPerform(iterations: count) { k in
        let path = String(format: "%@/slice%04d.dcm", dir, k)
        do {
            try DicomFile.writeModified(source: template, destination: path, replacing: [
                (.seriesInstanceUID, series),
                (.sopInstanceUID, "\(series).\(k + 1)"),
                (.instanceNumber, "\(k + 1)"),
                (.imagePositionPatient, "-122.5\\-112.4\\\(Double(k) * 1.25)"),
            ])
        } catch {
            FileHandle.standardError.write(Data("qct-bench: \(error)\n".utf8))
            exit(1)
        }
    }
    _ = fm.createFile(atPath: marker, contents: nil)
}

let options = Options(CommandLine.arguments)
let template = options.fixtures + "/dicom/pydicom-data/693_UNCR.dcm"
let dir = options.fixtures + "/bench/series\(options.slices)"
guard FileManager.default.fileExists(atPath: template) else {
    FileHandle.standardError.write(Data("qct-bench: \(template) missing; run make fixtures\n".utf8))
    exit(2)
}
guard !options.wants("load") || options.only == "load" && options.python == "-" || FileManager.default.isExecutableFile(atPath: options.python) else {
    FileHandle.standardError.write(Data("qct-bench: \(options.python) missing; run make fixtures\n".utf8))
    exit(2)
}
let cores = ProcessInfo.processInfo.activeProcessorCount
/// One timing line: the time, and the rate in slices (or files) and bytes per second.
func line(_ name: String, _ t: Double, slices: Int, bytes: Int) -> String {
    name.padding(toLength: 44, withPad: " ", startingAt: 0)
        + String(format: " %8.3f s  %8.0f slices/s  %8.0f MB/s", t, Double(slices) / t, Double(bytes) / t / 1e6)
}

if ["load", "export", "memory", "scale"].contains(where: options.wants) {
    try buildSeries(template: template, into: dir, count: options.slices)
}
let work = options.fixtures + "/bench/work"
try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)

if options.wants("load") {
let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".dcm") }.sorted()
    .map { dir + "/" + $0 }
let bytes = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }

/// `cat` of the series' files to /dev/null, as a whole process, timed from spawn to exit.
func catFiles() throws -> Double {
    let t = timedSpawn("/bin/cat", files)
    guard t.isFinite else { throw CocoaError(.fileReadUnknown) }
    return t
}
_ = try catFiles()  // warms the page cache
var tCat = Double.infinity
for _ in 0..<options.runs { tCat = min(tCat, try catFiles()) }

var checksum = 0.0
let tHeaders = best(options.runs) {
    precondition(SeriesReader.read(paths: [dir], decodePixels: false).series.count == 1, "bench series headers did not read")
}
let tQCT = best(options.runs) {
    let r = SeriesReader.read(paths: [dir])
    precondition(r.volumes.count == 1 && r.volumes[0].geometry.slices == options.slices, "bench series did not load")
    checksum = r.volumes[0].hu(at: 12345)
}
// The same loads into fresh memory, as the first load of a process makes them: the pool of
// released volumes (LargeBuffer) is emptied before each run, outside the timing, so every page is
// faulted in and zeroed by the kernel.
func fresh(_ body: () -> Void) -> Double {
    var t = Double.infinity
    for _ in 0..<options.runs {
        LargeBuffer.trim()
        let s = now()
        body()
        t = min(t, now() - s)
    }
    return t
}
let tQCTFresh = fresh {
    precondition(SeriesReader.read(paths: [dir]).volumes.count == 1, "bench series did not load")
}
let tQCTFloatFresh = fresh {
    let r = SeriesReader.read(paths: [dir], decodePixels: false)
    guard case .success = VolumeLoader.loadHUFloat32(r.series[0]) else { preconditionFailure("bench series did not load to float32") }
}
// Headers, then the chosen series decoded straight to float32 (as a command loads its series).
var floatHU: HUFloat32?
let tQCTFloat = best(options.runs) {
    floatHU = nil
    let r = SeriesReader.read(paths: [dir], decodePixels: false)
    guard case .success(let hu) = VolumeLoader.loadHUFloat32(r.series[0]) else { preconditionFailure("bench series did not load to float32") }
    floatHU = hu
}
// The direct float32 load gives the Volume's own float32 HU, voxel for voxel.
precondition(floatHU == SeriesReader.read(paths: [dir]).volumes[0].huFloat32(), "float32 load differs from the volume's HU")
checksum += Double(floatHU![12345])
floatHU = nil

// `--python -` leaves pydicom out (a quick look at qct's own figures).
let py = options.python == "-" ? "" : try run(options.python, ["-W", "ignore", "Scripts/pydicom_load.py", dir, "\(min(options.runs, 3))"])
let tPy = Double(py.split(separator: " ").first ?? "") ?? .nan

print("qct load benchmark: \(options.slices) slices 512x512 16-bit uncompressed, \(bytes / 1_000_000) MB, page cache warm, \(cores) cores, best of \(options.runs)")
print(line("cat (same bytes)", tCat, slices: options.slices, bytes: bytes))
print(line("qct headers only (inspect)", tHeaders, slices: options.slices, bytes: bytes))
print(line("qct load -> Volume (exact HU via rescale)", tQCT, slices: options.slices, bytes: bytes))
print(line("qct load -> float32 HU array", tQCTFloat, slices: options.slices, bytes: bytes))
print(line("  the same, first load (fresh pages)", tQCTFresh, slices: options.slices, bytes: bytes))
print(line("  the same to float32, first load", tQCTFloatFresh, slices: options.slices, bytes: bytes))
print(line("pydicom 3.0.2 + numpy -> float64 HU", tPy, slices: options.slices, bytes: bytes))
print(String(format: "ratio qct/cat          %.2f   (target <= 1.2)", tQCT / tCat))
print(String(format: "ratio qct(float32)/cat %.2f   (target <= 1.5)", tQCTFloat / tCat))
print(String(format: "first load of a process (the kernel zeroes every fresh page): /cat %.2f, float32 /cat %.2f", tQCTFresh / tCat, tQCTFloatFresh / tCat))
print(String(format: "ratio pydicom/qct      %.1f   (target >= 5)", tPy / tQCT))
}

if options.wants("export") {
    // Written to memory (tmpfs) when the machine has it, so that the disk's write-back, which neither
    // tool controls, does not decide the comparison.
    let shm = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/qct-bench-\(getpid())" : work + "/export"
    defer { try? FileManager.default.removeItem(atPath: shm) }
    _ = exportBench(series: dir, label: "\(options.slices) slices 512x512 16-bit uncompressed, written to \(shm.hasPrefix("/dev/shm") ? "tmpfs" : "disk")",
                    qct: options.qct, outDir: shm, runs: options.runs)
}

if options.wants("store") {
    try storeBench(work: work + "/store")
}
if options.wants("dashboard") {
    try dashboardBench(qct: options.qct, phantoms: options.phantoms, work: work)
}

// Digital scanner: a 100-slice 512² ESP-on-pad scan, against `cp` writing the same files.
guard ["memory", "simulate", "calibrate", "scale", "record"].contains(where: options.wants) else { exit(0) }
let catalog = PhantomCatalog.load(directories: [options.phantoms])
guard let profile = catalog.scanners["QCT1"], catalog.errors.isEmpty else {
    FileHandle.standardError.write(Data("qct-bench: phantom catalog at \(options.phantoms) unusable: \(catalog.errors)\n".utf8))
    exit(2)
}
var simRequest = SimulationRequest(scene: "esp-on-pad", profile: profile)
simRequest.slices = 100
let simDir = options.fixtures + "/bench/sim100"
let simulated = FileManager.default.fileExists(atPath: simDir + "/.complete")
if options.wants("simulate") || !simulated {
let tSim = try best(3) {
    try? FileManager.default.removeItem(atPath: simDir)
    try Simulator.run(simRequest, catalog: catalog, directory: simDir)
}
_ = FileManager.default.createFile(atPath: simDir + "/.complete", contents: nil)
let simFiles = try FileManager.default.contentsOfDirectory(atPath: simDir).filter { $0.hasSuffix(".dcm") }.map { simDir + "/" + $0 }
let simBytes = try simFiles.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
let copyDir = options.fixtures + "/bench/sim100-copy"
let tCopy = try best(3) {
    try? FileManager.default.removeItem(atPath: copyDir)
    try FileManager.default.createDirectory(atPath: copyDir, withIntermediateDirectories: true)
    guard timedSpawn("/bin/cp", simFiles + [copyDir]).isFinite else { throw CocoaError(.fileWriteUnknown) }
}
print("")
print("qct simulate benchmark: esp-on-pad, 100 slices 512x512, \(simBytes / 1_000_000) MB written, \(cores) cores, best of 3")
print(line("cp writing the same files", tCopy, slices: simFiles.count, bytes: simBytes).replacingOccurrences(of: "slices/s", with: "files/s "))
print(line("qct simulate (render, blur, noise, DICOM)", tSim, slices: simFiles.count, bytes: simBytes))
print(String(format: "qct simulate: %.2f s  (target <= 5 s); ratio to cp %.1f", tSim, tSim / tCopy))
}

if options.wants("calibrate") {
// Calibration: load + calibrate the 100-slice scan just written, and the real
// CatPhan 504 demo against pylinac's own analysis of it.
guard let pad = catalog.phantoms["mindways-model3-ct"], let catphan = catalog.phantoms["catphan504-ctp404"] else { exit(2) }
let padCertificate = catalog.certificate(for: pad.id)
// The floor: loading the same series to a Volume.
let tLoad = best(7) { _ = SeriesReader.read(paths: [simDir]) }
var padStatus = ""
let tCal = try best(7) {
    let r = SeriesReader.read(paths: [simDir])
    padStatus = try Calibrator.calibrate(r.volumes[0], phantom: pad, certificate: padCertificate).status.rawValue
}
let catphanDir = options.fixtures + "/catphan/High quality head"
var catStatus = ""
let tCat404 = try best(3) {
    let r = SeriesReader.read(paths: [catphanDir])
    catStatus = try Calibrator.calibrate(r.volumes[0], phantom: catphan, certificate: nil).status.rawValue
}
print("")
print("qct calibrate benchmark, \(cores) cores, best of 7 (load + find rods + fit + checks; CatPhan best of 3)")
print(String(format: "qct calibrate, 100-slice 512x512 esp-on-pad scan: %.3f s  (target <= 0.25 s; status %@)", tCal, padStatus))
print(String(format: "load alone: %.3f s; ratio calibrate/load %.1f   (target <= 8)", tLoad, tCal / tLoad))
print(String(format: "qct calibrate, pylinac's CatPhan 504 demo (64 slices): %.3f s  (status %@)", tCat404, catStatus))
if let py = options.pylinacPython, !FileManager.default.isExecutableFile(atPath: py) {
    print("pylinac not run: \(py) is missing (make bench installs it)")
} else if let py = options.pylinacPython {
    let out = try run(py, ["-W", "ignore", "Scripts/pylinac_catphan.py", catphanDir, "3"])
    let fields = out.split(separator: " ")
    let tPylinac = Double(fields.first ?? "") ?? .nan
    print(String(format: "pylinac CatPhan504.analyze() on the same folder: %.3f s  (%@)", tPylinac,
                 fields.dropFirst().joined(separator: " ").trimmingCharacters(in: .whitespacesAndNewlines)))
    print(String(format: "ratio pylinac/qct      %.1f   (target >= 10; pylinac also analyses three other modules)", tPylinac / tCat404))
} else {
    print("pylinac not run (pass --pylinac-python)")
}

// ESP measurement: load + same-scan calibration + vertebrae, against the load alone (its floor).
if let esp = catalog.phantoms["esp"] {
    let espCertificate = catalog.certificate(for: "esp")
    var readings = ""
    let tMeasure = try best(7) {
        let r = SeriesReader.read(paths: [simDir])
        let cal = try Calibrator.calibrate(r.volumes[0], phantom: pad, certificate: padCertificate)
        let m = SpineMeasurer.measure(r.volumes[0], phantom: esp, certificate: espCertificate, fit: cal.fit)
        readings = m.vertebrae.map { v in v.bmd.map { String(format: "%@ %.2f", v.name, $0) } ?? "\(v.name) -" }.joined(separator: ", ")
    }
    print("")
    print("qct measure benchmark, 100-slice 512x512 esp-on-pad scan, \(cores) cores, best of 7")
    print(String(format: "load alone: %.3f s; load + calibrate + measure L1-L3: %.3f s  (target <= 0.35 s; %@ mg/cm3)", tLoad, tMeasure, readings))
    print(String(format: "ratio measure/load     %.1f   (target <= 10)", tMeasure / tLoad))
}
}

if options.wants("memory") {
    memoryBench(qct: options.qct, phantoms: options.phantoms, bigSeries: dir, scan: simDir, work: work)
}

if options.wants("scale") {
    let large = options.fixtures + "/bench/series1000"
    try buildSeries(template: template, into: large, count: 1000)
    let smallScan = options.fixtures + "/bench/esp300", largeScan = options.fixtures + "/bench/esp1000"
    try simulatedScan(smallScan, slices: 300, catalog: catalog)
    try simulatedScan(largeScan, slices: 1000, catalog: catalog)
    try scaleBench(qct: options.qct, phantoms: options.phantoms, small: dir, large: large, smallScan: smallScan, largeScan: largeScan,
                   work: work, catalog: catalog)
}

if options.wants("record") {
    try recordBench(qct: options.qct, phantoms: options.phantoms, dir: options.fixtures + "/bench/record200", count: 200, work: work, catalog: catalog)
}
