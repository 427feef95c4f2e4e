import Foundation
import QCTCore
import QCTPhantoms

/// `qct calibrate` output: the result plus the provenance it was computed from.
public struct CalibrationReport: Codable, Sendable {
    public var schemaVersion = 1
    public var analysisVersion = QCTVersion.string
    public var phantom: String
    public var certificate: String?
    public var method: PhantomDefinition.CalibrationMethod
    public var rois: String
    public var identity: String
    public var rods: [CalibratedRod]
    public var fit: CalibrationFit?
    public var alongZ: [SliceCalibration]?
    /// First and last slice holding the rods used (the module found), 0-based.
    public var slices: [Int]?
    /// Why no phantom was found; then `rods` is empty and `fit` null.
    public var notFound: String?
    public var checks: [CalibrationCheck]
    public var status: CalibrationCheck.Status
    public var seriesInstanceUID: String
    public var files: Int
    public var scanner: ScannerIdentity
    public var protocolUsed: AcquisitionProtocol

    public init(result r: CalibrationResult, series: SeriesIdentity) {
        phantom = r.phantom
        certificate = r.certificate
        method = r.method
        rois = r.rois
        identity = r.identity
        rods = r.rods
        fit = r.fit
        alongZ = r.alongZ
        slices = r.slices
        notFound = r.notFound
        checks = r.checks
        status = r.status
        seriesInstanceUID = series.seriesInstanceUID
        files = series.files
        scanner = series.scanner
        protocolUsed = series.acquisition
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion, analysisVersion, phantom, certificate, method, rois, identity, rods, fit, alongZ, slices, notFound, checks, status
        case seriesInstanceUID, files, scanner
        case protocolUsed = "protocol"
    }

    /// As synthesised, except that a fit that could not be computed is written as null (never left out).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(analysisVersion, forKey: .analysisVersion)
        try c.encode(phantom, forKey: .phantom)
        try c.encodeIfPresent(certificate, forKey: .certificate)
        try c.encode(method, forKey: .method)
        try c.encode(rois, forKey: .rois)
        try c.encode(identity, forKey: .identity)
        try c.encode(rods, forKey: .rods)
        try c.encode(fit, forKey: .fit)
        try c.encodeIfPresent(alongZ, forKey: .alongZ)
        try c.encodeIfPresent(slices, forKey: .slices)
        try c.encodeIfPresent(notFound, forKey: .notFound)
        try c.encode(checks, forKey: .checks)
        try c.encode(status, forKey: .status)
        try c.encode(seriesInstanceUID, forKey: .seriesInstanceUID)
        try c.encode(files, forKey: .files)
        try c.encode(scanner, forKey: .scanner)
        try c.encode(protocolUsed, forKey: .protocolUsed)
    }

    public func jsonString() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Writes the calibration and what it is valid for (asynchronous use).
    public func save(to path: String) throws {
        try Data(try jsonString().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
