import ArgumentParser
import Foundation
import QCTWorkflows

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find a phantom's rods with no hints, measure them and fit the calibration.",
        discussion: "Exit status: 0 every check passed; 3 a check warned; 4 a check failed; 2 nothing could be computed.")
    @Argument(help: "Folder or files of one CT series.") var series: String
    @Option(help: "Phantom id (see qct phantoms).") var phantom: String
    @Option(help: "Certificate serial (default: the phantom's only or first certificate).") var serial: String?
    @OptionGroup var phantomOptions: PhantomOptions
    @OptionGroup var seriesChoice: SeriesOption
    @Option(help: "Manual ROIs (JSON: {\"rods\": [{\"name\", \"centerMM\": [x, y], \"radiusMM\"}]}) instead of detection.") var rois: String?
    @Option(help: "ROI inset from the rod edge, mm.") var roiInset: Double = 1.5
    @Option(help: "Trimmed at rod ends inside the scan, mm.") var trimEnds: Double = 10
    @Option(help: "Slab thickness for detection, mm.") var slab: Double = 5
    @Option(help: "Also fit the calibration in slabs of this many mm along z (per-slice calibration).") var alongZ: Double?
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Write the ROIs drawn on the middle slice (.svg or .png).") var overlay: String?
    @Option(help: "Save the calibration with the scanner identity and protocol it is valid for.") var save: String?

    func run() throws {
        var settings = RodSearchSettings()
        (settings.roiInsetMM, settings.trimEndsMM, settings.slabMM, settings.alongZSlabMM) = (roiInset, trimEnds, slab, alongZ)
        let catalog = try phantomOptions.load()
        let (name, calibrated) = try Console.run {
            let calibration = try PhantomCalibration(phantom: phantom, serial: serial, catalog: catalog, settings: settings, manualROIs: rois)
            return (calibration.definition.name, try calibration.calibrate(path: series, selection: seriesChoice.selection, report: Console.report,
                                                                           progress: ProgressBar().update))
        }
        print(json ? try calibrated.report.jsonString() : calibrated.report.text())
        if let overlay {
            try OutputFile.write(to: overlay) { try OverlayFigures.calibration(calibrated, phantomName: name).data(volume: calibrated.volume, forPath: overlay) }
        }
        if let save { try OutputFile.write(save) { try calibrated.report.save(to: save) } }
        try exitIfNotPassed(calibrated.result.status)
    }
}

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the European Spine Phantom's vertebrae in mg K2HPO4/cm³.",
        discussion: """
            Finds the three vertebral bodies with no hints, places a trabecular ROI inside each cortical shell over a \
            mid-vertebral slab, and converts its mean HU with the Mindways calibration of the same scan, or with a \
            calibration saved by `qct calibrate --save` (--calibration; refused when scanner, kVp, kernel, reconstruction \
            diameter or table height differ or it is older than --max-age days, unless --allow-mismatch, which is recorded).
            Exit status: 0 every check passed; 3 a check warned; 4 a check failed (e.g. a vertebra missing: no number is \
            given for it); 2 nothing could be computed.
            """)
    @Argument(help: "Folder or files of one CT series.") var series: String
    @Flag(help: "Measure the European Spine Phantom (the default spine phantom).") var esp = false
    @OptionGroup var options: MeasureOptions
    @OptionGroup var seriesChoice: SeriesOption
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Write the ROIs drawn on each vertebra's middle slice (.svg or .png).") var overlay: String?
    @Option(help: "Also write the JSON result to this file.") var save: String?

    func run() throws {
        let measurement = try options.measurement()
        let measured = try Console.run {
            try measurement.measure(path: series, selection: seriesChoice.selection, report: Console.report, progress: ProgressBar().update)
        }
        let text = try jsonString(measured.report)
        print(json ? text : measured.report.text())
        if let save { try OutputFile.write(text, to: save) }
        if let overlay { try OutputFile.write(to: overlay) { try OverlayFigures.measurement(measured).data(volume: measured.volume, forPath: overlay) } }
        try exitIfNotPassed(measured.report.status)
    }
}

struct Precision: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Precision study: per scanner and vertebra n, mean ± SD, CV%, pooled precision, LSC and accuracy.",
        discussion: """
            Scans are grouped by scanner (manufacturer, model, serial, station) automatically. A scan missing a vertebra's \
            reading is left out and named. Exit status: 0 a table was produced; 2 nothing usable.
            """)
    @OptionGroup var study: StudyOptions
    @Flag(help: "Keep each scanner's study in the QC history (--db): versioned by its scans, shown by qct serve.") var record = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let inputs = try study.collect()
        let result = try Console.run { try StudyAnalysis.precision(inputs, report: Console.report) }
        if record {
            let store = try database.open(), (records, skipped) = result.records()
            for line in skipped { printError("not kept: \(line)") }
            for r in records {
                let audit = QCAuditEntry(at: isoNow(), user: QCAuditEntry.commandLineUser, action: "record precision study",
                                         detail: "\(r.scanner): \(r.scans) scans \(r.from) – \(r.to)")
                let (kept, stored) = try storeCall { try store.recordPrecision(r, audit: audit) }
                printError(stored ? "kept precision study \(kept.id ?? 0) of \(kept.scanner): \(kept.scans) scans, \(kept.from) – \(kept.to)"
                                  : "precision study of \(kept.scanner) on these scans already kept (\(kept.storedAt ?? "")), not stored again")
            }
        }
        try study.write(tables: StudyText.precision(result), json: { try jsonString(result) }, csv: StudyText.precisionCSV(result)) {
            StudyAnalysis.html(result, comparison: nil, paper: $0, institution: $1, generated: isoNow())
        }
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare scanners on the same ESP: regressions against nominal, correction equations, Bland–Altman, ANOVA.",
        discussion: "Exit status: 0 a comparison was produced; 2 fewer than two scanners with complete measurements.")
    @OptionGroup var study: StudyOptions
    @Option(help: "Correct every scanner to this one (its station name, as in the tables) instead of to nominal.") var reference: String?
    @Flag(help: "Keep each scanner's correction equation in the QC history (--db), versioned by its scans (qct qc crosscal shows the one in force).")
    var record = false
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let inputs = try study.collect()
        let (precision, comparison) = try Console.run { try StudyAnalysis.comparison(inputs, reference: reference, report: Console.report) }
        if record {
            let store = try database.open(), (records, skipped) = comparison.crossCalibrations()
            for line in skipped { printError("not kept: \(line)") }
            for r in records {
                let audit = QCAuditEntry(at: isoNow(), user: QCAuditEntry.commandLineUser, action: "record cross-calibration",
                                         detail: "\(r.scanner): \(r.equation)")
                let (kept, stored) = try storeCall { try store.recordCrossCalibration(r, audit: audit) }
                printError(stored ? "kept cross-calibration v\(kept.version ?? 0) of \(kept.scanner): \(kept.equation)"
                                  : "cross-calibration of \(kept.scanner) on these scans already kept (v\(kept.version ?? 0)), not stored again")
            }
        }
        try study.write(tables: StudyText.precision(precision) + "\n\n" + StudyText.comparison(comparison), json: { try jsonString(comparison) },
                        csv: StudyText.comparisonCSV(comparison)) {
            StudyAnalysis.html(precision, comparison: comparison, paper: $0, institution: $1, generated: isoNow())
        }
    }
}
