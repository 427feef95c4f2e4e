import ArgumentParser
import Foundation
import QCTDICOM
import QCTReport
import QCTWorkflows

/// Options shared by precision and compare: what to read and where to write.
struct StudyOptions: ParsableArguments {
    @Argument(help: "Measurement files (qct measure --json / --save), or folders of them or of ESP series (measured here).")
    var inputs: [String]

    @Option(name: .customLong("save-measurements"), help: "Write each series measured here as JSON into this folder.")
    var saveMeasurements: String?

    @Option(help: "Write CSV to this file ('-': standard output).") var csv: String?
    @Option(help: "Write JSON to this file ('-': standard output).") var json: String?
    @Option(help: "Write a self-contained HTML report (inline SVG charts) to this file.") var html: String?
    @OptionGroup var print: PrintOptions
}

/// A report printed to PDF: where, on what paper, under which institution's name.
struct PrintOptions: ParsableArguments {
    @Option(help: "Print the HTML report to this PDF, through headless Chromium.") var pdf: String?
    @Option(help: "Paper of the PDF: a4 or letter.") var paper: Paper = .a4
    @Option(help: "Institution named in the page header (default: the Institution Name in the scans).") var institution: String?

    enum Paper: String, ExpressibleByArgument, CaseIterable {
        case a4, letter
        var page: PrintPage.Paper { self == .a4 ? .a4 : .letter }
    }

    /// Prints `html` to the --pdf file, announced like every file written; a failure is one line and exit 2.
    func write(_ html: String) throws {
        guard let pdf else { return }
        try OutputFile.write(pdf) { try PDFPrinter().print(html: html, to: pdf) }
    }
}

/// Collects measurement reports from files, folders of files, and series (measured on the way).
enum StudyInputs {
    static func collect(_ paths: [String], options: MeasureOptions, saveTo: String?) throws -> [StudyInput] {
        var out: [StudyInput] = []
        var seriesPaths: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                printError("refused: \(path): no such file or folder")
                continue
            }
            if !isDir.boolValue {
                if path.lowercased().hasSuffix(".json") {
                    if let r = load(path, quiet: false) { out.append(StudyInput(source: path, report: r)) }
                } else {
                    seriesPaths.append(path)
                }
                continue
            }
            let files = (fm.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
            let reports = files.filter { $0.lowercased().hasSuffix(".json") }
                .compactMap { f -> StudyInput? in
                    let full = (path as NSString).appendingPathComponent(f)
                    return load(full, quiet: true).map { StudyInput(source: full, report: $0) }
                }
            out += reports
            if files.contains(where: { !$0.lowercased().hasSuffix(".json") }) { seriesPaths.append(path) }
        }
        // One reading per series: a measurement file and the series it came from count once.
        var seen = Set<String>()
        out = out.filter { input in
            let uid = input.report.series.seriesInstanceUID
            if seen.contains(uid) {
                printError("left out: \(input.source): series \(uid) is already among the inputs")
                return false
            }
            seen.insert(uid)
            return true
        }
        guard !seriesPaths.isEmpty else { return out }
        // Series: headers first, then one series at a time (memory stays one volume).
        let headers = SeriesReader.read(paths: seriesPaths, decodePixels: false)
        for r in headers.rejected { printError("refused: \(r.path): \(r.reason)") }
        guard !headers.series.isEmpty else { return out }
        let pipeline = try SpinePipeline(options)
        if let saveTo { try? fm.createDirectory(atPath: saveTo, withIntermediateDirectories: true) }
        for (n, s) in headers.series.enumerated() {
            let folder = commonFolder(s.filePaths)
            if seen.contains(s.seriesInstanceUID) {
                printError("using the saved measurement of \(folder) (series \(s.seriesInstanceUID))")
                continue
            }
            seen.insert(s.seriesInstanceUID)
            guard isCT(s) else {
                printError("refused: " + notCT(s, path: folder))
                continue
            }
            let read = SeriesReader.read(paths: s.filePaths)
            guard let (_, info, volume) = read.largestSeries() else {
                printError("refused: \(folder): series \(s.seriesInstanceUID) could not be loaded")
                continue
            }
            do {
                let report = try pipeline.measure(volume, series: info, path: folder)
                let readings = report.vertebrae.map { v in v.bmd.map { String(format: "%@ %.2f", v.name, $0) } ?? "\(v.name) —" }
                printError("measured \(n + 1)/\(headers.series.count) \(folder): \(readings.joined(separator: ", ")) mg/cm³ (\(report.status))")
                var source = folder
                if let saveTo {
                    let name = "\(scannerLabel(report.scanner))-\(report.series.seriesInstanceUID.suffix(12)).json"
                        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: " ", with: "_")
                    source = (saveTo as NSString).appendingPathComponent(name)
                    try OutputFile.write(try jsonString(report), to: source, announce: false)
                }
                out.append(StudyInput(source: source, report: report))
            } catch {
                printError("refused: \(error)")
            }
        }
        return out
    }

    /// A measurement report, or nil (with a line on standard error unless `quiet`).
    static func load(_ path: String, quiet: Bool) -> MeasurementReport? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if !quiet { printError("refused: \(path): cannot read file") }
            return nil
        }
        do {
            let r = try JSONDecoder().decode(MeasurementReport.self, from: data)
            guard r.kind == "qct-spine-measurement" else { throw MeasureRefusal(description: "kind \(r.kind)") }
            return r
        } catch {
            if !quiet { printError("refused: \(path): not a qct measurement (qct measure --json): \(error)") }
            return nil
        }
    }

    /// The deepest folder holding every file.
    static func commonFolder(_ files: [String]) -> String {
        let dirs = files.map { ($0 as NSString).deletingLastPathComponent.split(separator: "/", omittingEmptySubsequences: false) }
        guard var prefix = dirs.first else { return "." }
        for d in dirs.dropFirst() {
            var k = 0
            while k < min(prefix.count, d.count), prefix[k] == d[k] { k += 1 }
            prefix = Array(prefix.prefix(k))
        }
        let joined = prefix.joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }

    /// Writes `text` to a file (announced as `wrote FILE`; a failure is one line and exit 2), or to standard output for "-".
    static func write(_ text: String, to path: String, announce: Bool = true) throws {
        if path == "-" { print(text, terminator: text.hasSuffix("\n") ? "" : "\n"); return }
        try OutputFile.write(text, to: path, announce: announce)
    }
}
