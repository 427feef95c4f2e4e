import ArgumentParser
import Foundation
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

    /// Writes the HTML report (--html) and prints it to PDF (--pdf).
    func writeReports(_ html: String) throws {
        if let path = self.html { try StudyInputs.write(html, to: path) }
        try print.write(html)
    }
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
        // The measurement (catalog, phantom, saved calibration) is set up only when a series needs it.
        let lazy = LazyMeasurement(options: options)
        return try Console.run {
            try StudyCollection.collect(paths, saveTo: saveTo, measurement: { try lazy.get() }, report: Console.report) { path, text in
                try OutputFile.write(text, to: path, announce: false)
            }
        }
    }

    /// Writes `text` to a file (announced as `wrote FILE`; a failure is one line and exit 2), or to standard output for "-".
    static func write(_ text: String, to path: String, announce: Bool = true) throws {
        if path == "-" { print(text, terminator: text.hasSuffix("\n") ? "" : "\n"); return }
        try OutputFile.write(text, to: path, announce: announce)
    }
}

/// The spine measurement, made the first time it is needed.
final class LazyMeasurement {
    let options: MeasureOptions
    var made: SpineMeasurement?
    init(options: MeasureOptions) { self.options = options }
    func get() throws -> SpineMeasurement {
        if let made { return made }
        let m = try options.measurement()
        made = m
        return m
    }
}
