import Foundation
import QCTCore

/// One scanner's precision study kept in the QC history: when its scans were taken, its pooled
/// figures (domain reference §5) and the whole study (JSON, as `qct precision --json` writes a
/// scanner's part). The same scans studied again are stored once; a study on other scans is a
/// new version, so the history shows how a scanner's precision changed (after a service, say).
public struct QCPrecisionRecord: Codable, Sendable {
    public var id: Int64?
    public var scanner: String
    public var identity: ScannerIdentity
    /// First and last acquisition of the scans (ISO 8601).
    public var from: String
    public var to: String
    public var storedAt: String?
    public var scans: Int
    public var phantom: String
    public var certificates: [String]
    public var analysisVersion: String
    /// Unit of the readings, the SD and the LSC.
    public var unit: String
    /// RMS-SD pooled over the vertebrae, and the overall CV% and LSC (95 %).
    public var rmsSD: Double
    public var overallCVPercent: Double
    public var lsc: Double
    /// The sorted Series Instance UIDs joined: what makes two studies the same.
    public var seriesKey: String
    /// The scanner's study, JSON.
    public var json: String

    public init(scanner: String, identity: ScannerIdentity, from: String, to: String, scans: Int, phantom: String, certificates: [String],
                analysisVersion: String, unit: String, rmsSD: Double, overallCVPercent: Double, lsc: Double, series: [String], json: String) {
        self.scanner = scanner
        self.identity = identity
        self.from = from
        self.to = to
        self.scans = scans
        self.phantom = phantom
        self.certificates = certificates
        self.analysisVersion = analysisVersion
        self.unit = unit
        self.rmsSD = rmsSD
        self.overallCVPercent = overallCVPercent
        self.lsc = lsc
        seriesKey = series.sorted().joined(separator: " ")
        self.json = json
    }
}
