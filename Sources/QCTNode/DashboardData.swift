import Foundation
import QCTWorkflows

/// What the dashboard and its JSON API show, read from the history: phantom data only (scanner
/// labels, protocols, metrics, UIDs, service events, the node's inputs), never a patient
/// identifier, which the history does not hold.
public struct DashboardData: Sendable {
    public let store: any QCHistoryStore
    /// Today's date at the node, YYYY-MM-DD (scan dates are the scanner's local dates).
    public let today: String

    public init(store: any QCHistoryStore, now: Date = Date()) {
        self.store = store
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd"
        today = f.string(from: now)
    }

    /// One scanner's state today.
    public struct ScannerState: Codable, Sendable {
        public var scanner: String
        /// "in control", "warning", "out of control", "baseline", or "no scan yet today".
        public var state: String
        /// The acquisition time of its last result.
        public var lastAcquired: String?
        /// The last result of each protocol and kind.
        public var latest: [QCStoredResult]
        /// The scanner's site, in a network's shared history.
        public var site: String?
    }

    public static let noScanToday = "no scan yet today"

    public func scanners() throws -> [ScannerState] {
        let latest = try store.latestResults()
        return Dictionary(grouping: latest, by: \.scanner).map { scanner, results in
            let todays = results.filter { $0.acquired.hasPrefix(today) }
            let state = todays.map(\.state).max()?.rawValue ?? Self.noScanToday
            return ScannerState(scanner: scanner, state: state, lastAcquired: results.map(\.acquired).max(),
                                latest: results.sorted { ($0.kind, $0.protocolKey) < ($1.kind, $1.protocolKey) }, site: results.first?.site)
        }.sorted { ($0.site ?? "", $0.scanner) < ($1.site ?? "", $1.scanner) }
    }

    public func scanner(_ name: String) throws -> ScannerState? { try scanners().first { $0.scanner == name } }

    public func points(scanner: String, metric: String?) throws -> [QCPoint] { try store.points(scanner: scanner, metric: metric) }

    public func metricNames(scanner: String) throws -> [String] { try store.metricNames(scanner: scanner) }

    public func events(scanner: String) throws -> [QCEvent] { try store.events(scanner: scanner, deleted: false) }

    /// One check of the analysis a result came from (rods found, R², residuals, vertebrae found, …).
    public struct Check: Codable, Sendable {
        public var name: String
        public var status: String
        public var detail: String
    }

    /// The checks kept in each result's provenance (none when it holds no `checks` list).
    public func checks(_ results: [QCStoredResult]) throws -> [Int64: [Check]] {
        struct Analysis: Decodable { var checks: [Check]? }
        var out: [Int64: [Check]] = [:]
        for r in results {
            guard let json = try store.provenance(resultID: r.id),
                  let analysis = try? JSONDecoder().decode(Analysis.self, from: Data(json.utf8)) else { continue }
            out[r.id] = analysis.checks ?? []
        }
        return out
    }

    public func rejections(scanner: String?) throws -> [QCRejection] { try store.rejections(scanner: scanner) }

    /// Of these results, the ones with an overlay picture kept.
    public func pictures(_ results: [QCStoredResult]) throws -> Set<Int64> {
        Set(try results.filter { try store.picture(resultID: $0.id) != nil }.map(\.id))
    }

    public func inputs(outcomes: Set<QCInputRecord.Outcome>?, limit: Int = 200) throws -> [QCInputRecord] {
        try store.inputs(outcomes: outcomes, limit: limit)
    }

    /// The Levey–Jennings chart of one metric, SVG.
    public func chart(scanner: String, metric: String) throws -> String {
        try QCChartDocument(store: store, scanner: scanner, metric: metric, generated: today).svg
    }
}
