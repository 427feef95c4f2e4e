import Foundation
import QCTCalibration
import QCTCore
import QCTPhantoms

/// The calibration a measurement used, and where it came from.
public struct CalibrationUsed: Codable, Sendable {
    public enum Source: String, Codable, Sendable {
        /// The calibration phantom in the same scan.
        case sameScan = "same scan"
        /// A calibration saved earlier (asynchronous).
        case saved
    }

    public var source: Source
    /// The saved calibration file, when `source` is "saved".
    public var file: String?
    public var phantom: String
    public var certificate: String?
    public var method: PhantomDefinition.CalibrationMethod
    public var fit: CalibrationFit?
    /// Per-slab fits along z, when the calibration has them.
    public var alongZ: [SliceCalibration]?
    /// pass / warn / fail of the calibration's own checks.
    public var status: CalibrationCheck.Status
    public var checks: [CalibrationCheck]
    public var rods: [CalibratedRod]
    /// The series the calibration was measured on, and when.
    public var seriesInstanceUID: String
    public var acquired: String?
    /// Why a saved calibration did not match this series (applied anyway with --allow-mismatch).
    public var mismatches: [String]
    public var allowMismatch: Bool

    public init(source: Source, file: String?, report c: CalibrationReport, mismatches: [String] = [], allowMismatch: Bool = false) {
        self.source = source
        self.file = file
        phantom = c.phantom
        certificate = c.certificate
        method = c.method
        fit = c.fit
        alongZ = c.alongZ
        status = c.status
        checks = c.checks
        rods = c.rods
        seriesInstanceUID = c.seriesInstanceUID
        acquired = DicomDateTime.iso(c.protocolUsed.acquisitionDateTime)
        self.mismatches = mismatches
        self.allowMismatch = allowMismatch
    }
}

/// The series a result was computed from.
public struct SeriesProvenance: Codable, Sendable {
    public var path: String
    public var seriesInstanceUID: String
    public var files: Int
    public var slices: Int
    /// mm.
    public var pixelSpacingMM: [Double]
    public var sliceSpacingMM: Double
    public var sliceThicknessMM: Double?

    public init(path: String, series: SeriesIdentity) {
        self.path = path
        seriesInstanceUID = series.seriesInstanceUID
        files = series.files
        slices = series.geometry.slices
        pixelSpacingMM = [series.geometry.rowSpacing, series.geometry.columnSpacing]
        sliceSpacingMM = series.geometry.sliceSpacing
        sliceThicknessMM = series.sliceThicknessMM
    }
}

/// `qct measure` output: the ESP vertebrae in mg K2HPO4/cm³, with the
/// calibration, checks and provenance (phantom certificate, analysis
/// version, series) that produced them.
public struct MeasurementReport: Codable, Sendable {
    public var schemaVersion = 1
    public var kind = "qct-spine-measurement"
    public var analysisVersion = QCTVersion.string
    public var phantom: String
    /// The spine phantom's certificate serial and source.
    public var certificate: String?
    /// Unit of `bmd`.
    public var unit = "mg K2HPO4/cm3"
    /// Unit of `nominal`.
    public var nominalUnit = "mg HA/cm3"
    public var vertebrae: [VertebraReading]
    public var calibration: CalibrationUsed?
    public var checks: [CalibrationCheck]
    public var status: CalibrationCheck.Status
    public var scanner: ScannerIdentity
    public var protocolUsed: AcquisitionProtocol
    /// Acquisition date and time, ISO 8601 local time.
    public var acquired: String?
    public var series: SeriesProvenance
    public var settings: VertebraSearchSettings
    /// Background (body material) HU around the vertebrae.
    public var backgroundHU: Double

    enum CodingKeys: String, CodingKey {
        case schemaVersion, kind, analysisVersion, phantom, certificate, unit, nominalUnit, vertebrae, calibration, checks, status
        case scanner, acquired, series, settings, backgroundHU
        case protocolUsed = "protocol"
    }

    public init(phantom: String, certificate: String?, result: SpineMeasurer.Result, calibration: CalibrationUsed?,
                extraChecks: [CalibrationCheck], series: SeriesIdentity, path: String, settings: VertebraSearchSettings) {
        self.phantom = phantom
        self.certificate = certificate
        vertebrae = result.vertebrae
        self.calibration = calibration
        checks = extraChecks + result.checks
        status = checks.map(\.status).max() ?? .pass
        scanner = series.scanner
        protocolUsed = series.acquisition
        acquired = DicomDateTime.iso(series.acquisition.acquisitionDateTime)
        self.series = SeriesProvenance(path: path, series: series)
        self.settings = settings
        backgroundHU = result.backgroundHU
    }

    /// A readable summary.
    public func text() -> String {
        var lines = ["\(series.path): \(phantom) (certificate \(certificate ?? "-")), scanner \(scannerLabel(scanner)), acquired \(acquired ?? "-")"]
        if let c = calibration {
            var line = "calibration: \(c.source.rawValue)\(c.file.map { " (\($0))" } ?? "") \(c.phantom) \(c.method.rawValue), status \(c.status.rawValue)"
            if let f = c.fit { line += String(format: "; BMD = %.6f × HU %+.4f mg/cm³", f.slope, f.intercept) }
            lines.append(line)
            for m in c.mismatches { lines.append("  mismatch (allowed): \(m)") }
        }
        var rows = [["vertebra", "nominal mg HA/cm³", "BMD mg K2HPO4/cm³", "mean HU", "median HU", "SD HU", "voxels", "slices", "ROI (mask, per slice)", "cortex check"]]
        for v in vertebrae {
            if let missing = v.missing {
                rows.append([v.name, num(v.nominal), "—", "—", "—", "—", "0", "—", missing, "—"])
                continue
            }
            rows.append([v.name, num(v.nominal), v.bmd.map { String(format: "%.2f", $0) } ?? "—",
                         v.meanHU.map { String(format: "%.2f", $0) } ?? "—", v.medianHU.map { String(format: "%.1f", $0) } ?? "—",
                         v.sdHU.map { String(format: "%.2f", $0) } ?? "—", "\(v.voxels)",
                         v.sliceRange.count == 2 ? "\(v.sliceRange[0])–\(v.sliceRange[1])" : "—",
                         v.roi.map { String(format: "%.0f mm², %.0f mm in", $0.areaMM2, $0.erosionMM) } ?? "—",
                         v.homogeneity.map { $0.pass ? "pass" : "FAIL" } ?? "—"])
        }
        lines += table(rows)
        for c in checks { lines.append("\(c.status.rawValue.uppercased().padding(toLength: 4, withPad: " ", startingAt: 0))  \(c.name): \(c.detail)") }
        lines.append("status: \(status.rawValue)")
        return lines.joined(separator: "\n")
    }
}

/// Station name, else serial, else model: how a scanner is named in reports.
public func scannerLabel(_ s: ScannerIdentity) -> String { s.label }
