import Foundation
import QCTCore
import QCTReport

/// A precision study, or a comparison of scanners, from collected measurements: the inputs left
/// out are reported, and too little to analyse is a failure that says what is missing.
public enum StudyAnalysis {
    /// Per scanner and vertebra n, mean ± SD, CV, pooled precision, LSC and accuracy.
    public static func precision(_ inputs: [StudyInput], report: DiagnosticSink) throws(WorkflowFailure) -> PrecisionStudy {
        let study = grouped(inputs, report: report)
        guard !study.scanners.isEmpty else { throw WorkflowFailure("no complete ESP measurement among the inputs") }
        return study
    }

    /// The precision study and the comparison of its scanners, corrected to nominal or to `reference`.
    public static func comparison(_ inputs: [StudyInput], reference: String?,
                                  report: DiagnosticSink) throws(WorkflowFailure) -> (PrecisionStudy, ScannerComparison) {
        let study = grouped(inputs, report: report)
        guard study.scanners.count >= 2 else {
            throw WorkflowFailure("a comparison needs complete ESP measurements from at least two scanners; found \(study.scanners.map(\.scanner))")
        }
        if let reference, !study.scanners.contains(where: { $0.scanner == reference }) {
            throw WorkflowFailure("--reference \(reference): no such scanner; found \(study.scanners.map(\.scanner).joined(separator: ", "))")
        }
        return (study, ScannerComparison(study, reference: reference))
    }

    /// The inputs grouped by scanner; each one left out goes to `report`.
    static func grouped(_ inputs: [StudyInput], report: DiagnosticSink) -> PrecisionStudy {
        let study = PrecisionStudy(inputs, analysisVersion: QCTVersion.string)
        for e in study.excluded { report(Diagnostic(.leftOut, path: e.source, e.reason)) }
        return study
    }

    /// The HTML report, printed on `paper` under `institution` (default: the scans' Institution Name).
    public static func html(_ study: PrecisionStudy, comparison: ScannerComparison?, paper: PrintPage.Paper, institution: String?,
                            generated: String) -> String {
        let page = HTMLReport.defaultPage(study, generated: generated, paper: paper, institution: institution)
        return HTMLReport.render(study, comparison: comparison, generated: generated, page: page)
    }
}
