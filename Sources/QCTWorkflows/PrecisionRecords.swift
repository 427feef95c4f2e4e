import Foundation
import QCTQualityControl
import QCTReport

extension PrecisionStudy {
    /// One scanner's part of a study, as the history keeps it.
    struct ScannerPart: Encodable {
        var kind = "qct-precision-study"
        var schemaVersion = 1
        var analysisVersion: String
        var unit: String
        var nominalUnit: String
        var phantom: String
        var certificates: [String]
        var scanner: ScannerPrecision
    }

    /// Each scanner's study as a history record; a scanner with fewer than 2 scans has no SD and is
    /// left out, named in `skipped`.
    public func records() -> (records: [QCPrecisionRecord], skipped: [String]) {
        var out: [QCPrecisionRecord] = [], skipped: [String] = []
        for s in scanners {
            let p = s.precision
            guard s.scans >= 2, p.rmsSD.isFinite, p.overallCVPercent.isFinite, p.lsc.isFinite,
                  let json = try? jsonString(ScannerPart(analysisVersion: analysisVersion, unit: unit, nominalUnit: nominalUnit, phantom: phantom,
                                                         certificates: certificates, scanner: s)) else {
                skipped.append("\(s.scanner): \(s.scans) scan(s); a precision study needs at least 2")
                continue
            }
            out.append(QCPrecisionRecord(scanner: s.scanner, identity: s.identity, from: s.acquired.first ?? "", to: s.acquired.last ?? "",
                                         scans: s.scans, phantom: phantom, certificates: certificates, analysisVersion: analysisVersion,
                                         unit: unit, rmsSD: p.rmsSD, overallCVPercent: p.overallCVPercent, lsc: p.lsc, series: s.series, json: json))
        }
        return (out, skipped)
    }
}
