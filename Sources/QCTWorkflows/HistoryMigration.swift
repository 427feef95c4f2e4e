import Foundation
import QCTQualityControl
import QCTStorage

/// `qct qc migrate`: copies a site's QC history (an SQLite file) into another store (the network's
/// PostgreSQL server, or another file) with `HistoryCopy`, then verifies it: per table, the
/// source's rows are all in the target (copied now or already there), and the checksum over
/// every judged value reads the same from both. Running it again copies nothing twice.
public enum HistoryMigration {
    public static func run(from source: String, to target: String) throws(WorkflowFailure) -> HistoryCopy.Report {
        guard !QCStoreLocation.isServer(source) else {
            throw WorkflowFailure(.refused, "\(QCStoreLocation.describe(source)): --from takes an SQLite file (a site's history)")
        }
        guard FileManager.default.fileExists(atPath: source) else {
            throw WorkflowFailure(.refused, "\(source): no QC database there")
        }
        let from = try QCStoreLocation.open(source, readOnly: true).store
        let to = try QCStoreLocation.open(target).store
        guard let a = from as? any SQLHistoryBackend, let b = to as? any SQLHistoryBackend else {
            throw WorkflowFailure(.refused, "these stores cannot be copied")
        }
        do { return try HistoryCopy.copy(from: a, to: b) } catch {
            throw WorkflowFailure(.refused, "\(QCStoreLocation.describe(target)): nothing copied: \(error)")
        }
    }

    /// The report as a table: rows per table, then both checksums.
    public static func text(_ r: HistoryCopy.Report, source: String, target: String) -> String {
        var lines = ["Migration \(source) → \(target)", "table             source   copied  present"]
        for t in r.tables {
            lines.append(t.table.padding(toLength: 16, withPad: " ", startingAt: 0)
                         + [t.source, t.copied, t.present].map { String($0).leftPadded(9) }.joined())
        }
        lines.append("judged values SHA-256: source \(r.sourceChecksum)")
        lines.append("                       target \(r.targetChecksum)")
        lines.append(r.verified ? "verified: every row is in the target and the judged values match"
                                : "NOT VERIFIED: the target differs from the source")
        return lines.joined(separator: "\n")
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
