import Foundation
import QCTPhantoms
import QCTStatistics

/// One rod as a fit sees it: its name, certified (or nominal) values and measured HU.
struct FitPoint: Sendable {
    var name: String
    var nominal: [String: Double]
    var hu: Double
    /// Median HU, for the CT-number check of plugs.
    var medianHU: Double
}

/// A fit and its QC gates, computed the same way when rods are identified
/// and when the final calibration is judged (domain reference §3, "fit
/// quality gates seen in practice"; bands per phantom in its file).
struct FitJudgement: Sendable {
    var fit: CalibrationFit?
    /// Residual per point in its own space (HU − water for Mindways, HU otherwise), input order.
    var residuals: [Double?]
    var checks: [CalibrationCheck]
    /// Worst status of the checks.
    var status: CalibrationCheck.Status { checks.map(\.status).max() ?? .pass }
    /// Standard error of the estimate in HU (0 for two points), for ranking candidate sets.
    var seeHU: Double

    static func judge(_ points: [FitPoint], phantom: PhantomDefinition) -> FitJudgement {
        let bands = phantom.effectiveGates
        switch phantom.calibration {
        case .mindwaysTwoComponent:
            let rods = points.map { MindwaysCalibration.Rod(name: $0.name, k2hpo4: $0.nominal["K2HPO4"] ?? .nan,
                                                              water: $0.nominal["water"] ?? .nan, hu: $0.hu) }
            guard let cal = MindwaysCalibration(rods: rods), cal.sigmaCT != 0, cal.fit.slope.isFinite, cal.fit.intercept.isFinite else {
                return degenerate(points, "no line through the rods: fewer than two rods with distinct K2HPO4 values")
            }
            var checks = quality(cal.fit, points: points)
            let broken = rodOrder(points)
            checks.append(CalibrationCheck(name: "rod order", status: broken.isEmpty ? .pass : .warn,
                                           detail: broken.isEmpty ? "HU − water rises with K2HPO4 across all rods"
                                               : "HU − water does not rise with K2HPO4 between rods \(broken.joined(separator: ", "))"))
            checks.append(slopeCheck(cal.sigmaCT, bands, String(format: "σ_CT = %.4f HU per mg/cm³", cal.sigmaCT), unit: "HU per mg/cm³"))
            checks.append(interceptCheck(cal.betaCT, bands, String(format: "β_CT = %.2f HU", cal.betaCT), unit: "HU"))
            let fit = CalibrationFit(slope: cal.slope, intercept: cal.intercept, sigmaRef: cal.sigmaRef, betaRef: cal.betaRef,
                                     sigmaCT: cal.sigmaCT, betaCT: cal.betaCT, r2: cal.fit.r2, see: cal.fit.see,
                                     slopeStandardError: cal.fit.slopeStandardError, interceptStandardError: cal.fit.interceptStandardError)
            return FitJudgement(fit: fit, residuals: cal.fit.residuals.map { $0 }, checks: checks, seeHU: cal.fit.see)
        case .linear:
            let key = phantom.certificateQuantities.first ?? "nominal"
            guard let line = LinearFit(x: points.map(\.hu), y: points.map { $0.nominal[key] ?? .nan }),
                  line.slope != 0, line.slope.isFinite, line.intercept.isFinite else {
                return degenerate(points, "no line through the rods: fewer than two rods with distinct HU")
            }
            // Residuals reported in HU: (ρ_fit − ρ) / m.
            let residuals = line.residuals.map { -$0 / line.slope }
            var checks = quality(line, points: points, residualsHU: residuals)
            checks.append(slopeCheck(line.slope, bands, String(format: "slope %.5f mg/cm³ per HU", line.slope), unit: "mg/cm³ per HU"))
            checks.append(interceptCheck(line.intercept, bands, String(format: "intercept %.2f mg/cm³ at 0 HU", line.intercept), unit: "mg/cm³"))
            let fit = CalibrationFit(slope: line.slope, intercept: line.intercept, sigmaRef: nil, betaRef: nil, sigmaCT: nil, betaCT: nil,
                                     r2: line.r2, see: line.see, slopeStandardError: line.slopeStandardError,
                                     interceptStandardError: line.interceptStandardError)
            return FitJudgement(fit: fit, residuals: residuals, checks: checks, seeHU: line.see / abs(line.slope))
        case .none:
            // CT-number plugs: measured HU against nominal HU should be a line of slope ≈ 1 (CT-number linearity).
            let nominal = points.map { $0.nominal.values.first ?? .nan }
            guard let line = LinearFit(x: nominal, y: points.map(\.hu)), line.slope.isFinite, line.intercept.isFinite else {
                return degenerate(points, "no line through the plugs: fewer than two plugs with distinct nominal HU")
            }
            var checks = quality(line, points: points, residualsHU: line.residuals, residualLimit: (40, 80), name: "CT-number linearity")
            checks.append(slopeCheck(line.slope, bands, String(format: "measured/nominal slope %.4f", line.slope), unit: "1"))
            checks.append(interceptCheck(line.intercept, bands, String(format: "offset %.1f HU at nominal 0", line.intercept), unit: "HU"))
            let off = points.filter { p in p.nominal.values.first.map { abs(p.medianHU - $0) > 40 } ?? false }
            checks.append(CalibrationCheck(name: "CT numbers", status: off.isEmpty ? .pass : .warn,
                                           detail: off.isEmpty ? "every plug within ±40 HU of nominal"
                                               : "beyond ±40 HU of nominal: " + off.map { p in
                                                   String(format: "%@ %.0f HU (nominal %.0f)", p.name, p.medianHU, p.nominal.values.first ?? 0)
                                               }.joined(separator: ", ")))
            return FitJudgement(fit: nil, residuals: line.residuals.map { $0 }, checks: checks, seeHU: line.see)
        }
    }

    static func degenerate(_ points: [FitPoint], _ why: String) -> FitJudgement {
        FitJudgement(fit: nil, residuals: points.map { _ in nil },
                     checks: [CalibrationCheck(name: "fit", status: .fail, detail: "cannot be computed: \(why)")], seeHU: .infinity)
    }

    /// R² and residuals; with two points neither can be checked, and the check says so.
    static func quality(_ fit: LinearFit, points: [FitPoint], residualsHU: [Double]? = nil, residualLimit: (Double, Double) = (10, 20),
                        name: String = "R²") -> [CalibrationCheck] {
        guard points.count >= 3 else {
            return [CalibrationCheck(name: "fit quality", status: .pass,
                                     detail: "not checked: \(points.count) rods leave no residual degrees of freedom (R² and residuals are 1 and 0 by construction); the slope and intercept bands still apply")]
        }
        let r2 = CalibrationCheck(name: name, status: fit.r2 >= 0.98 ? .pass : fit.r2 >= 0.90 ? .warn : .fail,
                                  detail: String(format: "R² = %.5f (warn < 0.98, fail < 0.90)", fit.r2), measured: fit.r2, limit: 0.98, unit: "1")
        let res = residualsHU ?? fit.residuals
        guard let worst = zip(points, res).max(by: { abs($0.1) < abs($1.1) }) else { return [r2] }
        let over = zip(points, res).filter { abs($0.1) > residualLimit.0 }.map(\.0.name)
        let w = abs(worst.1)
        let status: CalibrationCheck.Status = w <= residualLimit.0 ? .pass : w <= residualLimit.1 ? .warn : .fail
        let detail = String(format: "largest |residual| %.2f HU at %@ (limit %.0f HU)", w, worst.0.name, residualLimit.0)
            + (over.isEmpty ? "" : "; over the limit: \(over.joined(separator: ", "))")
        return [r2, CalibrationCheck(name: name == "R²" ? "rod residuals" : "plug residuals", status: status, detail: detail,
                                     measured: w, limit: residualLimit.0, unit: "HU")]
    }

    static func rodOrder(_ points: [FitPoint]) -> [String] {
        let pairs = points.map { ($0.nominal["K2HPO4"] ?? 0, $0.hu - ($0.nominal["water"] ?? 0), $0.name) }.sorted { $0.0 < $1.0 }
        return zip(pairs, pairs.dropFirst()).filter { $0.1.0 - $0.0.0 > 5 && $0.1.1 <= $0.0.1 }.map { "\($0.0.2)/\($0.1.2)" }
    }

    static func slopeCheck(_ value: Double, _ bands: FitBands, _ text: String, unit: String) -> CalibrationCheck {
        let ok = value >= bands.slope[0] && value <= bands.slope[1]
        let nearer = abs(value - bands.slope[0]) < abs(value - bands.slope[1]) ? bands.slope[0] : bands.slope[1]
        return CalibrationCheck(name: "slope band", status: ok ? .pass : .fail,
                                detail: text + String(format: " (plausible %g–%g)", bands.slope[0], bands.slope[1]),
                                measured: value, limit: nearer, unit: unit)
    }

    static func interceptCheck(_ value: Double, _ bands: FitBands, _ text: String, unit: String) -> CalibrationCheck {
        let a = abs(value)
        return CalibrationCheck(name: "intercept band", status: a <= bands.intercept[0] ? .pass : a <= bands.intercept[1] ? .warn : .fail,
                                detail: text + String(format: " (near 0: warn beyond ±%g, fail beyond ±%g %@)", bands.intercept[0], bands.intercept[1], unit),
                                measured: value, limit: bands.intercept[0], unit: unit)
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
        let sdLimit = max(2 * median, median + 15)
        var out = [CalibrationCheck(name: "rod SD", status: high.isEmpty ? .pass : .warn,
                                    detail: high.isEmpty ? String(format: "all rod SDs within 2× the median (%.1f HU)", median)
                                        : "SD far above the other rods (ROI off its rod?): " + high.map { String(format: "%@ %.1f HU", $0.name, $0.sdHU) }.joined(separator: ", "),
                                    measured: sds.last, limit: sdLimit, unit: "HU")]
        if !small.isEmpty {
            out.append(CalibrationCheck(name: "ROI size", status: .warn,
                                        detail: "fewer than 30 voxels: " + small.map { "\($0.name) (\($0.voxels))" }.joined(separator: ", ")))
        }
        return out
    }
}
