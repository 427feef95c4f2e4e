import Foundation
import QCTCalibration
import QCTCore

/// A value formatted, or "—" when it is not a finite number (an empty ROI).
func known(_ format: String, _ v: Double) -> String { v.isFinite ? String(format: format, v) : "—" }

extension CalibrationReport {
    /// The calibration as text: rods, fit, fits along z, checks and status.
    public func text() -> String {
        var lines = ["phantom \(phantom)  certificate \(certificate ?? "-")  method \(method.rawValue)  ROIs \(rois)",
                     "rod identity: \(identity)"]
        var rows = [["rod", "certified / nominal mg/cm³", "center x,y,z mm", "mean HU", "median HU", "SD HU", "voxels", "slices", "residual HU", "located"]]
        for r in rods {
            rows.append([r.name, r.nominal.sorted { $0.key < $1.key }.map { "\($0.key) \(num($0.value))" }.joined(separator: ", "),
                         r.centerMM.map { String(format: "%.1f", $0) }.joined(separator: ","),
                         known("%.2f", r.meanHU), known("%.1f", r.medianHU), known("%.2f", r.sdHU),
                         "\(r.voxels)", "\(r.sliceRange[0])–\(r.sliceRange[1])",
                         r.residualHU.map { String(format: "%+.2f", $0) } ?? "-", r.located.rawValue])
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
        lines.append("status: \(status.rawValue)")
        return lines.joined(separator: "\n")
    }
}
