import Foundation
import Hummingbird
import Logging
import QCTNode
import QCTWorkflows

/// The dashboard's sign-in and its write forms (service event, baseline, rejection): a session
/// cookie opened with a user's API token, and the session's CSRF token in every form
/// (`WebSessions`). Each write answers with a redirect back to the scanner's page, or with a page
/// naming why nothing changed: 401 signed out, 403 forged, 400 refused by the history.
extension DashboardServer {
    struct LoginForm: Decodable { var token: String }
    struct EventForm: Decodable {
        var csrf: String?
        var description: String
        var at: String?
    }
    struct BaselineForm: Decodable {
        var csrf: String?
        var from: String
        var to: String
    }
    struct RejectForm: Decodable {
        var csrf: String?
        var reason: String
    }
    struct CSRFForm: Decodable { var csrf: String? }

    /// A form body (application/x-www-form-urlencoded, at most 16 KB).
    static func form<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: 16 * 1024)
        do { return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: buffer)) } catch {
            throw HTTPError(.badRequest, message: "the form is incomplete")
        }
    }

    func formRoutes(_ router: Router<BasicRequestContext>, access: NodeAccess) {
        let sessions = self.sessions, logger = self.logger, baselineSize = self.baselineSize, store = self.store
        @Sendable func today() -> String { DashboardData(store: store).today }

        router.get("/login") { _, _ -> Response in Self.html(DashboardPages.login(error: nil, today: today())) }
        router.post("/login") { request, _ -> Response in
            let form = try await Self.form(LoginForm.self, request)
            guard let user = try? access.user(authorization: "Bearer " + form.token) else {
                logger.notice("sign-in refused")
                return Self.html(DashboardPages.login(error: "No user has this token.", today: today()), status: .unauthorized)
            }
            let (id, _) = sessions.open(for: user)
            logger.info("signed in", metadata: ["user": "\(user.name)"])
            return Response(status: .seeOther, headers: [.location: "/", .setCookie: sessions.setCookie(id), .cacheControl: "no-store"])
        }
        router.post("/logout") { request, _ -> Response in
            let form = try await Self.form(CSRFForm.self, request)
            if case .success = Self.checkForm(request, csrf: form.csrf, sessions),
               let (id, _) = sessions.session(cookieHeader: request.headers[.cookie]) { sessions.close(id) }
            return Response(status: .seeOther, headers: [.location: "/", .setCookie: sessions.setCookie(nil)])
        }
        router.post("/scanner/:name/event") { request, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            let form = try await Self.form(EventForm.self, request)
            return Self.formWrite(request, csrf: form.csrf, back: "/scanner/\(DashboardPages.component(name))", sessions, logger, today()) { user in
                let at = form.at.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                _ = try access.addEvent(by: user, scanner: name, at: at, description: form.description, baselineSize: baselineSize, now: Self.now())
                return nil
            }
        }
        router.post("/scanner/:name/baseline") { request, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            let form = try await Self.form(BaselineForm.self, request)
            return Self.formWrite(request, csrf: form.csrf, back: "/scanner/\(DashboardPages.component(name))", sessions, logger, today()) { user in
                _ = try access.setBaseline(by: user, scanner: name, from: form.from, to: form.to, now: Self.now())
                return nil
            }
        }
        router.post("/result/:id/reject") { request, context -> Response in
            let form = try await Self.form(RejectForm.self, request)
            guard let id = Int64(try context.parameters.require("id")) else { throw HTTPError(.notFound) }
            return Self.formWrite(request, csrf: form.csrf, back: "/", sessions, logger, today()) { user in
                let r = try access.reject(by: user, resultID: id, reason: form.reason, now: Self.now())
                return "/scanner/\(DashboardPages.component(r.scanner))"
            }
        }
    }

    static func checkForm(_ request: Request, csrf: String?, _ sessions: WebSessions) -> Result<WebSessions.Session, WebSessions.FormRefusal> {
        sessions.check(cookieHeader: request.headers[.cookie], csrf: csrf, origin: request.headers[.origin], host: request.head.authority)
    }

    /// Runs a form's write for the signed-in user and redirects (303) to the page `body` names, else
    /// to `back`; or shows why not.
    static func formWrite(_ request: Request, csrf: String?, back: String, _ sessions: WebSessions, _ logger: Logger, _ today: String,
                          _ body: (QCUser) throws -> String?) -> Response {
        switch checkForm(request, csrf: csrf, sessions) {
        case .failure(.signedOut):
            return html(DashboardPages.refused("Sign in to change the history (your session may have expired).", back: "/login",
                                               today: today, writer: nil), status: .unauthorized)
        case .failure(.forged(let why)):
            logger.warning("form refused", metadata: ["path": "\(request.uri.path)", "reason": "\(why)"])
            return html(DashboardPages.refused("Refused: \(why). Reload the page and send the form again.", back: back,
                                               today: today, writer: nil), status: .forbidden)
        case .success(let session):
            let writer = DashboardPages.Writer(name: session.user.name, role: session.user.role.rawValue, csrf: session.csrf)
            let target: String?
            do {
                target = try body(session.user)
            } catch {
                return html(DashboardPages.refused("\(error)", back: back, today: today, writer: writer), status: .badRequest)
            }
            logger.info("write", metadata: ["user": "\(session.user.name)", "path": "\(request.uri.path)"])
            return Response(status: .seeOther, headers: [.location: target ?? back, .cacheControl: "no-store"])
        }
    }
}
