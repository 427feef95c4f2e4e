import Foundation
import QCTStatistics

/// QC gates on a calibration (domain reference §3, "fit quality gates seen in practice").
enum FitGates {
    static func r2(_ r2: Double) -> CalibrationCheck {
        let detail = String(format: "R² = %.5f (warn < 0.98, fail < 0.90)", r2)
        return CalibrationCheck(name: "R²", status: r2 >= 0.98 ? .pass : r2 >= 0.90 ? .warn : .fail, detail: detail)
    }

    static func residuals(_ rods: [CalibratedRod]) -> CalibrationCheck {
        let worst = rods.compactMap { r in r.residualHU.map { (r.name, abs($0)) } }.max { $0.1 < $1.1 }
        guard let worst else { return CalibrationCheck(name: "rod residuals", status: .fail, detail: "no residuals") }
        let over = rods.filter { abs($0.residualHU ?? 0) > 10 }.map(\.name)
        let status: CalibrationCheck.Status = worst.1 <= 10 ? .pass : worst.1 <= 20 ? .warn : .fail
        let detail = String(format: "largest |residual| %.2f HU at rod %@ (limit 10 HU)", worst.1, worst.0)
            + (over.isEmpty ? "" : "; over the limit: \(over.joined(separator: ", "))")
        return CalibrationCheck(name: "rod residuals", status: status, detail: detail)
    }
}

enum MindwaysGates {
    static func checks(_ cal: MindwaysCalibration, rods: [CalibratedRod]) -> [CalibrationCheck] {
        var out = [FitGates.r2(cal.fit.r2), FitGates.residuals(rods)]
        // Rod order: HU − water must rise with K2HPO4.
        let pairs = rods.map { ($0.nominal["K2HPO4"] ?? 0, $0.meanHU - ($0.nominal["water"] ?? 0), $0.name) }.sorted { $0.0 < $1.0 }
        let broken = zip(pairs, pairs.dropFirst()).filter { $0.1.0 - $0.0.0 > 5 && $0.1.1 <= $0.0.1 }.map { "\($0.0.2)/\($0.1.2)" }
        out.append(CalibrationCheck(name: "rod order", status: broken.isEmpty ? .pass : .warn,
                                    detail: broken.isEmpty ? "HU − water rises with K2HPO4 across all rods"
                                        : "HU − water does not rise with K2HPO4 between rods \(broken.joined(separator: ", "))"))
        let s = cal.sigmaCT, b = cal.betaCT
        out.append(CalibrationCheck(name: "slope band", status: (0.5...3.5).contains(s) ? .pass : .fail,
                                    detail: String(format: "σ_CT = %.4f HU per mg/cm³ (plausible 0.5–3.5 for 40–150 keV beams)", s)))
        out.append(CalibrationCheck(name: "intercept band", status: abs(b) <= 30 ? .pass : abs(b) <= 60 ? .warn : .fail,
                                    detail: String(format: "β_CT = %.2f HU (near 0: warn beyond ±30, fail beyond ±60)", b)))
        return out
    }
}

enum LinearGates {
    static func checks(_ fit: LinearFit, rods: [CalibratedRod]) -> [CalibrationCheck] {
        [FitGates.r2(fit.r2), FitGates.residuals(rods),
         CalibrationCheck(name: "slope band", status: fit.slope > 0 ? .pass : .fail,
                          detail: String(format: "slope %.5f mg/cm³ per HU (must be positive)", fit.slope))]
    }
}

enum PlugGates {
    /// CT-number plugs against their nominal HU (±40 HU, pylinac's default tolerance).
    static func checks(_ rods: [CalibratedRod]) -> [CalibrationCheck] {
        let off = rods.filter { r in r.nominal.values.first.map { abs(r.medianHU - $0) > 40 } ?? false }
        return [CalibrationCheck(name: "CT numbers", status: off.isEmpty ? .pass : .warn,
                                 detail: off.isEmpty ? "every plug within ±40 HU of nominal"
                                     : "beyond ±40 HU of nominal: " + off.map { r in
                                         String(format: "%@ %.0f HU (nominal %.0f)", r.name, r.medianHU, r.nominal.values.first ?? 0)
                                     }.joined(separator: ", "))]
    }
}

enum CommonGates {
    /// An ROI that missed its rod has a high SD (domain reference §3).
    static func rodSD(_ rods: [CalibratedRod]) -> [CalibrationCheck] {
        let sds = rods.map(\.sdHU).sorted()
        guard !sds.isEmpty else { return [] }
        let median = sds[sds.count / 2]
        let high = rods.filter { $0.sdHU > max(2 * median, median + 15) }
        let small = rods.filter { $0.voxels < 30 }
        var out = [CalibrationCheck(name: "rod SD", status: high.isEmpty ? .pass : .warn,
                                    detail: high.isEmpty ? String(format: "all rod SDs within 2× the median (%.1f HU)", median)
                                        : "SD far above the other rods (ROI off its rod?): " + high.map { String(format: "%@ %.1f HU", $0.name, $0.sdHU) }.joined(separator: ", "))]
        if !small.isEmpty {
            out.append(CalibrationCheck(name: "ROI size", status: .warn,
                                        detail: "fewer than 30 voxels: " + small.map { "\($0.name) (\($0.voxels))" }.joined(separator: ", ")))
        }
        return out
    }
}
