import Foundation
import QCTStatistics

/// A self-contained HTML page (inline CSS and SVG; no scripts, no network)
/// of a precision study and, with two or more scanners, their comparison.
public enum HTMLReport {
    /// `page`: how the report prints (paper, repeated header); by default A4 with the institutions,
    /// scanners and acquisition dates of the study.
    public static func render(_ study: PrecisionStudy, comparison: ScannerComparison?, generated: String, page: PrintPage? = nil) -> String {
        let page = page ?? defaultPage(study, generated: generated)
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>qct precision report — \(escapeXML(study.phantom))</title>
            <style>
            body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
            h1{font-size:22px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;margin:8px 0;font-size:13px}
            th,td{border:1px solid #bbb;padding:3px 8px;text-align:right} th{background:#f0f0f0}
            td.l,th.l{text-align:left} .note{font-size:12px;color:#555} .charts svg{margin:4px 8px 4px 0;border:1px solid #eee}
            \(page.css)
            </style></head><body>
            \(page.open)<h1>QCT precision report: \(escapeXML(study.phantom))</h1>
            <p class="note">Readings in \(study.unit.replacingOccurrences(of: "cm3", with: "cm³")); nominal (certificate) values in \(study.nominalUnit.replacingOccurrences(of: "cm3", with: "cm³")).
            Certificate: \(escapeXML(study.certificates.joined(separator: "; "))). Analysis: qct \(escapeXML(study.analysisVersion)). Generated \(escapeXML(generated)).</p>

            """
        var body = precisionSection(study)
        body += accuracySection(study)
        body += chartsSection(study)
        if let c = comparison, c.scanners.count >= 2 { body += comparisonSection(c) }
        body += provenanceSection(study)
        return h + body + PrintPage.close + "</body></html>\n"
    }

    /// A4, with the institutions named in the scans, the scanners and the first and last acquisition.
    public static func defaultPage(_ study: PrecisionStudy, generated: String, paper: PrintPage.Paper = .a4, institution: String? = nil) -> PrintPage {
        let institutions = Set(study.scanners.compactMap { $0.identity.institutionName?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let dates = study.scanners.flatMap(\.acquired).map { String($0.prefix(10)) }.sorted()
        return PrintPage(paper: paper, institution: institution ?? institutions.sorted().joined(separator: "; "), scanners: study.scanners.map(\.scanner),
                         dates: dates.isEmpty ? "dates not recorded" : dates.first == dates.last ? dates[0] : "\(dates.first!) … \(dates.last!)",
                         generated: generated)
    }

    static func f(_ v: Double?, _ d: Int) -> String { StudyText.f(v, d) }

    /// One scanner's points and fitted line on a scatter chart.
    struct FitSeries {
        var name: String
        var colour: String
        var points: [(x: Double, y: Double, title: String)]
        var fit: (intercept: Double, slope: Double)?
    }

    /// Readings against an x quantity, each series with its regression line (cut to the plot
    /// frame) and the identity line dashed; empty when there is nothing finite to draw.
    static func scatterWithFits(title: String, xLabel: String, label: String, series: [FitSeries]) -> String {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let all = points.flatMap { [$0.x, $0.y] }
        guard let lo = all.min(), let hi = all.max() else { return "" }
        var chart = SVGChart(x: SVGChart.padded(lo...hi), y: lo...hi)
        chart.axes(title: title, xLabel: xLabel, yLabel: "reading, mg K2HPO4/cm³")
        let x0 = chart.xRange.lowerBound, x1 = chart.xRange.upperBound
        chart.line(x0, x0, x1, x1, colour: "#999", dash: "3 3")
        for (s, one) in series.enumerated() {
            for p in one.points where p.x.isFinite && p.y.isFinite { chart.point(p.x, p.y, colour: one.colour, radius: 3.5, title: p.title) }
            if let g = one.fit { chart.line(x0, g.intercept + g.slope * x0, x1, g.intercept + g.slope * x1, colour: one.colour) }
            chart.text(x0 + 0.03 * (x1 - x0), chart.yRange.upperBound - Double(s + 1) * 0.07 * (chart.yRange.upperBound - chart.yRange.lowerBound),
                       one.name, colour: one.colour)
        }
        return chart.svg(label: label) + "\n"
    }

    static func precisionSection(_ study: PrecisionStudy) -> String {
        let names = study.scanners.first?.precision.sites.map(\.name) ?? []
        var h = "<h2>Precision</h2>\n<table id=\"precision\"><tr><th class=\"l\">scanner</th><th>n</th>"
        for n in names { h += "<th>\(escapeXML(n)) mean ± SD, mg/cm³</th><th>CV %</th>" }
        h += "<th>overall SD, mg/cm³</th><th>overall CV %</th><th>RMS-CV %</th><th>df</th><th>90% CI of SD, mg/cm³</th><th>LSC, mg/cm³ (%)</th></tr>\n"
        for s in study.scanners {
            let p = s.precision
            h += "<tr><td class=\"l\">\(escapeXML(s.scanner))</td><td>\(s.scans)</td>"
            for site in p.sites { h += "<td>\(f(site.mean, 2)) ± \(f(site.sd, 3))</td><td>\(f(site.cvPercent, 3))</td>" }
            h += "<td>\(f(p.rmsSD, 3))</td><td>\(f(p.overallCVPercent, 3))</td><td>\(f(p.rmsCVPercent, 3))</td><td>\(p.df)</td>"
            h += "<td>\(f(p.rmsSDCI90[0], 3))–\(f(p.rmsSDCI90[1], 3))</td><td>\(f(p.lsc, 2)) (\(f(p.lscPercent, 2)) %)</td></tr>\n"
        }
        h += "</table>\n<p class=\"note\">SD with n − 1; overall SD = RMS of the vertebra SDs (pooled over n − 1); overall CV% = overall SD / mean of the vertebra means; RMS-CV% = √(mean CV²) (Glüer 1995); 90% CI of the overall SD from χ²(df); LSC = 2.77 × overall SD (95 %).</p>\n"
        return h
    }

    static func accuracySection(_ study: PrecisionStudy) -> String {
        var h = "<h2>Accuracy against the certificate</h2>\n<table id=\"accuracy\"><tr><th class=\"l\">scanner</th><th class=\"l\">vertebra</th><th>nominal, mg HA/cm³</th><th>mean, mg K2HPO4/cm³</th><th>bias, mg/cm³</th><th>bias %</th></tr>\n"
        for s in study.scanners {
            for site in s.precision.sites {
                h += "<tr><td class=\"l\">\(escapeXML(s.scanner))</td><td class=\"l\">\(escapeXML(site.name))</td><td>\(f(site.nominal, 2))</td><td>\(f(site.mean, 2))</td><td>\(f(site.bias, 2))</td><td>\(f(site.biasPercent, 2))</td></tr>\n"
            }
        }
        h += "</table>\n<p class=\"note\">K2HPO4-equivalent readings of hydroxyapatite inserts read below nominal, by an amount that depends on the beam (domain reference §3).</p>\n"
        return h
    }

    /// Per vertebra: each scanner's readings, mean ± SD, against nominal.
    static func chartsSection(_ study: PrecisionStudy) -> String {
        let names = study.scanners.first?.precision.sites.map(\.name) ?? []
        var h = "<h2>Readings per vertebra</h2>\n<div class=\"charts\">\n"
        for name in names {
            let sites = study.scanners.compactMap { g in g.precision.sites.first { $0.name == name } }
            guard sites.count == study.scanners.count else { continue }
            let values = sites.flatMap(\.readings) + sites.compactMap(\.nominal) + sites.map { $0.mean - $0.sd } + sites.map { $0.mean + $0.sd }
            guard let lo = values.min(), let hi = values.max() else { continue }
            var chart = SVGChart(x: -0.5...(Double(sites.count) - 0.5), y: lo...hi)
            chart.axes(title: "\(name): readings, mean ± SD, nominal", xLabel: "scanner", yLabel: "BMD, mg/cm³",
                       xTicks: study.scanners.enumerated().map { (Double($0.offset), $0.element.scanner) })
            if let nominal = sites.first?.nominal {
                chart.line(-0.5, nominal, Double(sites.count) - 0.5, nominal, colour: "#555", dash: "5 4")
                chart.text(Double(sites.count) - 0.55, nominal, "nominal \(f(nominal, 0))", colour: "#555", anchor: "end")
            }
            for (s, site) in sites.enumerated() {
                let colour = SVGChart.palette[s % SVGChart.palette.count]
                let x = Double(s)
                for (i, r) in site.readings.enumerated() {
                    let jitter = site.readings.count > 1 ? (Double(i) / Double(site.readings.count - 1) - 0.5) * 0.3 : 0
                    chart.point(x + jitter, r, colour: colour, title: "\(study.scanners[s].scanner) \(name) scan \(i + 1): \(f(r, 2)) mg/cm³")
                }
                chart.line(x - 0.25, site.mean, x + 0.25, site.mean, colour: "#000", width: 2)
                chart.line(x + 0.3, site.mean - site.sd, x + 0.3, site.mean + site.sd, colour: "#000", width: 1.5)
            }
            h += chart.svg(label: "\(name) readings per scanner") + "\n"
        }
        return h + "</div>\n"
    }

    static func comparisonSection(_ c: ScannerComparison) -> String {
        var h = "<h2>Scanner comparison</h2>\n<table id=\"regression\"><tr><th class=\"l\">scanner</th>"
        for v in c.vertebrae { h += "<th>\(escapeXML(v)) mean, mg/cm³</th>" }
        h += "<th>intercept, mg/cm³</th><th>slope (ratio)</th><th>r</th><th>SEE, mg/cm³</th><th class=\"l\">correction</th></tr>\n"
        for r in c.regressions {
            let line = c.reference != nil ? r.versusReference : r.versusNominal
            h += "<tr><td class=\"l\">\(escapeXML(r.scanner))</td>" + r.means.map { "<td>\(f($0, 2))</td>" }.joined()
            h += "<td>\(f(line?.intercept, 3))</td><td>\(f(line?.slope, 5))</td><td>\(f(line?.r, 6))</td><td>\(f(line?.see, 3))</td><td class=\"l\">\(escapeXML(r.correction))</td></tr>\n"
        }
        h += "</table>\n<p class=\"note\">Regression of the vertebra means on \(c.reference.map { "scanner \(escapeXML($0))" } ?? "nominal") (domain reference §6); the correction inverts it.</p>\n<div class=\"charts\">\n"
        // Measured against nominal, then (with a reference scanner) against the reference's readings,
        // each with the regression the table gives (the one the correction inverts).
        h += scatterWithFits(title: "Vertebra means against nominal", xLabel: "nominal, mg HA/cm³", label: "vertebra means against nominal",
                             series: c.regressions.enumerated().map { s, r in
                                 FitSeries(name: r.scanner, colour: SVGChart.palette[s % SVGChart.palette.count],
                                           points: zip(r.nominal, r.means).map { n, m in (n, m, "\(r.scanner): \(f(m, 2)) at nominal \(f(n, 0))") },
                                           fit: r.versusNominal.map { ($0.intercept, $0.slope) })
                             })
        if let reference = c.reference, let base = c.regressions.first(where: { $0.scanner == reference }) {
            let pairs = c.regressions.filter { $0.scanner != reference }
            h += scatterWithFits(title: "Vertebra means against scanner \(reference)", xLabel: "\(reference) reading, mg K2HPO4/cm³",
                                 label: "vertebra means against scanner \(reference)",
                                 series: pairs.enumerated().map { s, r in
                                     FitSeries(name: r.scanner, colour: SVGChart.palette[(s + 1) % SVGChart.palette.count],
                                               points: zip(base.means, r.means).map { x, m in (x, m, "\(r.scanner): \(f(m, 2)) where \(reference) reads \(f(x, 2))") },
                                               fit: r.versusReference.map { ($0.intercept, $0.slope) })
                                 })
        }
        for a in c.agreement {
            let g = a.agreement
            let ys = g.differences + [g.lowerLimit, g.upperLimit]
            guard let xlo = g.means.min(), let xhi = g.means.max(), let ylo = ys.min(), let yhi = ys.max() else { continue }
            var chart = SVGChart(x: SVGChart.padded(xlo...xhi), y: ylo...yhi)
            chart.axes(title: "Bland–Altman: \(a.scanner) − \(a.reference)", xLabel: "mean of the pair, mg/cm³", yLabel: "difference, mg/cm³")
            for (m, d) in zip(g.means, g.differences) { chart.point(m, d, colour: SVGChart.palette[0]) }
            for (y, label) in [(g.bias, "bias \(f(g.bias, 2))"), (g.lowerLimit, "−1.96 SD"), (g.upperLimit, "+1.96 SD")] {
                chart.line(chart.xRange.lowerBound, y, chart.xRange.upperBound, y, colour: "#d62728", dash: label.hasPrefix("bias") ? nil : "4 3")
                chart.text(chart.xRange.upperBound, y, label, colour: "#d62728", anchor: "end")
            }
            h += chart.svg(label: "Bland–Altman \(a.scanner) against \(a.reference)") + "\n"
        }
        h += "</div>\n<table id=\"agreement\"><tr><th class=\"l\">reference</th><th class=\"l\">scanner</th><th>pairs</th><th>bias, mg/cm³</th><th>bias %</th><th>SD of differences, mg/cm³</th><th>95% limits of agreement, mg/cm³</th></tr>\n"
        for a in c.agreement {
            let g = a.agreement
            h += "<tr><td class=\"l\">\(escapeXML(a.reference))</td><td class=\"l\">\(escapeXML(a.scanner))</td><td>\(g.n)</td><td>\(f(g.bias, 3))</td><td>\(f(g.biasPercent, 2))</td><td>\(f(g.sdDifference, 3))</td><td>\(f(g.lowerLimit, 3)) … \(f(g.upperLimit, 3))</td></tr>\n"
        }
        h += "</table>\n<table id=\"anova\"><tr><th class=\"l\">vertebra</th>" + c.scanners.map { "<th>\(escapeXML($0)) mean, mg/cm³</th>" }.joined()
        h += "<th>F</th><th>p</th><th>Welch F</th><th>Welch p</th></tr>\n"
        for v in c.acrossScanners {
            h += "<tr><td class=\"l\">\(escapeXML(v.vertebra))</td>" + v.means.map { "<td>\(f($0, 2))</td>" }.joined()
            h += "<td>\(f(v.anova?.f, 2))</td><td>\(StudyText.pValue(v.anova?.p))</td><td>\(f(v.anova?.welchF, 2))</td><td>\(StudyText.pValue(v.anova?.welchP))</td></tr>\n"
        }
        return h + "</table>\n<p class=\"note\">One-way ANOVA across scanners per vertebra, and Welch's F for unequal variances (Welch 1951).</p>\n"
    }

    static func provenanceSection(_ study: PrecisionStudy) -> String {
        var h = "<h2>Inputs</h2>\n<table id=\"inputs\"><tr><th class=\"l\">scanner</th><th class=\"l\">manufacturer / model</th><th class=\"l\">serial</th><th>scans</th><th class=\"l\">acquired</th><th class=\"l\">calibration</th></tr>\n"
        for s in study.scanners {
            let id = s.identity
            h += "<tr><td class=\"l\">\(escapeXML(s.scanner))</td><td class=\"l\">\(escapeXML([id.manufacturer, id.model].compactMap { $0 }.joined(separator: " / ")))</td>"
            h += "<td class=\"l\">\(escapeXML(id.deviceSerialNumber ?? "—"))</td><td>\(s.scans)</td><td class=\"l\">\(escapeXML(s.acquired.joined(separator: " … ")))</td>"
            h += "<td class=\"l\">\(escapeXML(s.calibrations.joined(separator: "; ")))</td></tr>\n"
        }
        h += "</table>\n"
        if !study.excluded.isEmpty {
            h += "<p class=\"note\">Left out:</p><ul class=\"note\">" + study.excluded.map { "<li>\(escapeXML($0.source)): \(escapeXML($0.reason))</li>" }.joined() + "</ul>\n"
        }
        return h
    }
}
