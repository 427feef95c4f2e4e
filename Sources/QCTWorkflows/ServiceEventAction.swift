import Foundation
import QCTCore
import QCTQualityControl
import QCTReport

/// What a physicist does with service events: record one (a new baseline starts), list a
/// scanner's, or delete one recorded by mistake (kept with the reason, audited; the baselines it
/// started are withdrawn, judgements already stored stay). The CLI and a dashboard's writer call this.
public enum ServiceEventAction: Sendable {
    case add(scanner: String, at: String?, description: String, baselineSize: Int)
    case list(scanner: String)
    case delete(id: Int64, reason: String)

    /// Whether the action writes to the history.
    public var writes: Bool {
        if case .list = self { return false }
        return true
    }

    /// Carries the action out on `store`; `now` (ISO 8601) dates an event given no time. Returns the text to show.
    public func run(on store: any QCHistoryStore, now: String) throws(QCStoreError) -> String {
        switch self {
        case .add(let scanner, let at, let description, let baselineSize):
            let when = at.flatMap(ISODateTime.normalised) ?? String(now.prefix(19))
            let (event, scopes) = try store.addEvent(scanner: scanner, at: when, description: description, baselineSize: baselineSize)
            return "event \(event.id ?? 0) on \(event.scanner) at \(event.at): \(event.description); new baseline of \(baselineSize) scans " +
                "started for \(scopes) phantom/protocol combination(s)"
        case .list(let scanner):
            return QCText.events(try store.events(scanner: scanner, deleted: true), scanner: scanner)
        case .delete(let id, let reason):
            let (event, withdrawn) = try store.deleteEvent(id: id, reason: reason)
            return "deleted event \(id) on \(event.scanner) at \(event.at) (\(event.description)): \(reason); " +
                "\(withdrawn) baseline(s) it started withdrawn; judgements already stored are kept"
        }
    }
}
