import Crypto
import Foundation
import QCTWorkflows

/// Who may write through the node. Users get an API token (32 random bytes, hex) shown once; the
/// history keeps only its SHA-256 (swift-crypto), so a copy of the database gives no token away.
/// A write names its token in `Authorization: Bearer TOKEN`; reads need none. Since the token is
/// never sent by a browser on its own (no cookie), a page from elsewhere cannot forge a write.
public struct NodeAccess: Sendable {
    public let store: any QCHistoryStore

    public init(store: any QCHistoryStore) { self.store = store }

    public enum Refusal: Error, Sendable, Equatable {
        /// No token, or one no user has (HTTP 401).
        case unauthenticated
    }

    public static func makeToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
    }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Makes a user and returns the token to hand them.
    public func addUser(name: String, role: QCUser.Role, now: String) throws(QCStoreError) -> (QCUser, token: String) {
        let token = Self.makeToken()
        let user = try store.addUser(QCUser(name: name, role: role, createdAt: now), tokenHash: Self.hash(token))
        try store.audit(QCAuditEntry(at: now, user: QCAuditEntry.commandLineUser, action: "add user", detail: "\(name) as \(role.rawValue)"))
        return (user, token)
    }

    /// The user behind an `Authorization` header value, or why not.
    public func user(authorization: String?) throws -> QCUser {
        guard let value = authorization, value.hasPrefix("Bearer ") else { throw Refusal.unauthenticated }
        let token = String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard token.count == 64, let user = try store.user(tokenHash: Self.hash(token)) else { throw Refusal.unauthenticated }
        return user
    }

    /// Records a service event on `scanner` as `user` (a new baseline starts for each protocol);
    /// the audit entry is written in the same transaction.
    public func addEvent(by user: QCUser, scanner: String, at: String?, description: String, baselineSize: Int, now: String) throws -> String {
        guard !description.trimmingCharacters(in: .whitespaces).isEmpty else { throw WorkflowFailure("the event needs a description") }
        if let at, ISODateTime.normalised(at) == nil { throw WorkflowFailure("\(at): not an ISO 8601 date; expected \(ISODateTime.expected)") }
        return try ServiceEventAction.add(scanner: scanner, at: at, description: description, baselineSize: baselineSize)
            .run(on: store, now: now, by: user.name)
    }

    /// Sets a baseline from the scanner's results between two dates, as `user`, audited in the same transaction.
    public func setBaseline(by user: QCUser, scanner: String, from: String, to: String, now: String) throws -> [QCBaseline] {
        for d in [from, to] where ISODateTime.normalised(d) == nil {
            throw WorkflowFailure("\(d): not an ISO 8601 date; expected \(ISODateTime.expected)")
        }
        return try store.setBaseline(scanner: scanner, from: from, to: to,
                                     audit: QCAuditEntry(at: now, user: user.name, action: "set baseline", detail: "\(scanner) from \(from) to \(to)"))
    }

    /// Rejects result `id` with `reason`, as `user`, audited in the same transaction.
    public func reject(by user: QCUser, resultID: Int64, reason: String, now: String) throws -> QCRejection {
        try store.reject(resultID: resultID, by: user.name, reason: reason,
                         audit: QCAuditEntry(at: now, user: user.name, action: "reject result", detail: "result \(resultID): \(reason)"))
    }
}
