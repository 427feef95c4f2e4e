import Foundation

/// Someone who may write through a QC node: a name, a role and the hash of their API token (the
/// token itself is shown once, when the user is made, and never stored).
public struct QCUser: Codable, Hashable, Sendable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// Records service events, sets baselines and rejects results.
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

/// One change to the history: who, when, what (kept for good; the audit log). Changes made
/// through a node name its user; changes made with the command line name the account that ran it.
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

extension QCAuditEntry {
    /// Who made a change from the command line: the account's login name, marked as such.
    public static var commandLineUser: String {
        var name = ProcessInfo.processInfo.environment["USER"] ?? ""
        if name.isEmpty, let pw = getpwuid(getuid()), let login = pw.pointee.pw_name { name = String(cString: login) }
        return "\(name.isEmpty ? "uid \(getuid())" : name) (command line)"
    }
}
