import Foundation
import QCTCore
import QCTDICOM
import QCTReport

/// The measurements a precision study or scanner comparison reads: measurement files, folders of
/// them, and ESP series (measured on the way, one volume in memory at a time). One reading per
/// series: a measurement file and the series it came from count once.
public struct StudyCollection: Sendable {
    public let measurement: SpineMeasurement
    /// Folder where each series measured here is saved as JSON, if any.
    public var saveTo: String?

    public init(measurement: SpineMeasurement, saveTo: String? = nil) {
        self.measurement = measurement
        self.saveTo = saveTo
    }

    /// Collects from `paths`; every refusal and each series measured goes to `report`.
    /// `write` saves a measurement (path, JSON text); its failure ends the collection.
    public func collect(_ paths: [String], report: DiagnosticSink, write: (String, String) throws -> Void) throws -> [StudyInput] {
        try Self.collect(paths, saveTo: saveTo, measurement: { measurement }, report: report, write: write)
    }

    /// `collect`, with the measurement made (`measurement`) only when a series is to be measured.
    public static func collect(_ paths: [String], saveTo: String?, measurement makeMeasurement: () throws -> SpineMeasurement,
                               report: DiagnosticSink, write: (String, String) throws -> Void) throws -> [StudyInput] {
        var out: [StudyInput] = []
        var seriesPaths: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                report(Diagnostic(.refused, path: path, "no such file or folder"))
                continue
            }
            if !isDir.boolValue {
                if path.lowercased().hasSuffix(".json") {
                    if let r = Self.load(path, quiet: false, report: report) { out.append(StudyInput(source: path, report: r)) }
                } else {
                    seriesPaths.append(path)
                }
                continue
            }
            let files = (fm.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
            out += files.filter { $0.lowercased().hasSuffix(".json") }.compactMap { f -> StudyInput? in
                let full = (path as NSString).appendingPathComponent(f)
                return Self.load(full, quiet: true, report: report).map { StudyInput(source: full, report: $0) }
            }
            if files.contains(where: { !$0.lowercased().hasSuffix(".json") }) { seriesPaths.append(path) }
        }
        var seen = Set<String>()
        out = out.filter { input in
            let uid = input.report.series.seriesInstanceUID
            if seen.contains(uid) {
                report(Diagnostic(.leftOut, path: input.source, "series \(uid) is already among the inputs"))
                return false
            }
            seen.insert(uid)
            return true
        }
        guard !seriesPaths.isEmpty else { return out }
        // Series: headers first, then one series at a time (memory stays one volume).
        let headers = SeriesReader.read(paths: seriesPaths, decodePixels: false)
        for r in headers.rejected { report(Diagnostic(.refused, path: r.path, r.reason)) }
        guard !headers.series.isEmpty else { return out }
        let measurement = try makeMeasurement()
        if let saveTo { try? fm.createDirectory(atPath: saveTo, withIntermediateDirectories: true) }
        for (n, s) in headers.series.enumerated() {
            let folder = SeriesInput.commonFolder(s.filePaths)
            if seen.contains(s.seriesInstanceUID) {
                report(Diagnostic(.info, "using the saved measurement of \(folder) (series \(s.seriesInstanceUID))"))
                continue
            }
            seen.insert(s.seriesInstanceUID)
            guard SeriesInput.isCT(s) else {
                report(Diagnostic(.refused, SeriesInput.notCT(s, path: folder)))
                continue
            }
            let read = SeriesReader.read(paths: s.filePaths)
            guard let (_, info, volume) = read.largestSeries() else {
                report(Diagnostic(.refused, path: folder, "series \(s.seriesInstanceUID) could not be loaded"))
                continue
            }
            do {
                let result = try measurement.measure(volume, series: info, path: folder)
                let readings = result.vertebrae.map { v in v.bmd.map { String(format: "%@ %.2f", v.name, $0) } ?? "\(v.name) —" }
                report(Diagnostic(.info, "measured \(n + 1)/\(headers.series.count) \(folder): \(readings.joined(separator: ", ")) mg/cm³ (\(result.status.rawValue))"))
                var source = folder
                if let saveTo {
                    let name = "\(scannerLabel(result.scanner))-\(result.series.seriesInstanceUID.suffix(12)).json"
                        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: " ", with: "_")
                    source = (saveTo as NSString).appendingPathComponent(name)
                    try write(source, try jsonString(result))
                }
                out.append(StudyInput(source: source, report: result))
            } catch let refusal as MeasureRefusal {
                report(Diagnostic(.refused, "\(refusal)"))
            }
        }
        return out
    }

    /// A measurement report, or nil (with a line to `report` unless `quiet`).
    public static func load(_ path: String, quiet: Bool, report: DiagnosticSink) -> MeasurementReport? {
        guard let data = FileBytes.read(atPath: path) else {
            if !quiet { report(Diagnostic(.refused, path: path, "cannot read file")) }
            return nil
        }
        do {
            let r = try JSONDecoder().decode(MeasurementReport.self, from: data)
            guard r.kind == "qct-spine-measurement" else { throw MeasureRefusal(description: "kind \(r.kind)") }
            return r
        } catch {
            if !quiet { report(Diagnostic(.refused, path: path, "not a qct measurement (qct measure --json): \(error)")) }
            return nil
        }
    }
}
