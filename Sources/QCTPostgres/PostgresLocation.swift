import Foundation
import QCTQualityControl

/// A PostgreSQL history named by URL: `postgresql://user[:password]@host[:port]/dbname[?sslmode=disable|require]`
/// (`postgres://` too). Without a password in the URL, `PGPASSWORD` is used, as libpq does.
public struct PostgresLocation: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var requireTLS: Bool

    /// Whether `text` names a PostgreSQL database rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Parses the URL; a malformed one is refused with what is wrong (never echoing a password).
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(QCStoreError) {
        guard Self.isURL(text), let c = URLComponents(string: text) else {
            throw QCStoreError("\(Self.redacted(text)): not a PostgreSQL URL (postgresql://user@host:port/dbname)")
        }
        guard let user = c.user, !user.isEmpty else {
            throw QCStoreError("\(Self.redacted(text)): no user (postgresql://user@host:port/dbname)")
        }
        guard let host = c.host, !host.isEmpty else {
            throw QCStoreError("\(Self.redacted(text)): no host (postgresql://user@host:port/dbname)")
        }
        let name = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        guard !name.isEmpty, !name.contains("/") else {
            throw QCStoreError("\(Self.redacted(text)): no database name (postgresql://user@host:port/dbname)")
        }
        if let p = c.port, !(1...65535).contains(p) {
            throw QCStoreError("\(Self.redacted(text)): port \(p) is out of range")
        }
        var tls = false
        for item in c.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"), ("sslmode", "prefer"), ("sslmode", "allow"): tls = false
            case ("sslmode", "require"): tls = true
            default:
                throw QCStoreError("\(Self.redacted(text)): unknown parameter \(item.name)=\(item.value ?? "") (only sslmode=disable|require)")
            }
        }
        self.user = user
        self.password = c.password ?? environment["PGPASSWORD"]
        self.host = host
        self.port = c.port ?? 5432
        self.database = name
        self.requireTLS = tls
    }

    /// The URL for people and logs: no password.
    public var description: String { "postgresql://\(user)@\(host):\(port)/\(database)" }

    /// `text` with any password replaced, for messages about a URL that did not parse.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at else { return text }
        let credentials = text[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
