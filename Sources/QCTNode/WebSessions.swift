import Crypto
import Foundation
import Synchronization
import QCTWorkflows

/// Sessions for the dashboard's forms. A user signs in with their API token; the node answers
/// with a session cookie (random, HttpOnly, SameSite=Strict, kept in memory only, 8 hours) and
/// gives the session a CSRF token of its own that every form carries in a hidden field. A write
/// from a form needs both, and an Origin header, when the browser sends one, naming this node:
/// the synchronizer-token pattern with same-site cookies of the OWASP CSRF Prevention Cheat Sheet
/// (Docs/references.md). A restart signs everyone out.
public final class WebSessions: Sendable {
    public struct Session: Sendable {
        public let user: QCUser
        /// The hidden form field every write carries.
        public let csrf: String
        let expires: Date
    }

    public static let cookieName = "qct_session"
    public let lifetime: TimeInterval
    private let sessions = Mutex<[String: Session]>([:])

    public init(lifetime: TimeInterval = 8 * 3600) { self.lifetime = lifetime }

    /// Opens a session for `user`; returns its id (the cookie's value).
    public func open(for user: QCUser, now: Date = Date()) -> (id: String, session: Session) {
        let id = NodeAccess.makeToken(), session = Session(user: user, csrf: NodeAccess.makeToken(), expires: now + lifetime)
        sessions.withLock { all in
            all = all.filter { $0.value.expires > now }
            all[id] = session
        }
        return (id, session)
    }

    /// The live session a Cookie header names, if any.
    public func session(cookieHeader: String?, now: Date = Date()) -> (id: String, session: Session)? {
        guard let id = Self.cookie(Self.cookieName, in: cookieHeader) else { return nil }
        return sessions.withLock { all in
            guard let s = all[id] else { return nil }
            guard s.expires > now else {
                all[id] = nil
                return nil
            }
            return (id, s)
        }
    }

    public func close(_ id: String) { _ = sessions.withLock { $0.removeValue(forKey: id) } }

    /// Why a form's write is refused, or nil when it may go ahead: no session (401), or a CSRF
    /// token or Origin that is not this session's and this node's (403).
    public enum FormRefusal: Error, Sendable, Equatable {
        case signedOut
        case forged(String)
    }

    public func check(cookieHeader: String?, csrf: String?, origin: String?, host: String?, now: Date = Date()) -> Result<Session, FormRefusal> {
        guard let (_, s) = session(cookieHeader: cookieHeader, now: now) else { return .failure(.signedOut) }
        guard let csrf, Self.constantTimeEqual(csrf, s.csrf) else { return .failure(.forged("the form's CSRF token is not this session's")) }
        if let origin, origin != "null" {
            guard let host, let url = URL(string: origin), let oh = url.host else { return .failure(.forged("Origin \(origin) is not this node")) }
            let originHost = oh + (url.port.map { ":\($0)" } ?? "")
            guard originHost.lowercased() == host.lowercased() else { return .failure(.forged("Origin \(origin) is not this node (\(host))")) }
        } else if origin == "null" {
            return .failure(.forged("Origin null (a sandboxed or cross-origin page)"))
        }
        return .success(s)
    }

    /// The Set-Cookie value for a session id (nil: the cookie that deletes it).
    public func setCookie(_ id: String?) -> String {
        guard let id else { return "\(Self.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" }
        return "\(Self.cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(lifetime))"
    }

    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0] == name, !kv[1].isEmpty { return kv[1] }
        }
        return nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
