import ArgumentParser
import Foundation
import QCTCore
import QCTReport
import QCTWorkflows
import QCTStatistics
import QCTQualityControl
import QCTStorage

struct QCStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per scanner, protocol and phantom: the last result, its state and any rule that fired.",
        discussion: "Exit status: 0 in control (or baseline being collected), 3 warning, 4 out of control, 2 no database or no results.")

    @OptionGroup var database: DatabaseOption
    @Flag(help: "Print JSON.") var json = false
    @Flag(name: [.customShort("v"), .long], help: "List every metric of each last result: value, target, z and state.") var verbose = false

    /// One metric as a physicist reads it: `sigmaCT 0.966 HU per mg/cm³ (target 0.939, z +6.4)`.
    static func describe(_ m: QCMetricJudgement) -> String {
        var s = "\(m.name) \(String(format: "%.4g", m.value)) \(m.unit)"
        if let t = m.target, let z = m.z {
            s += " (target \(String(format: "%.4g", t)), z \(String(format: "%+.1f", z)))"
        } else if m.state == .baseline {
            s += " (baseline being collected)"
        }
        return s
    }

    func run() throws {
        let store = try database.open(readOnly: true)
        let latest = try storeCall { () throws(QCStoreError) in try store.latestResults() }
        guard !latest.isEmpty else {
            printError("\(store.path): no results recorded yet")
            throw ExitCode(ReadExit.nothingUsable)
        }
        if json {
            print(try jsonString(latest))
        } else {
            var lines: [String] = []
            var rows = [["scanner", "phantom", "protocol", "acquired", "state", "why"]]
            for r in latest {
                let state = r.baselineProgress.map { "baseline \($0[0]) of \($0[1])" } ?? r.state.rawValue
                // Each metric whose rules fired, with its value, target and z.
                let why = r.metrics.filter { !$0.fired.isEmpty }.map { "\(Self.describe($0)): \($0.fired.joined(separator: ", "))" }
                rows.append([r.scanner, r.kind, r.protocolKey, r.acquired, state, why.isEmpty ? "—" : why.joined(separator: "; ")])
            }
            lines += table(rows)
            if verbose {
                for r in latest {
                    lines.append("")
                    lines.append("\(r.scanner) \(r.kind) \(r.protocolKey), acquired \(r.acquired):")
                    for m in r.metrics {
                        lines.append("  \(Self.describe(m)): \(m.state.rawValue)" + (m.fired.isEmpty ? "" : " — " + m.fired.joined(separator: ", ")))
                    }
                }
            }
            print(lines.joined(separator: "\n"))
        }
        let code = exitStatus(latest.map(\.state).max()?.rawValue)
        if code != 0 { throw ExitCode(code) }
    }
}

struct QCBaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Set a scanner's baseline from its results between two dates; it judges later results (earlier judgements stay).")

    @OptionGroup var database: DatabaseOption
    @Option(help: "Scanner (station name or device serial number).") var scanner: String
    @Option(help: "First day, YYYY-MM-DD (or an ISO date-time).") var from: String
    @Option(help: "Last day, YYYY-MM-DD (inclusive).") var to: String

    func validate() throws {
        for (flag, value) in [("--from", from), ("--to", to)] where ISODateTime.normalised(value) == nil {
            throw ValidationError("\(flag) \(value): not an ISO 8601 date; expected \(ISODateTime.expected)")
        }
    }

    func run() throws {
        let store = try database.open()
        let made = try storeCall { () throws(QCStoreError) in try store.setBaseline(scanner: scanner, from: from, to: to) }
        for b in made {
            print("baseline \(b.id) for \(b.scanner) \(b.kind) (\(b.protocolKey)): \(b.size) results from \(from) to \(to)")
            for (name, v) in b.metrics.sorted(by: { $0.key < $1.key }) {
                print(String(format: "  %@: mean %.4f, SD %.4f (n %d)", name, v[0], v[1], Int(v[2])))
            }
        }
    }
}

struct QCEventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event",
        abstract: "Record a service event (e.g. \"tube replaced\"); a new baseline starts for the scanner.",
        discussion: """
            --list shows a scanner's events with their ids (deleted ones too, with when and why). --delete ID --reason TEXT \
            deletes an event recorded by mistake: it is kept with the reason (audited), no longer drawn or listed as an event, \
            and the baselines it started are withdrawn, so later results are judged as before it; judgements already stored stay.
            """)

    @OptionGroup var database: DatabaseOption
    @Option(help: "Scanner (station name or device serial number).") var scanner: String?
    @Option(help: "When, ISO 8601: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (default: now).") var at: String?
    @Option(name: .customLong("baseline-size"), help: "Scans forming the new baseline.") var baselineSize: Int = 15
    @Flag(help: "List the scanner's service events with their ids.") var list = false
    @Option(help: "Delete the service event with this id (see --list); needs --reason.") var delete: Int64?
    @Option(help: "Why the event is deleted (stored with it).") var reason: String?
    @Argument(help: "What was done.") var description: String?

    func validate() throws {
        if let at, ISODateTime.normalised(at) == nil {
            throw ValidationError("--at \(at): not an ISO 8601 date; expected \(ISODateTime.expected)")
        }
        guard baselineSize >= 2 else { throw ValidationError("--baseline-size must be at least 2 scans") }
        if delete != nil {
            guard reason.map({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) == true else {
                throw ValidationError("--delete needs --reason (why the event is deleted; it is stored with it)")
            }
            guard description == nil, !list else { throw ValidationError("--delete takes an id and a reason only") }
        } else if list {
            guard scanner != nil else { throw ValidationError("--list needs --scanner") }
        } else {
            guard scanner != nil, description != nil else {
                throw ValidationError("an event needs --scanner and what was done (e.g. \"tube replaced\")")
            }
        }
    }

    func run() throws {
        if let id = delete, let reason {
            let store = try database.open()
            let (event, withdrawn) = try storeCall { () throws(QCStoreError) in try store.deleteEvent(id: id, reason: reason) }
            print("deleted event \(id) on \(event.scanner) at \(event.at) (\(event.description)): \(reason); " +
                  "\(withdrawn) baseline(s) it started withdrawn; judgements already stored are kept")
            return
        }
        guard let scanner else { return }
        if list {
            let store = try database.open(readOnly: true)
            let events = try storeCall { () throws(QCStoreError) in try store.events(scanner: scanner, deleted: true) }
            var rows = [["id", "at", "event", "deleted"]]
            for e in events {
                rows.append(["\(e.id ?? 0)", e.at, e.description, e.deletedAt.map { "\($0): \(e.deleteReason ?? "")" } ?? "—"])
            }
            print(events.isEmpty ? "\(scanner): no service events" : table(rows).joined(separator: "\n"))
            return
        }
        guard let description else { return }
        let store = try database.open()
        let when = at.flatMap(ISODateTime.normalised) ?? String(ISO8601DateFormatter().string(from: Date()).prefix(19))
        let (event, scopes) = try storeCall { () throws(QCStoreError) in
            try store.addEvent(scanner: scanner, at: when, description: description, baselineSize: baselineSize)
        }
        print("event \(event.id ?? 0) on \(event.scanner) at \(event.at): \(event.description); new baseline of \(baselineSize) scans started for \(scopes) phantom/protocol combination(s)")
    }
}

struct QCChart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chart",
        abstract: "Levey–Jennings chart of one metric: mean, ±1/2/3 SD, service events and violations marked (.svg or .html).")

    @OptionGroup var database: DatabaseOption
    @Option(help: "Scanner (station name or device serial number).") var scanner: String
    @Option(help: "Metric, e.g. sigmaCT, betaCT, \"rod C\", \"L1 BMD\".") var metric: String
    @Option(help: "Output file (.svg or .html).") var out: String?
    @OptionGroup var print: PrintOptions

    func validate() throws {
        guard out != nil || print.pdf != nil else { throw ValidationError("give --out FILE (.svg or .html), --pdf FILE, or both") }
        if let out {
            let ext = (out as NSString).pathExtension.lowercased()
            guard ext == "svg" || ext == "html" || ext == "htm" else {
                throw ValidationError("--out \(out): a chart is written as .svg or .html (not .\(ext.isEmpty ? "<none>" : ext))")
            }
        }
    }

    func run() throws {
        let store = try database.open(readOnly: true)
        let points = try storeCall { () throws(QCStoreError) in try store.points(scanner: scanner, metric: metric) }
        guard !points.isEmpty else {
            let names = (try? store.metricNames(scanner: scanner)) ?? []
            printError("no values of \"\(metric)\" for \(scanner); stored metrics: \(names.joined(separator: ", "))")
            throw ExitCode(ReadExit.nothingUsable)
        }
        let events = try storeCall { () throws(QCStoreError) in try store.events(scanner: scanner) }
        let lj = points.map { LeveyJenningsChart.Point(acquired: $0.acquired, value: $0.value, state: $0.state, fired: $0.fired,
                                                       target: $0.target, sd: $0.sd) }
        let title = "\(points[0].scanner): \(metric) (\(points[0].kind), \(points[0].protocolKey))"
        let unit = points[0].unit.replacingOccurrences(of: "cm3", with: "cm³")
        let dates = points.map { String($0.acquired.prefix(10)) }.sorted()
        let page = PrintPage(paper: print.paper.page, institution: print.institution, scanners: [points[0].scanner],
                             dates: dates.first == dates.last ? dates[0] : "\(dates[0]) … \(dates[dates.count - 1])", generated: isoNow())
        let versions = Set(points.map(\.analysisVersion)).sorted().joined(separator: ", ")
        let html = LeveyJenningsChart.html(title: title, unit: unit, points: lj, events: events.map { ($0.at, $0.description) },
                                           provenance: "\(points.count) results; qct \(versions); certificate \(points.last?.certificate ?? "—"); database \(store.path)",
                                           page: page)
        let flagged = points.filter { $0.state == "out of control" }.count
        let summary = "\(points.count) values, \(flagged) out of control, \(events.count) service event(s)"
        if let out {
            let text = out.lowercased().hasSuffix(".svg") ? LeveyJenningsChart.svg(title: title, unit: unit, points: lj, events: events.map { ($0.at, $0.description) }) : html
            try StudyInputs.write(text, to: out, announce: false)
            Swift.print("wrote \(out): \(summary)")
        }
        if let pdf = print.pdf {
            try OutputFile.write(pdf, announce: false) { try PDFPrinter().print(html: html, to: pdf) }
            Swift.print("wrote \(pdf): \(summary)")
        }
    }
}

struct QCExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export every stored metric with its judgement and provenance as CSV.")

    @OptionGroup var database: DatabaseOption
    @Option(help: "CSV file ('-': standard output).") var csv: String = "-"
    @Option(help: "Only this scanner.") var scanner: String?

    func run() throws {
        let store = try database.open(readOnly: true)
        let points = try storeCall { () throws(QCStoreError) in try store.points(scanner: scanner) }
        var lines = ["scanner,device_serial,acquired,series_instance_uid,phantom,kind,protocol,metric,value,unit,baseline_id,target,sd,z,metric_state,rules_fired,result_state,certificate,analysis_version"]
        for p in points {
            let fields: [String] = [p.scanner, p.serial ?? "", p.acquired, p.seriesInstanceUID, p.phantom, p.kind, p.protocolKey, p.metric,
                                    String(p.value), p.unit, p.baselineID.map(String.init) ?? "", p.target.map { String($0) } ?? "",
                                    p.sd.map { String($0) } ?? "", p.z.map { String($0) } ?? "", p.state, p.fired.joined(separator: " "),
                                    p.resultState, p.certificate ?? "", p.analysisVersion]
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        try StudyInputs.write(lines.joined(separator: "\n") + "\n", to: csv)
    }
}
