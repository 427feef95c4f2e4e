import ArgumentParser
import Foundation
import QCTCore
import QCTReport
import QCTWorkflows

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
        let result = try Console.run { try StudyAnalysis.precision(inputs, report: Console.report) }
        if study.json != "-" && study.csv != "-" { print(StudyText.precision(result)) }
        if let path = study.json { try StudyInputs.write(try jsonString(result), to: path) }
        if let path = study.csv { try StudyInputs.write(StudyText.precisionCSV(result), to: path) }
        try study.writeReports(StudyAnalysis.html(result, comparison: nil, paper: study.print.paper.page, institution: study.print.institution, generated: isoNow()))
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
        let (precision, comparison) = try Console.run { try StudyAnalysis.comparison(inputs, reference: reference, report: Console.report) }
        if study.json != "-" && study.csv != "-" {
            print(StudyText.precision(precision))
            print("")
            print(StudyText.comparison(comparison))
        }
        if let path = study.json { try StudyInputs.write(try jsonString(comparison), to: path) }
        if let path = study.csv { try StudyInputs.write(StudyText.comparisonCSV(comparison), to: path) }
        try study.writeReports(StudyAnalysis.html(precision, comparison: comparison, paper: study.print.paper.page,
                                                  institution: study.print.institution, generated: isoNow()))
    }
}

/// Now, ISO 8601 UTC.
func isoNow() -> String {
    ISO8601DateFormatter().string(from: Date())
}
