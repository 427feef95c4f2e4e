import ArgumentParser
import Foundation
import QCTPatient
import QCTWorkflows

struct Spine: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A patient's lumbar spine trabecular BMD: vertebrae found and named, per vertebra and the L1–L2 mean, ACR category.",
        discussion: """
            Finds the vertebral bodies (regions a cortical shell encloses, along one column), names them from the lowest \
            rib-bearing vertebra (T12), reads a trabecular ROI in each over the mid-vertebral slab, and converts it with the \
            calibration chosen: same-scan (a calibration phantom in the scan), history (the most recent passing phantom \
            calibration of the QC history matching the scanner's serial, kVp, kernel, reconstruction diameter and table height, \
            within --max-age days), internal (the patient's air, subcutaneous fat, paraspinal muscle and aortic blood: effective \
            energy by grid search, K2HPO4- or --hydroxyapatite-equivalent) or a calibration file saved by qct calibrate --save. Reports the mean of L1–L2 (or the two \
            measurable vertebrae nearest them) and its ACR category; spine QCT gives no T-score. Follow-up: the change since the \
            latest earlier exam of the same Patient ID kept in the patient database (--record keeps one), in mg/cm³ and %, and \
            whether it exceeds the LSC (2.77 × RMS-SD) of the precision study named by --precision-study. Patient identifiers appear in \
            the report only (never on stderr); --anonymize leaves them out.
            Exit status: 0 a mean was reported; 4 vertebrae were read but no mean could be given; 2 nothing could be computed.
            """)
    @Argument(help: "Folder or files of one CT series.") var series: String
    @Option(help: "same-scan, history, internal, or a saved calibration file (JSON).") var calibration: String = "same-scan"
    @Flag(help: "Internal calibration: report hydroxyapatite-equivalent instead of K2HPO4-equivalent mg/cm³.") var hydroxyapatite = false
    @Option(help: "Oldest calibration accepted, days (history: default from patient-policy.json; a file: 7).") var maxAge: Double?
    @Flag(help: "Apply a saved calibration file even when it does not match the series (recorded in the report).") var allowMismatch = false
    @OptionGroup var database: DatabaseOption
    @OptionGroup var phantomOptions: PhantomOptions
    @OptionGroup var seriesChoice: SeriesOption
    @Flag(help: "Leave the patient's identifiers (ID, name, birth date, sex) out of the report.") var anonymize = false
    @Option(help: "Patient database, apart from the QC history (default: $XDG_DATA_HOME/qct/patients.sqlite, else ~/.local/share/qct/patients.sqlite).") var patients: String?
    @Flag(help: "Keep this exam in the patient database for later follow-up.") var record = false
    @Option(help: "Judge the change since the earlier exam against this precision study's LSC (its id in the QC history, --db).") var precisionStudy: Int64?
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Also write the JSON report to this file.") var save: String?
    @Option(help: "Write the report as an HTML page with the ROI pictures.") var html: String?
    @Option(help: "Write the ROIs drawn on each vertebra's middle slice (.svg or .png).") var overlay: String?

    func validate() throws {
        if let maxAge, !(maxAge >= 0) { throw ValidationError("--max-age must not be negative (days)") }
    }

    func run() throws {
        let catalog = try phantomOptions.load()
        let analysed = try Console.run {
            var analysis = try PatientSpineAnalysis(catalog: catalog)
            switch calibration {
            case "same-scan": analysis.source = .sameScan
            case "history": analysis.source = .history(store: database.db, maxAgeDays: maxAge)
            case "internal": analysis.source = .internal(hydroxyapatite ? .hydroxyapatite : .k2hpo4)
            default:
                analysis.source = .file(try SavedCalibration(path: calibration, allowMismatch: allowMismatch, maximumAgeDays: maxAge ?? 7,
                                                             needsAlongZ: false))
            }
            (analysis.anonymize, analysis.patients, analysis.record) = (anonymize, patients, record)
            (analysis.precisionStudy, analysis.qcStore) = (precisionStudy, database.db)
            return try analysis.analyse(path: series, selection: seriesChoice.selection, report: Console.report, progress: ProgressBar().update)
        }
        let text = try jsonString(analysed.report)
        print(json ? text : analysed.report.text())
        if let save { try OutputFile.write(text, to: save) }
        if let html {
            try OutputFile.write(SpineHTML.page(analysed.report, figure: OverlayFigures.spine(analysed).svg(volume: analysed.volume), generated: isoNow()), to: html)
        }
        if let overlay { try OutputFile.write(to: overlay) { try OverlayFigures.spine(analysed).data(volume: analysed.volume, forPath: overlay) } }
        if analysed.report.summary == nil { throw ExitCode(4) }
    }
}
