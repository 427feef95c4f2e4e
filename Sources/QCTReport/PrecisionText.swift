import Foundation
import QCTCore
import QCTStatistics

/// Text and CSV layouts of a precision study and a scanner comparison.
public enum StudyText {
    /// Fixed decimals, or "—" for a missing or non-finite value (text, CSV and HTML alike).
    static func f(_ v: Double?, _ digits: Int) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.\(digits)f", v)
    }

    /// The domain reference's layout: per vertebra mean ± SD and CV%, then overall SD and CV%.
    public static func precisionTable(_ study: PrecisionStudy) -> [String] {
        let names = study.scanners.first?.precision.sites.map(\.name) ?? []
        var header = ["scanner", "n"]
        for n in names { header += ["\(n) mean ± SD mg/cm³", "CV %"] }
        header += ["overall SD mg/cm³", "overall CV %", "RMS-CV %", "df", "90% CI of SD mg/cm³", "LSC mg/cm³ (%)"]
        var rows = [header]
        for s in study.scanners {
            let p = s.precision
            var row = [s.scanner, "\(s.scans)"]
            for site in p.sites { row += ["\(f(site.mean, 2)) ± \(f(site.sd, 3))", f(site.cvPercent, 3)] }
            row += [f(p.rmsSD, 3), f(p.overallCVPercent, 3), f(p.rmsCVPercent, 3), "\(p.df)",
                    "\(f(p.rmsSDCI90[0], 3))–\(f(p.rmsSDCI90[1], 3))", "\(f(p.lsc, 2)) (\(f(p.lscPercent, 2)) %)"]
            rows.append(row)
        }
        return table(rows)
    }

    public static func accuracyTable(_ study: PrecisionStudy) -> [String] {
        var rows = [["scanner", "vertebra", "nominal \(study.nominalUnit)", "mean \(study.unit)", "bias mg/cm³", "bias %"]]
        for s in study.scanners {
            for site in s.precision.sites {
                rows.append([s.scanner, site.name, f(site.nominal, 2), f(site.mean, 2), f(site.bias, 2), f(site.biasPercent, 2)])
            }
        }
        return table(rows)
    }

    public static func precision(_ study: PrecisionStudy) -> String {
        var lines = ["Precision (\(study.phantom); readings in \(study.unit); nominal in \(study.nominalUnit); certificate \(study.certificates.joined(separator: ", ")); qct \(study.analysisVersion))"]
        lines += precisionTable(study)
        lines.append("overall SD = RMS of the per-vertebra SDs (pooled over n − 1); overall CV% = overall SD / mean of the vertebra means; RMS-CV% = √(mean CV²); 90% CI from χ²(df); LSC = 2.77 × overall SD")
        lines.append("")
        lines.append("Accuracy against the certificate (K2HPO4-equivalent readings of HA inserts read below nominal; domain reference §3)")
        lines += accuracyTable(study)
        for e in study.excluded { lines.append("left out: \(e.source): \(e.reason)") }
        return lines.joined(separator: "\n")
    }

    public static func comparison(_ c: ScannerComparison) -> String {
        var lines = ["Scanner comparison (\(c.unit); nominal \(c.nominalUnit); corrected to \(c.reference ?? "nominal"))"]
        var rows = [["scanner"] + c.vertebrae.map { "\($0) mean mg/cm³" } + ["intercept mg/cm³", "slope (ratio)", "r", "SEE mg/cm³", "correction"]]
        for r in c.regressions {
            let line = c.reference != nil ? r.versusReference : r.versusNominal
            rows.append([r.scanner] + r.means.map { f($0, 2) } + [f(line?.intercept, 3), f(line?.slope, 5), f(line?.r, 6), f(line?.see, 3), r.correction])
        }
        lines += table(rows)
        lines.append("")
        lines.append("Bland–Altman (scanner − reference, paired by vertebra and repeat)")
        var ba = [["reference", "scanner", "pairs", "bias mg/cm³", "bias %", "SD of differences mg/cm³", "95% limits of agreement mg/cm³"]]
        for a in c.agreement {
            let g = a.agreement
            ba.append([a.reference, a.scanner, "\(g.n)", f(g.bias, 3), f(g.biasPercent, 2), f(g.sdDifference, 3), "\(f(g.lowerLimit, 3)) … \(f(g.upperLimit, 3))"])
        }
        lines += table(ba)
        lines.append("")
        lines.append("Across scanners per vertebra (one-way ANOVA; Welch's F for unequal variances)")
        var av = [["vertebra"] + c.scanners.map { "\($0) mean mg/cm³" } + ["F", "df", "p", "Welch F", "Welch df", "Welch p"]]
        for v in c.acrossScanners {
            let a = v.anova
            av.append([v.vertebra] + v.means.map { f($0, 2) } +
                      [f(a?.f, 2), a.map { "\(num($0.dfBetween)), \(num($0.dfWithin))" } ?? "—", pValue(a?.p),
                       f(a?.welchF, 2), a?.welchDF2.map { "\(num(a!.dfBetween)), \(f($0, 2))" } ?? "—", pValue(a?.welchP)])
        }
        lines += table(av)
        return lines.joined(separator: "\n")
    }

    public static func pValue(_ p: Double?) -> String {
        guard let p, p.isFinite else { return "—" }
        return p < 1e-4 ? String(format: "%.2e", p) : String(format: "%.4f", p)
    }

    public static func precisionCSV(_ study: PrecisionStudy) -> String {
        var lines = ["scanner,vertebra,nominal_mg_HA_cm3,n,mean_mg_cm3,sd_mg_cm3,cv_percent,bias_mg_cm3,bias_percent,overall_sd_mg_cm3,overall_cv_percent,rms_cv_percent,df,sd_ci90_low,sd_ci90_high,lsc_mg_cm3"]
        for s in study.scanners {
            let p = s.precision
            for site in p.sites {
                lines.append([s.scanner, site.name, f(site.nominal, 3), "\(site.n)", f(site.mean, 4), f(site.sd, 4), f(site.cvPercent, 4),
                              f(site.bias, 4), f(site.biasPercent, 4), f(p.rmsSD, 4), f(p.overallCVPercent, 4), f(p.rmsCVPercent, 4),
                              "\(p.df)", f(p.rmsSDCI90[0], 4), f(p.rmsSDCI90[1], 4), f(p.lsc, 4)].map(csvField).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func comparisonCSV(_ c: ScannerComparison) -> String {
        var lines = ["scanner,vertebra,mean_mg_cm3,nominal_mg_HA_cm3,intercept,slope,r,see,reference,anova_p,welch_p"]
        for r in c.regressions {
            let line = c.reference != nil ? r.versusReference : r.versusNominal
            for (v, name) in c.vertebrae.enumerated() {
                let a = c.acrossScanners[v].anova
                lines.append([r.scanner, name, f(r.means[v], 4), f(r.nominal[v], 3), f(line?.intercept, 5), f(line?.slope, 6),
                              f(line?.r, 6), f(line?.see, 4), c.reference ?? "nominal", a.map { String($0.p) } ?? "",
                              a?.welchP.map { String($0) } ?? ""].map(csvField).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
