import Foundation

/// Someone who may write through a QC node: a name, a role and the hash of their API token (the
/// token itself is shown once, when the user is made, and never stored).
public struct QCUser: Codable, Hashable, Sendable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Records service events and sets baselines.
        case physicist
        /// A physicist who may also manage users.
        case admin
    }

    public var id: Int64?
    public var name: String
    public var role: Role
    public var createdAt: String

    public init(id: Int64? = nil, name: String, role: Role, createdAt: String) {
        self.id = id
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }
}

/// One change made through a node: who, when, what (kept for good; the audit log).
public struct QCAuditEntry: Codable, Hashable, Sendable {
    public var id: Int64?
    public var at: String
    public var user: String
    public var action: String
    public var detail: String

    public init(id: Int64? = nil, at: String, user: String, action: String, detail: String) {
        self.id = id
        self.at = at
        self.user = user
        self.action = action
        self.detail = detail
    }
}
