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

    func run() throws {
        let store = try database.open(readOnly: true)
        let latest = try storeCall { () throws(QCStoreError) in try store.latestResults() }
        guard !latest.isEmpty else {
            printError("\(store.path): no results recorded yet")
            throw ExitCode(ReadExit.nothingUsable)
        }
        print(json ? try jsonString(latest) : QCText.status(latest, verbose: verbose))
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
        print(QCText.baselines(made, from: from, to: to))
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
            print(QCText.events(events, scanner: scanner))
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
        let chart = try Console.run {
            do { return try QCChartDocument(store: store, scanner: scanner, metric: metric, paper: print.paper.page, institution: print.institution,
                                            generated: isoNow()) } catch let e as QCStoreError { throw WorkflowFailure("error: \(e)") }
        }
        let summary = chart.summary
        if let out {
            let text = out.lowercased().hasSuffix(".svg") ? chart.svg : chart.html
            try StudyInputs.write(text, to: out, announce: false)
            Swift.print("wrote \(out): \(summary)")
        }
        if let pdf = print.pdf {
            try OutputFile.write(pdf, announce: false) { try PDFPrinter().print(html: chart.html, to: pdf) }
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
        try StudyInputs.write(QCText.csv(points), to: csv)
    }
}
