import ArgumentParser
import Foundation
import QCTCore
import QCTReport

struct Precision: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Precision study: per scanner and vertebra n, mean ± SD, CV%, pooled precision, LSC and accuracy.",
        discussion: """
            Scans are grouped by scanner (manufacturer, model, serial, station) automatically. A scan missing a vertebra's \
            reading is left out and named. Exit status: 0 a table was produced; 2 nothing usable.
            """)

    @OptionGroup var study: StudyOptions
    @OptionGroup var options: MeasureOptions

    func run() throws {
        let inputs = try StudyInputs.collect(study.inputs, options: options, saveTo: study.saveMeasurements)
        let result = PrecisionStudy(inputs, analysisVersion: QCTVersion.string)
        for e in result.excluded { printError("left out: \(e.source): \(e.reason)") }
        guard !result.scanners.isEmpty else {
            printError("no complete ESP measurement among the inputs")
            throw ExitCode(ReadExit.nothingUsable)
        }
        if study.json != "-" && study.csv != "-" { print(StudyText.precision(result)) }
        if let path = study.json { try StudyInputs.write(try jsonString(result), to: path) }
        if let path = study.csv { try StudyInputs.write(StudyText.precisionCSV(result), to: path) }
        let page = HTMLReport.defaultPage(result, generated: isoNow(), paper: study.print.paper.page, institution: study.print.institution)
        let html = HTMLReport.render(result, comparison: nil, generated: page.generated, page: page)
        if let path = study.html { try StudyInputs.write(html, to: path) }
        try study.print.write(html)
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare scanners on the same ESP: regressions against nominal, correction equations, Bland–Altman, ANOVA.",
        discussion: "Exit status: 0 a comparison was produced; 2 fewer than two scanners with complete measurements.")

    @OptionGroup var study: StudyOptions
    @OptionGroup var options: MeasureOptions

    @Option(help: "Correct every scanner to this one (its station name, as in the tables) instead of to nominal.")
    var reference: String?

    func run() throws {
        let inputs = try StudyInputs.collect(study.inputs, options: options, saveTo: study.saveMeasurements)
        let precision = PrecisionStudy(inputs, analysisVersion: QCTVersion.string)
        for e in precision.excluded { printError("left out: \(e.source): \(e.reason)") }
        guard precision.scanners.count >= 2 else {
            printError("a comparison needs complete ESP measurements from at least two scanners; found \(precision.scanners.map(\.scanner))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        if let reference, !precision.scanners.contains(where: { $0.scanner == reference }) {
            printError("--reference \(reference): no such scanner; found \(precision.scanners.map(\.scanner).joined(separator: ", "))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        let comparison = ScannerComparison(precision, reference: reference)
        if study.json != "-" && study.csv != "-" {
            print(StudyText.precision(precision))
            print("")
            print(StudyText.comparison(comparison))
        }
        if let path = study.json { try StudyInputs.write(try jsonString(comparison), to: path) }
        if let path = study.csv { try StudyInputs.write(StudyText.comparisonCSV(comparison), to: path) }
        let page = HTMLReport.defaultPage(precision, generated: isoNow(), paper: study.print.paper.page, institution: study.print.institution)
        let html = HTMLReport.render(precision, comparison: comparison, generated: page.generated, page: page)
        if let path = study.html { try StudyInputs.write(html, to: path) }
        try study.print.write(html)
    }
}

/// Now, ISO 8601 UTC.
func isoNow() -> String {
    ISO8601DateFormatter().string(from: Date())
}
