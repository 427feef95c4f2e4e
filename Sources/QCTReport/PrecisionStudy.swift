import Foundation
import QCTCore
import QCTStatistics

/// One scan's readings as a precision study uses them.
public struct StudyInput: Sendable {
    /// Where it came from (a measurement file or a series path).
    public var source: String
    public var report: MeasurementReport
    public init(source: String, report: MeasurementReport) {
        self.source = source
        self.report = report
    }
}

/// A scanner's precision over repeated ESP scans.
public struct ScannerPrecision: Codable, Sendable {
    /// Station name (else serial, model): the row label.
    public var scanner: String
    public var identity: ScannerIdentity
    public var scans: Int
    public var precision: PrecisionSummary
    /// Acquisition dates, first and last (ISO 8601).
    public var acquired: [String]
    /// Series Instance UIDs used.
    public var series: [String]
    /// Calibrations used ("same scan …" or saved files).
    public var calibrations: [String]
}

/// Scans left out of a study, and why.
public struct ExcludedScan: Codable, Hashable, Sendable {
    public var source: String
    public var reason: String
}

/// A precision study: per scanner, per vertebra n, mean ± SD, CV%, and the
/// pooled figures (domain reference §5); accuracy against the certificate.
public struct PrecisionStudy: Codable, Sendable {
    public var schemaVersion = 1
    public var kind = "qct-precision-study"
    public var analysisVersion: String
    /// Unit of every reading, SD, bias and LSC.
    public var unit = "mg K2HPO4/cm3"
    /// Unit of the nominal (certificate) values.
    public var nominalUnit = "mg HA/cm3"
    public var phantom: String
    public var certificates: [String]
    public var scanners: [ScannerPrecision]
    public var excluded: [ExcludedScan]

    /// Groups scans by scanner (manufacturer, model, serial, station) and
    /// computes each group's precision. A scan missing any vertebra's BMD is
    /// left out, with the reason.
    public init(_ inputs: [StudyInput], analysisVersion: String) {
        self.analysisVersion = analysisVersion
        phantom = inputs.first?.report.phantom ?? "esp"
        certificates = Array(Set(inputs.compactMap { $0.report.certificate })).sorted()
        var excluded: [ExcludedScan] = []
        var groups: [[String]: [StudyInput]] = [:]
        var order: [[String]] = []
        for input in inputs {
            let r = input.report
            if let missing = r.vertebrae.first(where: { $0.bmd == nil }) {
                excluded.append(ExcludedScan(source: input.source,
                                             reason: "\(missing.name): \(missing.missing ?? (r.calibration == nil ? "no calibration" : "no BMD"))"))
                continue
            }
            let s = r.scanner
            let key = [s.manufacturer, s.model, s.deviceSerialNumber, s.stationName].map { $0 ?? "" }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(input)
        }
        // Two groups with the same label are told apart by serial.
        let labels = order.map { scannerLabel(groups[$0]![0].report.scanner) }
        scanners = order.enumerated().map { n, key in
            let members = groups[key]!
            var label = labels[n]
            if labels.filter({ $0 == label }).count > 1 { label += " (\(key[2].isEmpty ? "serial ?" : key[2]))" }
            let names = members[0].report.vertebrae.map(\.name)
            let sites = names.map { name -> SiteStatistics in
                let readings = members.compactMap { $0.report.vertebrae.first { $0.name == name }?.bmd }
                let nominal = members[0].report.vertebrae.first { $0.name == name }?.nominal
                return SiteStatistics(name: name, nominal: nominal, readings: readings)
            }
            let dates = members.compactMap { $0.report.acquired }.sorted()
            return ScannerPrecision(scanner: label, identity: members[0].report.scanner, scans: members.count,
                                    precision: PrecisionSummary(sites: sites),
                                    acquired: dates.isEmpty ? [] : [dates.first!, dates.last!],
                                    series: members.map { $0.report.series.seriesInstanceUID },
                                    calibrations: Array(Set(members.map { m in
                                        m.report.calibration.map { c in c.source == .saved ? "saved \(c.file ?? "")" : "same scan \(c.phantom) \(c.certificate ?? "")" } ?? "none"
                                    })).sorted())
        }
        self.excluded = excluded
    }
}
