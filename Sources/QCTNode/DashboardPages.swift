import Foundation
import QCTWorkflows

/// The dashboard's pages: HTML with its style inline and no script, so it works offline and
/// prints. Every value from the history is escaped.
public enum DashboardPages {
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A path component for a scanner or metric name.
    public static func component(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    static func stateClass(_ state: String) -> String {
        switch state {
        case "in control": "ok"
        case "warning": "warn"
        case "out of control": "bad"
        case "baseline": "base"
        default: "none"
        }
    }

    static func checkClass(_ status: String) -> String {
        switch status { case "pass": "ok"
        case "warn": "warn"
        case "fail": "bad"
        default: "none" }
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
        header{background:#1d2433;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:baseline}
        header a{color:#cfd8ea;text-decoration:none}header strong{font-size:18px}
        main{padding:16px 24px;max-width:1200px}
        .cards{display:flex;flex-wrap:wrap;gap:12px}
        .card{background:#fff;border-radius:6px;padding:12px 16px;min-width:220px;border-left:8px solid #999;box-shadow:0 1px 2px #0002}
        .card h2{margin:0 0 4px;font-size:18px}.card a{color:inherit}
        .ok{border-color:#2e7d32}.warn{border-color:#f9a825}.bad{border-color:#c62828}.base{border-color:#1565c0}.none{border-color:#9e9e9e}
        .state{font-weight:600}.state.ok{color:#2e7d32}.state.warn{color:#b7791f}.state.bad{color:#c62828}.state.base{color:#1565c0}.state.none{color:#666}
        table{border-collapse:collapse;background:#fff;margin:8px 0 16px}td,th{border:1px solid #d5d9e0;padding:4px 8px;text-align:left;font-size:14px}
        th{background:#eef1f5}.num{text-align:right;font-variant-numeric:tabular-nums}
        .charts svg{max-width:100%;height:auto;background:#fff;margin-bottom:12px}
        footer{color:#666;font-size:12px;padding:16px 24px}
        .who{margin-left:auto}.who form{display:inline}.who button{background:none;border:0;color:#cfd8ea;cursor:pointer;font:inherit}
        form.write{background:#fff;padding:8px 12px;margin:8px 0;border-radius:6px;box-shadow:0 1px 2px #0002}
        form.write label{margin-right:12px}.notice{background:#fff3cd;padding:8px 12px;border-radius:6px}
        figure.overlay img{max-width:100%;height:auto;background:#fff}
        """

    static func page(_ title: String, _ body: String, today: String, writer: Writer? = nil) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
        <title>\(escape(title)) · qct</title><style>\(style)</style></head>
        <body><header><strong>qct QC node</strong><a href="/">Scanners</a><a href="/inputs">Failed and refused inputs</a>
        <a href="/events">Service events</a><a href="/precision">Precision studies</a><a href="/api/v1/scanners">API</a>\(signedIn(writer))</header>
        <main><h1>\(escape(title))</h1>\(body)</main>
        <footer>qct \(escape(QCTVersion.string)) · \(escape(today)) · phantom data only</footer></body></html>
        """
    }

    public static func scanners(_ states: [DashboardData.ScannerState], today: String, writer: Writer? = nil) -> String {
        guard !states.isEmpty else {
            return page("Scanners", "<p>No result is stored yet. Send a phantom scan to this node, or run <code>qct qc record</code>.</p>",
                        today: today, writer: writer)
        }
        let cards = states.map { s in
            """
            <div class="card \(stateClass(s.state))" data-scanner="\(escape(s.scanner))" data-state="\(escape(s.state))">
            <h2><a href="/scanner/\(component(s.scanner))">\(escape(s.scanner))</a></h2>
            <div class="state \(stateClass(s.state))">\(escape(s.state))</div>
            \(s.site.map { "<div class=\"site\">site \(escape($0))</div>" } ?? "")<div>last scan \(escape(s.lastAcquired ?? "—"))</div></div>
            """
        }.joined()
        return page("Scanners", "<p>State today (\(escape(today))): the worst of today's results per scanner.</p><div class=\"cards\">\(cards)</div>",
                    today: today, writer: writer)
    }

    public static func scanner(_ s: DashboardData.ScannerState, metrics: [String], events: [QCEvent], rejections: [QCRejection] = [],
                               pictures: Set<Int64> = [], checks: [Int64: [DashboardData.Check]] = [:], today: String,
                               writer: Writer? = nil) -> String {
        var body = "<p class=\"state \(stateClass(s.state))\">Today: \(escape(s.state))</p>"
        for r in s.latest {
            body += "<h2>Latest \(escape(r.kind)) result, \(escape(r.protocolKey))</h2>"
            body += "<p><span class=\"state \(stateClass(r.state.rawValue))\">\(escape(r.state.rawValue))</span>"
            body += r.fired.isEmpty ? "" : " — fired: \(escape(r.fired.joined(separator: "; ")))"
            if let p = r.baselineProgress, p.count == 2 { body += " — baseline \(p[0]) of \(p[1])" }
            body += "</p><table><tr><th>metric</th><th>value</th><th>unit</th><th>target</th><th>SD</th><th>z</th><th>state</th><th>rules</th></tr>"
            for m in r.metrics {
                func n(_ v: Double?, _ f: String = "%.3f") -> String { v.map { $0.isFinite ? String(format: f, $0) : "—" } ?? "—" }
                body += "<tr><td>\(escape(m.name))</td><td class=\"num\">\(n(m.value, "%.4f"))</td><td>\(escape(m.unit))</td>"
                body += "<td class=\"num\">\(n(m.target, "%.4f"))</td><td class=\"num\">\(n(m.sd, "%.4f"))</td><td class=\"num\">\(n(m.z, "%.2f"))</td>"
                body += "<td>\(escape(m.state.rawValue))</td><td>\(escape(m.fired.joined(separator: ", ")))</td></tr>"
            }
            body += "</table><p>Provenance: acquired \(escape(r.acquired)); series \(escape(r.seriesInstanceUID)); phantom \(escape(r.phantom)); "
            body += "certificate \(escape(r.certificate ?? "—")); analysis qct \(escape(r.analysisVersion)); result \(r.id).</p>"
            if let list = checks[r.id], !list.isEmpty {
                body += "<table class=\"checks\"><tr><th>check</th><th>status</th><th>detail</th></tr>" + list.map { c in
                    "<tr data-check=\"\(escape(c.name))\"><td>\(escape(c.name))</td><td class=\"state \(checkClass(c.status))\">\(escape(c.status.uppercased()))</td>"
                        + "<td>\(escape(c.detail))</td></tr>"
                }.joined() + "</table>"
            }
            if pictures.contains(r.id) {
                body += "<figure class=\"overlay\"><img src=\"/result/\(r.id)/picture.svg\" alt=\"ROIs of result \(r.id)\" width=\"1000\"></figure>"
            }
            body += rejectForm(r, scanner: s.scanner, writer: writer)
        }
        body += "<h2>Levey–Jennings charts</h2><div class=\"charts\">"
        for m in metrics {
            body += "<figure><img src=\"/scanner/\(component(s.scanner))/chart/\(component(m)).svg\" alt=\"\(escape(m)) chart\" width=\"900\"></figure>"
        }
        body += "</div><h2>Service events</h2>" + eventsTable(events) + eventForm(scanner: s.scanner, writer: writer)
        body += "<h2>Baseline</h2>" + baselineForm(scanner: s.scanner, writer: writer)
        body += "<h2>Rejected results</h2>" + rejectionsTable(rejections)
        return page(s.scanner, body, today: today, writer: writer)
    }

    static func eventsTable(_ events: [QCEvent]) -> String {
        guard !events.isEmpty else { return "<p>None recorded.</p>" }
        return "<table><tr><th>scanner</th><th>at</th><th>description</th></tr>"
            + events.map { "<tr><td>\(escape($0.scanner))</td><td>\(escape($0.at))</td><td>\(escape($0.description))</td></tr>" }.joined()
            + "</table>"
    }

    public static func events(_ events: [QCEvent], today: String, writer: Writer? = nil) -> String {
        page("Service events", eventsTable(events), today: today, writer: writer)
    }

    public static func inputs(_ inputs: [QCInputRecord], today: String, writer: Writer? = nil) -> String {
        guard !inputs.isEmpty else {
            return page("Failed and refused inputs", "<p>None: every series received was recorded.</p>", today: today, writer: writer)
        }
        let rows = inputs.map { i in
            "<tr data-outcome=\"\(i.outcome.rawValue)\"><td>\(escape(i.finishedAt))</td><td>\(escape(i.outcome.rawValue))</td><td>\(escape(i.seriesInstanceUID))</td>"
                + "<td>\(escape(i.source))</td><td class=\"num\">\(i.files)</td><td>\(escape(i.reason))</td></tr>"
        }.joined()
        return page("Failed and refused inputs",
                    "<p>Failed series are kept in the node's inbox (.failed); refused ones held no phantom and were deleted or quarantined.</p>"
                    + "<table><tr><th>finished</th><th>outcome</th><th>series</th><th>sent by</th><th>files</th><th>reason</th></tr>\(rows)</table>",
                    today: today, writer: writer)
    }

    /// Stored precision studies, newest first: per vertebra n, mean ± SD and CV%, the pooled
    /// figures and LSC, and the service events just before and after each study's scans.
    public static func precision(_ studies: [QCPrecisionRecord], events: [String: [QCEvent]], crossCalibrations: [QCCrossCalibration] = [],
                                 today: String, writer: Writer? = nil) -> String {
        guard !studies.isEmpty || !crossCalibrations.isEmpty else {
            return page("Precision studies", "<p>None kept yet. <code>qct precision SCANS… --record --db DB</code> keeps each scanner's study here.</p>",
                        today: today, writer: writer)
        }
        struct Part: Decodable { var scanner: ScannerPrecision }
        func n(_ v: Double, _ f: String) -> String { v.isFinite ? String(format: f, v) : "—" }
        var body = studies.isEmpty ? "" : "<p>Each scanner's study on its own scans (the same scans studied again are kept once); unit "
            + "\(escape(studies[0].unit.replacingOccurrences(of: "cm3", with: "cm³"))).</p>"
        for s in studies {
            body += "<h2 data-study=\"\(s.id ?? 0)\">\(escape(s.scanner)): \(s.scans) scans, \(escape(String(s.from.prefix(10)))) – \(escape(String(s.to.prefix(10))))</h2>"
            if let part = try? JSONDecoder().decode(Part.self, from: Data(s.json.utf8)) {
                body += "<table><tr><th>vertebra</th><th>n</th><th>mean</th><th>SD</th><th>CV%</th></tr>" + part.scanner.precision.sites.map { v in
                    "<tr><td>\(escape(v.name))</td><td class=\"num\">\(v.n)</td><td class=\"num\">\(n(v.mean, "%.2f"))</td>"
                        + "<td class=\"num\">\(n(v.sd, "%.2f"))</td><td class=\"num\">\(n(v.cvPercent, "%.2f"))</td></tr>"
                }.joined() + "</table>"
            }
            let around = events[s.scanner] ?? []
            let before = around.filter { $0.at < s.from }.last, after = around.first { $0.at > s.to }
            body += "<p>Pooled: RMS-SD \(n(s.rmsSD, "%.2f")), overall CV \(n(s.overallCVPercent, "%.2f")) %, LSC (95 %) \(n(s.lsc, "%.2f")). "
                + "Service events around it: before, \(escape(before.map { "\($0.at) \($0.description)" } ?? "none")); "
                + "after, \(escape(after.map { "\($0.at) \($0.description)" } ?? "none")). "
                + "Phantom \(escape(s.phantom)), certificate \(escape(s.certificates.joined(separator: ", "))); qct \(escape(s.analysisVersion)); "
                + "kept \(escape(s.storedAt ?? "—")).</p>"
        }
        if !crossCalibrations.isEmpty {
            body += "<h2 id=\"crosscal\">Cross-calibration equations</h2><p>From <code>qct compare … --record</code>; per scanner, newest "
                + "version first (the one in force), with the service events after its scans.</p>"
                + "<table><tr><th>scanner</th><th>version</th><th>equation</th><th>r</th><th>scans</th><th>kept</th><th>service since its scans</th></tr>"
            for c in crossCalibrations {
                let since = (events[c.scanner] ?? []).filter { $0.at > c.to }.map { "\($0.at) \($0.description)" }
                body += "<tr data-crosscal=\"\(c.id ?? 0)\"><td>\(escape(c.scanner))</td><td class=\"num\">\(c.version ?? 0)</td><td>\(escape(c.equation))</td>"
                    + "<td class=\"num\">\(n(c.r, "%.4f"))</td><td>\(escape(String(c.from.prefix(10)))) – \(escape(String(c.to.prefix(10))))</td>"
                    + "<td>\(escape(c.storedAt ?? "—"))</td><td>\(escape(since.isEmpty ? "none" : since.joined(separator: "; ")))</td></tr>"
            }
            body += "</table>"
        }
        return page("Precision studies", body, today: today, writer: writer)
    }

    public static func notFound(_ what: String, today: String) -> String { page("Not found", "<p>\(escape(what))</p>", today: today) }
}
