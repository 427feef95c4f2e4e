import Foundation
import QCTQualityControl
import QCTReport

/// A Levey–Jennings chart of one scanner's metric from the QC history, as SVG or as a printable page.
public struct QCChartDocument: Sendable {
    public var svg: String
    /// The printable page (drawn when asked for: a dashboard needs only the SVG).
    public var html: String {
        LeveyJenningsChart.html(title: title, unit: unit, points: lj, events: events, provenance: provenance, page: page)
    }
    let title: String, unit: String, provenance: String
    let lj: [LeveyJenningsChart.Point]
    let events: [(at: String, text: String)]
    let page: PrintPage
    /// `N values, K out of control, E service event(s)`.
    public var summary: String

    /// The chart's outputs checked before anything is read: at least one, and a chart file is .svg,
    /// .html or .htm.
    public static func problems(out: String?, pdf: String?) -> [SettingProblem] {
        guard out != nil || pdf != nil else { return [SettingProblem("out", "FILE (.svg or .html), --pdf FILE, or both are needed")] }
        guard let out else { return [] }
        let ext = (out as NSString).pathExtension.lowercased()
        return ["svg", "html", "htm"].contains(ext) ? [] : [SettingProblem("out", "\(out): a chart is written as .svg or .html (not .\(ext.isEmpty ? "<none>" : ext))")]
    }

    /// The chart as `path`'s extension asks: SVG for .svg, else the HTML page.
    public func text(forPath path: String) -> String { path.lowercased().hasSuffix(".svg") ? svg : html }

    /// Reads the metric's values and the scanner's events from `store`; a metric with no values is a
    /// failure naming the metrics stored.
    public init(store: any QCHistoryStore, scanner: String, metric: String, paper: PrintPage.Paper = .a4, institution: String? = nil,
                generated: String) throws {
        let points = try store.points(scanner: scanner, metric: metric)
        guard let first = points.first else {
            let names = (try? store.metricNames(scanner: scanner)) ?? []
            throw WorkflowFailure("no values of \"\(metric)\" for \(scanner); stored metrics: \(names.joined(separator: ", "))")
        }
        let events = try store.events(scanner: scanner, deleted: false).map { (at: $0.at, text: $0.description) }
        let lj = points.map { LeveyJenningsChart.Point(acquired: $0.acquired, value: $0.value, state: $0.state, fired: $0.fired,
                                                       target: $0.target, sd: $0.sd) }
        let title = "\(first.scanner): \(metric) (\(first.kind), \(first.protocolKey))"
        let unit = first.unit.replacingOccurrences(of: "cm3", with: "cm³")
        let dates = points.map { String($0.acquired.prefix(10)) }.sorted()
        let page = PrintPage(paper: paper, institution: institution, scanners: [first.scanner],
                             dates: dates.first == dates.last ? dates[0] : "\(dates[0]) … \(dates[dates.count - 1])", generated: generated)
        let versions = Set(points.map(\.analysisVersion)).sorted().joined(separator: ", ")
        svg = LeveyJenningsChart.svg(title: title, unit: unit, points: lj, events: events)
        (self.title, self.unit, self.lj, self.events, self.page) = (title, unit, lj, events, page)
        provenance = "\(points.count) results; qct \(versions); certificate \(points.last?.certificate ?? "—"); database \(store.location)"
        let flagged = points.filter { $0.state == .outOfControl }.count
        summary = "\(points.count) values, \(flagged) out of control, \(events.count) service event(s)"
    }
}
