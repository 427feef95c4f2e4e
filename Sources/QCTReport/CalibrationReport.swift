import Foundation
import QCTCalibration
import QCTCore

/// `qct calibrate` output: the result plus the provenance it was computed from.
public struct CalibrationReport: Codable, Sendable {
    public var schemaVersion = 1
    public var analysisVersion = QCTVersion.string
    public var phantom: String
    public var certificate: String?
    public var method: String
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
    public var status: String
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
        status = r.status.rawValue
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

    public func text() -> String {
        var lines = ["phantom \(phantom)  certificate \(certificate ?? "-")  method \(method)  ROIs \(rois)",
                     "rod identity: \(identity)"]
        var rows = [["rod", "certified / nominal mg/cm³", "center x,y,z mm", "mean HU", "median HU", "SD HU", "voxels", "slices", "residual HU", "located"]]
        for r in rods {
            rows.append([r.name, r.nominal.sorted { $0.key < $1.key }.map { "\($0.key) \(num($0.value))" }.joined(separator: ", "),
                         r.centerMM.map { String(format: "%.1f", $0) }.joined(separator: ","),
                         String(format: "%.2f", r.meanHU), String(format: "%.1f", r.medianHU), String(format: "%.2f", r.sdHU),
                         "\(r.voxels)", "\(r.sliceRange[0])–\(r.sliceRange[1])",
                         r.residualHU.map { String(format: "%+.2f", $0) } ?? "-", r.located])
        }
        lines += table(rows)
        if let f = fit {
            if let s = f.sigmaCT, let b = f.betaCT, let sr = f.sigmaRef, let br = f.betaRef {
                lines.append(String(format: "fit: σ_ref %.6f, β_ref %.3f HU; σ_CT %.6f HU per mg/cm³, β_CT %.3f HU; r² %.6f, SEE %.2f HU", sr, br, s, b, f.r2, f.see))
            } else {
                lines.append(String(format: "fit: r² %.6f, SEE %.3f mg/cm³", f.r2, f.see))
            }
            lines.append(String(format: "BMD = %.6f mg/cm³ per HU × HU %+.4f mg/cm³ (slope SE %.6f, intercept SE %.4f)",
                                f.slope, f.intercept, f.slopeStandardError, f.interceptStandardError))
        }
        if let slabs = alongZ, !slabs.isEmpty {
            var rows = [["slices", "z mm", "slope mg/cm³ per HU", "intercept mg/cm³", "σ_CT HU per mg/cm³", "β_CT HU", "r²"]]
            for s in slabs {
                rows.append(["\(s.slices[0])–\(s.slices[1])", String(format: "%.1f", s.zMM), String(format: "%.6f", s.slope),
                             String(format: "%+.4f", s.intercept), s.sigmaCT.map { String(format: "%.6f", $0) } ?? "-",
                             s.betaCT.map { String(format: "%.3f", $0) } ?? "-", String(format: "%.6f", s.r2)])
            }
            lines.append("calibration along z:")
            lines += table(rows)
        }
        for c in checks { lines.append("\(c.status.rawValue.uppercased().padding(toLength: 4, withPad: " ", startingAt: 0))  \(c.name): \(c.detail)") }
        lines.append("status: \(status)")
        return lines.joined(separator: "\n")
    }
}
