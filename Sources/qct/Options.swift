import ArgumentParser
import Foundation
import QCTWorkflows

/// Options shared by every command that needs the phantom catalog.
struct PhantomOptions: ParsableArguments {
    @Option(name: .customLong("phantoms"), help: "Folder of phantom definitions and certificates (repeatable).") var directories: [String] = []
    @Option(name: .customLong("certificate"), help: "Extra certificate file (repeatable).") var certificates: [String] = []

    /// The catalog; every refused file gets its one line, and with no phantom definition anywhere
    /// it says where it looked and exits 2.
    func load() throws -> PhantomCatalog {
        try Console.run { try PhantomCatalog.load(directories: directories, certificates: certificates, report: Console.report) }
    }
}

/// `--series UID`: which series of a folder to use.
struct SeriesOption: ParsableArguments {
    @Option(name: .customLong("series"), help: "The series to use: its Series Instance UID, or a unique ending of it as inspect shows it (default: the largest CT series that holds the phantom).") var uid: String?

    var selection: SeriesSelection { SeriesSelection(uid: uid) }
}

/// Options of ESP measurement, shared by measure, precision, compare and qc record.
struct MeasureOptions: ParsableArguments {
    @Option(help: "Spine phantom id.") var phantom: String = "esp"
    @Option(help: "Spine phantom certificate serial (default: the phantom's first certificate).") var serial: String?
    @OptionGroup var phantomOptions: PhantomOptions
    @Option(help: "Apply this saved calibration (qct calibrate --save) instead of the same-scan one.") var calibration: String?
    @Flag(help: "Apply a saved calibration even when it does not match the series (recorded in the result).") var allowMismatch = false
    @Option(help: "Oldest saved calibration accepted, days.") var maxAge: Double = 7
    @Option(help: "Calibration phantom in the scan (same-scan calibration).") var calibrationPhantom: String = "mindways-model3-ct"
    @Option(help: "Its certificate serial (default: its first certificate).") var calibrationSerial: String?
    @Option(help: "Calibrate in slabs of this many mm along z and convert each vertebra with the calibration at its z.") var calibrationAlongZ: Double?
    @Option(help: "Mid-vertebral slab measured, mm (slices wholly inside it, off the endplates).") var slab: Double = VertebraSearchSettings().slabMM
    @Option(help: "Distance the trabecular ROI keeps from the inner surface of the cortical shell, mm.") var erosion: Double = VertebraSearchSettings().erosionMM

    func validate() throws {
        try reject(spine.problems + SettingProblem.collect([(maxAge >= 0, "max-age", "must not be negative (days)")]))
    }

    /// The options as the workflow takes them (the saved calibration is read in `measurement()`).
    var spine: SpineMeasurementOptions {
        var o = SpineMeasurementOptions()
        (o.phantom, o.serial, o.calibrationPhantom, o.calibrationSerial) = (phantom, serial, calibrationPhantom, calibrationSerial)
        (o.calibrationAlongZ, o.settings.slabMM, o.settings.erosionMM) = (calibrationAlongZ, slab, erosion)
        return o
    }

    /// The measurement these options describe: catalog loaded, spine phantom and certificate checked,
    /// a saved calibration read. Refused phantom files are printed; a failure is one line and exit 2.
    func measurement() throws -> SpineMeasurement {
        let catalog = try phantomOptions.load()
        return try Console.run {
            var o = spine
            if let calibration {
                o.source = .saved(try SavedCalibration(path: calibration, allowMismatch: allowMismatch, maximumAgeDays: maxAge,
                                                       needsAlongZ: calibrationAlongZ != nil))
            }
            return try SpineMeasurement(o, catalog: catalog)
        }
    }
}

/// Refuses the first setting out of range, named as its flag.
func reject(_ problems: [SettingProblem]) throws {
    if let p = problems.first { throw ValidationError("--\(p)") }
}

/// The database option shared by every qc command.
struct DatabaseOption: ParsableArguments {
    @Option(help: "QC database (default: $XDG_DATA_HOME/qct/qc.sqlite, else ~/.local/share/qct/qc.sqlite).") var db: String?

    /// Opens the database (QCStoreLocation); an unusable file gets one line and exit 2, and is left
    /// untouched; a database created here is announced.
    func open(readOnly: Bool = false) throws -> any QCHistoryStore {
        let (store, created) = try Console.run { try QCStoreLocation.open(db, readOnly: readOnly) }
        if created { printError("created new QC database \(store.location)") }
        return store
    }
}

/// Runs a database call; a store failure gets one line and exit 2 (other errors pass through).
func storeCall<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
    do { return try body() } catch let error as QCStoreError { try fail("error: \(error)") }
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
    func write(_ html: String, announce: Bool = true) throws {
        guard let pdf else { return }
        try OutputFile.write(pdf, announce: announce) { try PDFPrinter().print(html: html, to: pdf) }
    }
}

/// Options shared by precision and compare: what to read and where to write.
struct StudyOptions: ParsableArguments {
    @Argument(help: "Measurement files (qct measure --json / --save), or folders of them or of ESP series (measured here).")
    var inputs: [String]
    @Option(help: "Write each series measured here as JSON into this folder.") var saveMeasurements: String?
    @Option(help: "Write CSV to this file ('-': standard output).") var csv: String?
    @Option(help: "Write JSON to this file ('-': standard output).") var json: String?
    @Option(help: "Write a self-contained HTML report (inline SVG charts) to this file.") var html: String?
    @OptionGroup var print: PrintOptions
    @OptionGroup var options: MeasureOptions

    /// The measurement reports from files, folders of files, and series (measured on the way; the
    /// measurement is set up only when a series needs it).
    func collect() throws -> [StudyInput] {
        var made: SpineMeasurement?
        return try Console.run {
            try StudyCollection.collect(inputs, saveTo: saveMeasurements, measurement: {
                if made == nil { made = try options.measurement() }
                return made!
            }, report: Console.report) { path, text in try OutputFile.write(text, to: path, announce: false) }
        }
    }

    /// Writes the tables (standard output unless JSON or CSV goes there), JSON, CSV, HTML and PDF.
    func write(tables: @autoclosure () -> String, json: () throws -> String, csv: @autoclosure () -> String,
               html: (PrintPage.Paper, String?) -> String) throws {
        if self.json != "-" && self.csv != "-" { Swift.print(tables()) }
        if let path = self.json { try OutputFile.write(try json(), to: path) }
        if let path = self.csv { try OutputFile.write(csv(), to: path) }
        guard self.html != nil || print.pdf != nil else { return }
        let page = html(print.paper.page, print.institution)
        if let path = self.html { try OutputFile.write(page, to: path) }
        try print.write(page)
    }
}
