import Foundation
import QCTCore
import QCTPatient
import QCTReport

/// A patient's spine report as one self-contained HTML page (inline CSS and SVG; no scripts, no
/// network): patient (or "anonymised"), calibration, each vertebra, the mean and its ACR category,
/// the no-T-score statement, follow-up, the ROI pictures and the provenance.
public enum SpineHTML {
    public static func page(_ r: SpineReport, figure: String, generated: String) -> String {
        func f(_ v: Double?, _ d: Int = 1) -> String { v.flatMap { $0.isFinite ? String(format: "%.\(d)f", $0) : nil } ?? "—" }
        let unit = r.unit.replacingOccurrences(of: "cm3", with: "cm³")
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>qct spine report</title>
            <style>
            body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
            h1{font-size:22px} h2{font-size:17px;margin-top:24px;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;margin:8px 0;font-size:13px}
            th,td{border:1px solid #bbb;padding:3px 8px;text-align:right} th{background:#f0f0f0}
            td.l,th.l{text-align:left} .note{font-size:12px;color:#555}
            .result{font-size:18px;padding:8px 12px;border:1px solid #888;display:inline-block}
            .normal{background:#e6f4e6} .low{background:#fff4d6} .osteoporosis{background:#fbe3e3}
            .figure svg{max-width:100%;height:auto}
            </style></head><body>
            <h1>Spine trabecular BMD (QCT)</h1>

            """
        if let p = r.patient {
            h += "<table><tr><th class=\"l\">Patient ID</th><td class=\"l\">\(escapeXML(p.id ?? "—"))</td><th class=\"l\">Name</th><td class=\"l\">\(escapeXML(p.name ?? "—"))</td>"
            h += "<th class=\"l\">Birth date</th><td class=\"l\">\(escapeXML(p.birthDate ?? "—"))</td><th class=\"l\">Sex</th><td class=\"l\">\(escapeXML(p.sex ?? "—"))</td></tr></table>\n"
        } else {
            h += "<p class=\"note\">Anonymised: the patient's identifiers are left out of this report.</p>\n"
        }
        h += "<p class=\"note\">Acquired \(escapeXML(r.acquired ?? "—")) on \(escapeXML(scannerLabel(r.scanner))) · \(escapeXML(r.protocolUsed.kvp.map { f($0, 0) + " kV" } ?? "kV unknown")), kernel \(escapeXML(r.protocolUsed.kernel ?? "—")). Series \(escapeXML(r.seriesInstanceUID)).</p>\n"
        if let s = r.summary {
            let css = s.category == .normal ? "normal" : s.category == .lowBMD ? "low" : "osteoporosis"
            h += "<p class=\"result \(css)\">Mean of \(escapeXML(s.vertebrae.joined(separator: "–"))): <b>\(f(s.meanBMD)) \(escapeXML(unit))</b> — ACR category: <b>\(escapeXML(s.category.rawValue))</b> (\(escapeXML(s.categoryRange)))</p>\n"
        } else {
            h += "<p class=\"result\">No mean: \(escapeXML(r.summaryMissing ?? "not measured"))</p>\n"
        }
        h += "<p>\(escapeXML(r.noTScore))</p>\n<h2>Vertebrae</h2>\n<p class=\"note\">\(escapeXML(r.naming))</p>\n"
        h += "<table><tr><th class=\"l\">vertebra</th><th>BMD \(escapeXML(unit))</th><th>mean HU</th><th>median HU</th><th>SD HU</th><th>voxels</th><th>ROI mm²</th><th>slices</th><th>z mm</th><th class=\"l\">ribs</th><th class=\"l\">note</th></tr>\n"
        for v in r.vertebrae {
            let x = v.reading
            let slices = x.roiSlices.isEmpty ? "—" : "\(x.roiSlices.first!)–\(x.roiSlices.last!)"
            h += "<tr><td class=\"l\">\(escapeXML(x.name ?? "?"))</td><td>\(f(v.bmd))</td><td>\(f(x.meanHU))</td><td>\(f(x.medianHU))</td><td>\(f(x.sdHU))</td><td>\(x.voxels)</td><td>\(f(x.roiAreaMM2, 0))</td><td>\(slices)</td><td>\(f(x.zMM))</td><td class=\"l\">\(x.ribBearing ? "yes" : "no")</td><td class=\"l\">\(escapeXML(v.bmdMissing ?? (x.homogeneity?.pass == false ? x.homogeneity?.reason ?? "" : "")))</td></tr>\n"
        }
        h += "</table>\n<h2>Calibration</h2>\n<p>\(escapeXML(r.calibration.summary)); BMD = \(f(r.calibration.slope, 6)) × HU \(r.calibration.intercept >= 0 ? "+" : "−") \(f(abs(r.calibration.intercept), 4)) \(escapeXML(unit)).</p>\n"
        if let ic = r.calibration.internalCalibration {
            h += "<table><tr><th class=\"l\">tissue</th><th class=\"l\">site</th><th>mean HU</th><th>SD HU</th><th>ROI mm²</th><th>voxels</th><th class=\"l\">used</th></tr>\n"
            for t in r.calibration.tissues ?? [] {
                let refusal = ic.refused.first { $0.tissue == t.tissue }?.reason ?? t.missing
                h += "<tr><td class=\"l\">\(escapeXML(t.tissue))</td><td class=\"l\">\(escapeXML(t.site))</td><td>\(f(t.meanHU))</td><td>\(f(t.sdHU))</td><td>\(f(t.areaMM2, 0))</td><td>\(t.voxels)</td><td class=\"l\">\(escapeXML(refusal.map { "no: \($0)" } ?? "yes"))</td></tr>\n"
            }
            h += "</table>\n<p class=\"note\">Effective energy \(f(ic.effectiveEnergyKeV)) keV (grid \(f(ic.gridKeV.first, 1))–\(f(ic.gridKeV.dropFirst().first, 1)) keV), R² \(f(ic.r2, 5)), energy lever \(f(ic.energyLeverHU, 2)) HU (the fit's change at ± 10 % energy).</p>\n"
        }
        if let hc = r.calibration.history {
            h += "<p class=\"note\">From the QC history: result \(hc.calibration.resultID) of \(escapeXML(hc.calibration.acquired)), \(f(abs(hc.ageDays))) days \(hc.ageDays >= 0 ? "before" : "after") the scan (at most \(f(hc.maxAgeDays, 0))), QC state \(escapeXML(hc.calibration.state)).</p>\n"
        }
        h += "<h2>Follow-up</h2>\n"
        if let fu = r.followUp {
            h += "<p class=\"note\">Since the exam of \(escapeXML(fu.earlierAcquired ?? fu.earlierSeriesInstanceUID)).\(fu.lscMissing.map { " Significance not judged: \(escapeXML($0))." } ?? "")</p>\n"
            h += "<table><tr><th class=\"l\"></th><th>earlier</th><th>now</th><th>change \(escapeXML(unit))</th><th>change %</th><th>LSC</th><th class=\"l\">significant</th></tr>\n"
            var rows = fu.vertebrae.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if let m = fu.mean { rows.append(("mean", m)) }
            for (name, c) in rows {
                h += "<tr><td class=\"l\">\(escapeXML(name))</td><td>\(f(c.earlierMgPerCm3))</td><td>\(f(c.currentMgPerCm3))</td><td>\(c.changeMgPerCm3 >= 0 ? "+" : "")\(f(c.changeMgPerCm3))</td><td>\(c.changePercent.map { ($0 >= 0 ? "+" : "") + f($0) } ?? "—")</td><td>\(f(c.lsc?.lscMgPerCm3, 2))</td><td class=\"l\">\(c.significant.map { $0 ? "yes" : "no" } ?? "—")</td></tr>\n"
            }
            h += "</table>\n"
            if let lsc = fu.mean?.lsc ?? fu.vertebrae.values.first?.lsc { h += "<p class=\"note\">LSC = \(f(lsc.factor, 2)) × \(f(lsc.precisionMgPerCm3, 3)) = \(f(lsc.lscMgPerCm3, 2)) mg/cm³ (\(escapeXML(lsc.study))).</p>\n" }
        } else {
            h += "<p class=\"note\">None: \(escapeXML(r.followUpMissing ?? "no earlier exam"))</p>\n"
        }
        h += "<h2>ROIs</h2>\n<div class=\"figure\">\(figure)</div>\n"
        h += "<h2>Provenance</h2>\n<p class=\"note\">qct \(escapeXML(r.analysisVersion)) · input \(escapeXML(r.path)) · calibration \(escapeXML(r.calibration.method.rawValue))\(r.calibration.certificate.map { " · certificate " + escapeXML($0) } ?? "") · generated \(escapeXML(generated)).</p>\n"
        return h + "</body></html>\n"
    }
}
