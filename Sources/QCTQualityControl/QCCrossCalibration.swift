import Foundation
import QCTCore

/// One scanner's cross-calibration equation, derived by a scanner comparison (`qct compare`) on
/// the same ESP: its readings against nominal or against a reference scanner,
/// reading = intercept + slope · target, so corrected = (reading − intercept) / slope
/// (domain reference §6). Kept per scanner and versioned: a new set of scans gives a new version;
/// the same scans again are not stored twice.
public struct QCCrossCalibration: Codable, Sendable, Equatable {
    public var id: Int64?
    /// 1, 2, … per scanner, in the order the equations were kept.
    public var version: Int?
    public var scanner: String
    public var identity: ScannerIdentity
    /// First and last acquisition of the scanner's scans (ISO 8601).
    public var from: String
    public var to: String
    public var storedAt: String?
    /// What the readings are corrected to: "nominal", or the reference scanner's name.
    public var target: String
    public var intercept: Double
    public var slope: Double
    /// Pearson r of the fit, and the vertebra means it was fitted to.
    public var r: Double
    public var points: Int
    /// Unit of the readings (mg K2HPO4/cm3) and of the target (mg HA/cm3 for nominal).
    public var unit: String
    public var targetUnit: String
    public var analysisVersion: String
    /// The sorted Series Instance UIDs of the comparison's scans, joined: what makes two the same.
    public var seriesKey: String

    public init(scanner: String, identity: ScannerIdentity, from: String, to: String, target: String, intercept: Double, slope: Double,
                r: Double, points: Int, unit: String, targetUnit: String, analysisVersion: String, series: [String]) {
        self.scanner = scanner
        self.identity = identity
        self.from = from
        self.to = to
        self.target = target
        self.intercept = intercept
        self.slope = slope
        self.r = r
        self.points = points
        self.unit = unit
        self.targetUnit = targetUnit
        self.analysisVersion = analysisVersion
        seriesKey = series.sorted().joined(separator: " ")
    }

    /// The equation as a physicist writes it.
    public var equation: String {
        String(format: "%@ = (%@ reading − %.4f) / %.5f", target == "nominal" ? "nominal" : "\(target) reading", scanner, intercept, slope)
    }
}
