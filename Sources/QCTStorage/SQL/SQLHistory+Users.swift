import Foundation
import QCTQualityControl

extension SQLHistoryBackend {
    public func addUser(_ user: QCUser, tokenHash: String) throws(QCStoreError) -> QCUser {
        try write { db -> QCUser in
            if try db.row("SELECT id FROM \"user\" WHERE name = ?", [user.name]) != nil {
                throw QCStoreError("a user named \(user.name) exists")
            }
            let id = try db.insert("INSERT INTO \"user\" (name, role, tokenHash, createdAt) VALUES (?, ?, ?, ?)",
                           [user.name, user.role.rawValue, tokenHash, user.createdAt])
            var stored = user
            stored.id = id
            return stored
        }
    }

    public func user(tokenHash: String) throws(QCStoreError) -> QCUser? {
        try read { db -> QCUser? in
            guard try db.tableExists("user"),
                  let row = try db.row("SELECT * FROM \"user\" WHERE tokenHash = ?", [tokenHash]),
                  let role = QCUser.Role(rawValue: row["role"]) else { return nil }
            return QCUser(id: row["id"], name: row["name"], role: role, createdAt: row["createdAt"])
        }
    }

    public func audit(_ entry: QCAuditEntry) throws(QCStoreError) {
        try write { db in try Self.insertAudit(db, entry) }
    }

    public func auditLog(limit: Int = 200) throws(QCStoreError) -> [QCAuditEntry] {
        try read { db -> [QCAuditEntry] in
            guard try db.tableExists("audit") else { return [] }
            return try db.rows("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [max(0, limit)]).map {
                QCAuditEntry(id: $0["id"], at: $0["at"], user: $0["user"], action: $0["action"], detail: $0["detail"])
            }
        }
    }
}
