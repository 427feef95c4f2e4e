import Foundation
import QCTQualityControl

/// Daily-QC results as text and CSV: the status table and why each state was reached, the
/// baselines set, service events, and the export of every stored value.
public enum QCText {
    /// One metric as a physicist reads it: `sigmaCT 0.966 HU per mg/cm³ (target 0.939, z +6.4)`.
    public static func describe(_ m: QCMetricJudgement) -> String {
        var s = "\(m.name) \(String(format: "%.4g", m.value)) \(m.unit)"
        if let t = m.target, let z = m.z {
            s += " (target \(String(format: "%.4g", t)), z \(String(format: "%+.1f", z)))"
        } else if m.state == .baseline {
            s += " (baseline being collected)"
        }
        return s
    }

    /// The last result of each scanner, protocol and phantom, with the metrics whose rules fired;
    /// `verbose` lists every metric of each.
    public static func status(_ latest: [QCStoredResult], verbose: Bool) -> String {
        var lines: [String] = []
        // A network's shared history names each scanner's site first.
        let sites = latest.contains { $0.site != nil }
        var rows = [(sites ? ["site"] : []) + ["scanner", "phantom", "protocol", "acquired", "state", "why"]]
        for r in latest {
            let state = r.baselineProgress.map { "baseline \($0[0]) of \($0[1])" } ?? r.state.rawValue
            let why = r.metrics.filter { !$0.fired.isEmpty }.map { "\(describe($0)): \($0.fired.joined(separator: ", "))" }
            rows.append((sites ? [r.site ?? "—"] : []) + [r.scanner, r.kind, r.protocolKey, r.acquired, state, why.isEmpty ? "—" : why.joined(separator: "; ")])
        }
        lines += table(rows)
        if verbose {
            for r in latest {
                lines.append("")
                lines.append("\(r.scanner) \(r.kind) \(r.protocolKey), acquired \(r.acquired):")
                for m in r.metrics {
                    lines.append("  \(describe(m)): \(m.state.rawValue)" + (m.fired.isEmpty ? "" : " — " + m.fired.joined(separator: ", ")))
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line per stored result of `qc record`.
    public static func recorded(_ r: QCStoredResult, folder: String) -> String {
        var s = "recorded \(folder): \(r.scanner) \(r.kind) (\(r.protocolKey)) acquired \(r.acquired): "
        if let p = r.baselineProgress { s += "baseline \(p[0]) of \(p[1])" } else { s += r.state.rawValue }
        if !r.fired.isEmpty { s += " — " + r.fired.joined(separator: "; ") }
        return s
    }

    /// Baselines set from a date range, with each metric's mean, SD and n.
    /// The line for a series that was already stored.
    public static func duplicate(folder: String, series: String, scanner: String, acquired: String, recordedAt: String) -> String {
        "already recorded: \(folder) (\(scanner), acquired \(acquired), series \(series)) on \(recordedAt); not stored again"
    }

    public static func baselines(_ made: [QCBaseline], from: String, to: String) -> String {
        var lines: [String] = []
        for b in made {
            lines.append("baseline \(b.id) for \(b.scanner) \(b.kind) (\(b.protocolKey)): \(b.size) results from \(from) to \(to)")
            for (name, v) in b.metrics.sorted(by: { $0.key < $1.key }) {
                lines.append(String(format: "  %@: mean %.4f, SD %.4f (n %d)", name, v[0], v[1], Int(v[2])))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// A scanner's service events with their ids, deleted ones with when and why.
    public static func events(_ events: [QCEvent], scanner: String) -> String {
        guard !events.isEmpty else { return "\(scanner): no service events" }
        var rows = [["id", "at", "event", "deleted"]]
        for e in events {
            rows.append(["\(e.id ?? 0)", e.at, e.description, e.deletedAt.map { "\($0): \(e.deleteReason ?? "")" } ?? "—"])
        }
        return table(rows).joined(separator: "\n")
    }

    /// Every stored value with its judgement and provenance, one CSV row each.
    public static func csv(_ points: [QCPoint]) -> String {
        var lines = ["scanner,device_serial,acquired,series_instance_uid,phantom,kind,protocol,metric,value,unit,baseline_id,target,sd,z,metric_state,rules_fired,result_state,certificate,analysis_version"]
        for p in points {
            let fields: [String] = [p.scanner, p.serial ?? "", p.acquired, p.seriesInstanceUID, p.phantom, p.kind, p.protocolKey, p.metric,
                                    String(p.value), p.unit, p.baselineID.map(String.init) ?? "", p.target.map { String($0) } ?? "",
                                    p.sd.map { String($0) } ?? "", p.z.map { String($0) } ?? "", p.state.rawValue, p.fired.joined(separator: " "),
                                    p.resultState.rawValue, p.certificate ?? "", p.analysisVersion]
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
