import ArgumentParser
import Foundation
import QCTWorkflows

struct QC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qc",
        abstract: "Daily QC: record phantom scans, baselines, control rules, Levey–Jennings charts, export.",
        subcommands: [QCRecord.self, QCStatus.self, QCBaselineCommand.self, QCEventCommand.self, QCReject.self, QCChart.self, QCExport.self, QCMigrate.self, QCCrossCal.self])
}

/// Exit status of a QC state: 0 in control (or collecting a baseline), 3 warning, 4 out of control.
func exitStatus(_ worst: ControlState?) -> Int32 { worst == .outOfControl ? 4 : worst == .warning ? 3 : 0 }

struct QCRecord: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Analyse daily phantom scans and store every metric with its judgement.",
        discussion: """
            Recognises what each series holds (an ESP on a calibration pad, or a calibration/QA phantom alone), runs \
            calibration and measurement, and stores σ_CT, β_CT, R², each rod's HU and each vertebra's BMD with the scanner, \
            protocol, acquisition time, analysis version, certificate, and the baseline and limits in force. The first \
            --baseline-size scans of a scanner, protocol and phantom form its baseline. A series already stored is reported, \
            not stored again. Exit status: 0 in control (or baseline), 3 warning, 4 out of control, 2 nothing usable.
            """)
    @Argument(help: "Folders or files of CT series.") var inputs: [String]
    @OptionGroup var database: DatabaseOption
    @Option(help: "Scans forming a new baseline.") var baselineSize: Int = 15
    @Option(help: "CUSUM decision interval h, in baseline SDs (k = 0.5 SD).") var cusumH: Double = 5
    @OptionGroup var measure: MeasureOptions
    @OptionGroup var seriesChoice: SeriesOption
    @Flag(help: "Print JSON (one object per series).") var json = false

    func validate() throws { try reject(QCRecorder.problems(baselineSize: baselineSize, cusumH: cusumH)) }

    func run() throws {
        let store = try database.open()
        let measurement = try measure.measurement()
        let recorder = try Console.run {
            QCRecorder(recognition: try PhantomRecognition(measurement: measurement), store: store, baselineSize: baselineSize, cusumH: cusumH)
        }
        let plan = try Console.run { try recorder.plan(inputs, selection: seriesChoice.selection, report: Console.report) }
        let progress = BatchProgress(total: plan.series.count, verb: "recorded")
        let interruption = onInterrupt(progress)
        defer { interruption.forEach { $0.cancel() } }
        let batch = try storeCall { try recorder.record(plan, report: Console.report, progress: progress) { series, outcome in
            let folder = SeriesInput.commonFolder(series.filePaths)
            switch outcome {
            case .duplicate(let recordedAt, let scanner, let acquired):
                printNow(QCText.duplicate(folder: folder, series: series.seriesInstanceUID, scanner: scanner, acquired: acquired, recordedAt: recordedAt))
            case .stored(let r): printNow(json ? try jsonString(r) : QCText.recorded(r, folder: folder))
            }
        } }
        if batch.outcomes.isEmpty { try fail("nothing recorded: no usable series in \(inputs.joined(separator: " "))") }
        for w in batch.warnings { printError("warning: " + w) }
        // A result stored from incomplete input warns (3) even when it is in control.
        let code = max(exitStatus(batch.worst), batch.warnings.isEmpty ? 0 : 3)
        if code != 0 { throw ExitCode(code) }
    }
}


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
        let latest = try storeCall { try store.latestResults() }
        if latest.isEmpty { try fail("\(store.location): no results recorded yet") }
        print(json ? try jsonString(latest) : QCText.status(latest, verbose: verbose))
        let code = exitStatus(latest.map(\.state).max())
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
        let audit = QCAuditEntry(at: isoNow(), user: QCAuditEntry.commandLineUser, action: "set baseline", detail: "\(scanner) from \(from) to \(to)")
        let made = try storeCall { try store.setBaseline(scanner: scanner, from: from, to: to, audit: audit) }
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
    @Option(help: "Scans forming the new baseline.") var baselineSize: Int = 15
    @Flag(help: "List the scanner's service events with their ids.") var list = false
    @Option(help: "Delete the service event with this id (see --list); needs --reason.") var delete: Int64?
    @Option(help: "Why the event is deleted (stored with it).") var reason: String?
    @Argument(help: "What was done.") var description: String?

    var action: ServiceEventAction {
        get throws {
            do { return try ServiceEventAction(scanner: scanner, at: at, baselineSize: baselineSize, list: list, delete: delete, reason: reason,
                                               description: description) } catch { throw ValidationError("--\(error)") }
        }
    }

    func validate() throws { _ = try action }

    func run() throws {
        let action = try action
        let store = try database.open(readOnly: !action.writes)
        print(try storeCall { try action.run(on: store, now: isoNow()) })
    }
}

struct QCReject: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject",
        abstract: "Reject a stored result (a misplaced phantom, a repeated scan): kept with the reason, it stops counting.",
        discussion: """
            The result leaves the baseline it belongs to (recomputed without it), the rule windows of later results, the charts \
            and the scanner's state; its own judgement is kept. The id is the result's (qct qc status --json, the dashboard). Audited.
            """)
    @OptionGroup var database: DatabaseOption
    @Argument(help: "The result's id.") var result: Int64
    @Option(help: "Why it is rejected (stored with it).") var reason: String

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason: say why the result is rejected") }
    }

    func run() throws {
        let store = try database.open()
        let user = QCAuditEntry.commandLineUser
        let r = try storeCall {
            try store.reject(resultID: result, by: user, reason: reason,
                             audit: QCAuditEntry(at: isoNow(), user: user, action: "reject result", detail: "result \(result): \(reason)"))
        }
        print("rejected result \(r.resultID) (\(r.scanner), \(r.kind), acquired \(r.acquired), judged \(r.state.rawValue)): \(r.reason)")
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

    func validate() throws { try reject(QCChartDocument.problems(out: out, pdf: print.pdf)) }

    func run() throws {
        let store = try database.open(readOnly: true)
        let chart = try Console.run {
            try storeCall { try QCChartDocument(store: store, scanner: scanner, metric: metric, paper: print.paper.page, institution: print.institution, generated: isoNow()) }
        }
        if let out { try OutputFile.write(chart.text(forPath: out), to: out, announce: false) }
        try print.write(chart.html, announce: false)
        for path in [out, print.pdf].compactMap({ $0 }) { Swift.print("wrote \(path): \(chart.summary)") }
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
        let points = try storeCall { try store.points(scanner: scanner, metric: nil) }
        try OutputFile.write(QCText.csv(points), to: csv)
    }
}

struct QCMigrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a site's QC history (SQLite) into another store, e.g. the network's PostgreSQL server, and verify it.",
        discussion: """
            Rows keep what they are and get the target's ids; running it again copies nothing twice. Verified by row counts \
            per table and a SHA-256 over every judged value, read from both. Exit status: 0 verified, 2 refused or not verified.
            """)
    @Option(help: "The site's SQLite QC database.") var from: String
    @Option(help: "Target: postgresql://user@host:port/dbname, or an SQLite path.") var to: String

    func run() throws {
        let report = try Console.run { try HistoryMigration.run(from: from, to: to) }
        print(HistoryMigration.text(report, source: from, target: QCStoreLocation.describe(to)))
        if !report.verified { throw ExitCode(2) }
    }
}

struct QCCrossCal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosscal",
        abstract: "The cross-calibration equation in force for a scanner, its versions and the service events around them.",
        discussion: "Exit status: 0 in force; 3 a service event came after its scans (re-derive it); 2 none kept.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The scanner (station, label or serial).") var scanner: String
    @Flag(help: "Print JSON (every version).") var json = false

    func run() throws {
        let store = try database.open(readOnly: true)
        let status = try Console.run { try CrossCalibrationInForce(store: store, scanner: scanner) }
        print(json ? try jsonString(status.versions.map(\.equation)) : status.text)
        if !status.serviceSince.isEmpty { throw ExitCode(3) }
    }
}
