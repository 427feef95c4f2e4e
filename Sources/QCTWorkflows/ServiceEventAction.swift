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

    /// The action a front end's fields ask for (CLI flags, a form's fields, named alike), or the first
    /// setting that makes none: a time that is not ISO 8601, a baseline under 2 scans, a deletion
    /// without its reason (it is stored with the deletion), a list without a scanner, an event
    /// without a scanner and what was done.
    public init(scanner: String?, at: String?, baselineSize: Int, list: Bool, delete: Int64?, reason: String?,
                description: String?) throws(SettingProblem) {
        if let at, ISODateTime.normalised(at) == nil { throw SettingProblem("at", "\(at): not an ISO 8601 date; expected \(ISODateTime.expected)") }
        guard baselineSize >= 2 else { throw SettingProblem("baseline-size", "must be at least 2 scans") }
        if let delete {
            guard let reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw SettingProblem("delete", "needs --reason (why the event is deleted; it is stored with it)")
            }
            guard description == nil, !list else { throw SettingProblem("delete", "takes an id and a reason only") }
            self = .delete(id: delete, reason: reason)
            return
        }
        guard let scanner else { throw SettingProblem(list ? "list" : "scanner", list ? "needs --scanner" : "is needed, with what was done (e.g. \"tube replaced\")") }
        if list {
            self = .list(scanner: scanner)
            return
        }
        guard let description else { throw SettingProblem("scanner", "is given; what was done is needed too (e.g. \"tube replaced\")") }
        self = .add(scanner: scanner, at: at, description: description, baselineSize: baselineSize)
    }

    /// Whether the action writes to the history.
    public var writes: Bool {
        if case .list = self { return false }
        return true
    }

    /// Carries the action out on `store` as `user`, audited in the same transaction; `now` (ISO 8601)
    /// dates an event given no time. Returns the text to show.
    public func run(on store: any QCHistoryStore, now: String, by user: String = QCAuditEntry.commandLineUser) throws(QCStoreError) -> String {
        switch self {
        case .add(let scanner, let at, let description, let baselineSize):
            let when = at.flatMap(ISODateTime.normalised) ?? String(now.prefix(19))
            let audit = QCAuditEntry(at: now, user: user, action: "add service event", detail: "\(scanner) at \(when): \(description)")
            let (event, scopes) = try store.addEvent(scanner: scanner, at: when, description: description, baselineSize: baselineSize, audit: audit)
            return "event \(event.id ?? 0) on \(event.scanner) at \(event.at): \(event.description); new baseline of \(baselineSize) scans " +
                "started for \(scopes) phantom/protocol combination(s)"
        case .list(let scanner):
            return QCText.events(try store.events(scanner: scanner, deleted: true), scanner: scanner)
        case .delete(let id, let reason):
            let audit = QCAuditEntry(at: now, user: user, action: "delete service event", detail: "event \(id): \(reason)")
            let (event, withdrawn) = try store.deleteEvent(id: id, reason: reason, audit: audit)
            return "deleted event \(id) on \(event.scanner) at \(event.at) (\(event.description)): \(reason); " +
                "\(withdrawn) baseline(s) it started withdrawn; judgements already stored are kept"
        }
    }
}
