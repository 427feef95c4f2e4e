import Foundation

extension SpineReport {
    /// The report as text for a terminal: calibration, each vertebra, the mean and category, follow-up.
    public func text() -> String {
        func f(_ v: Double?, _ digits: Int = 1) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "—" }
        var lines: [String] = []
        lines.append("\(path): spine trabecular BMD, acquired \(acquired ?? "-"), \(unit)")
        if let p = patient { lines.append("patient: \(p.id ?? "-") \(p.name ?? "") born \(p.birthDate ?? "-") sex \(p.sex ?? "-")") }
        lines.append("calibration: \(calibration.summary); BMD = \(String(format: "%.6f", calibration.slope)) × HU \(String(format: "%+.4f", calibration.intercept)) mg/cm³")
        if let ic = calibration.internalCalibration {
            lines.append(String(format: "  effective energy %.1f keV, R² %.5f, energy lever %.2f HU, tissues: ", ic.effectiveEnergyKeV, ic.r2, ic.energyLeverHU)
                         + ic.tissues.map { String(format: "%@ %.1f HU", $0.tissue, $0.meanHU) }.joined(separator: ", "))
            for r in ic.refused { lines.append("  not used: \(r.tissue): \(r.reason)") }
        }
        lines.append("vertebrae: \(naming)")
        let header = ["vertebra", "BMD", "mean HU", "median HU", "SD HU", "voxels", "ROI mm²", "z mm", "ribs", "note"]
        var rows = [header]
        for v in vertebrae {
            let r = v.reading
            rows.append([r.name ?? "?", f(v.bmd), f(r.meanHU), f(r.medianHU), f(r.sdHU), "\(r.voxels)", f(r.roiAreaMM2, 0), f(r.zMM),
                         r.ribBearing ? "yes" : "no", v.bmdMissing ?? (r.homogeneity?.pass == false ? "inhomogeneous: \(r.homogeneity?.reason ?? "")" : "")])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows { lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")) }
        if let s = summary {
            lines.append(String(format: "mean of %@: %.1f mg/cm³ — ACR category: %@ (%@)", s.vertebrae.joined(separator: "–"), s.meanBMD,
                                s.category.rawValue, s.categoryRange))
        } else {
            lines.append("no mean: \(summaryMissing ?? "not measured")")
        }
        lines.append(noTScore)
        if let fu = followUp {
            lines.append("follow-up since \(fu.earlierAcquired ?? fu.earlierSeriesInstanceUID):")
            for (name, c) in fu.vertebrae.sorted(by: { $0.key < $1.key }) { lines.append("  " + followUpLine(name, c)) }
            if let m = fu.mean { lines.append("  " + followUpLine("mean", m)) }
            if let why = fu.lscMissing { lines.append("  significance not judged: \(why)") }
        } else if let why = followUpMissing {
            lines.append("follow-up: none (\(why))")
        }
        return lines.joined(separator: "\n")
    }

    func followUpLine(_ name: String, _ c: FollowUp) -> String {
        var s = String(format: "%@: %.1f → %.1f mg/cm³, %+.1f mg/cm³", name, c.earlierMgPerCm3, c.currentMgPerCm3, c.changeMgPerCm3)
        if let p = c.changePercent { s += String(format: " (%+.1f %%)", p) }
        if let lsc = c.lsc, let sig = c.significant {
            s += String(format: "; LSC %.2f mg/cm³ (%@): %@", lsc.lscMgPerCm3, lsc.study, sig ? "significant" : "within the LSC")
        }
        return s
    }
}
