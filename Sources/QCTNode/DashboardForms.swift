import Foundation
import QCTWorkflows

/// The dashboard's write forms and sign-in page. Forms appear only to a signed-in user; each
/// carries the session's CSRF token (`WebSessions`) and posts to the node, which answers with a
/// redirect back to the page (post/redirect/get). No script is needed.
extension DashboardPages {
    /// The signed-in user a page is drawn for.
    public struct Writer: Sendable {
        public var name: String
        public var role: String
        public var csrf: String

        public init(name: String, role: String, csrf: String) {
            self.name = name
            self.role = role
            self.csrf = csrf
        }
    }

    static func csrfField(_ w: Writer) -> String { "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(w.csrf))\">" }

    static func signedIn(_ writer: Writer?) -> String {
        guard let w = writer else { return "<span class=\"who\"><a href=\"/login\">Sign in</a></span>" }
        return "<span class=\"who\">\(escape(w.name)) (\(escape(w.role))) <form method=\"post\" action=\"/logout\">\(csrfField(w))"
            + "<button type=\"submit\">Sign out</button></form></span>"
    }

    static func rejectForm(_ r: QCStoredResult, scanner: String, writer: Writer?) -> String {
        guard let w = writer else { return "" }
        return """
            <form class="write" method="post" action="/result/\(r.id)/reject">\(csrfField(w))
            <label>Reject result \(r.id) because <input name="reason" required size="50" placeholder="phantom misplaced, scan repeated…"></label>
            <button type="submit">Reject</button></form>
            """
    }

    static func eventForm(scanner: String, writer: Writer?) -> String {
        guard let w = writer else { return "<p><a href=\"/login\">Sign in</a> to record a service event, set a baseline or reject a result.</p>" }
        return """
            <form class="write" method="post" action="/scanner/\(component(scanner))/event">\(csrfField(w))
            <label>What was done <input name="description" required size="40" placeholder="X-ray tube replaced"></label>
            <label>When <input name="at" placeholder="now, or YYYY-MM-DDTHH:MM"></label>
            <button type="submit">Record service event</button></form>
            """
    }

    static func baselineForm(scanner: String, writer: Writer?) -> String {
        guard let w = writer else { return "<p>Baselines start with the first scans and after each service event.</p>" }
        return """
            <form class="write" method="post" action="/scanner/\(component(scanner))/baseline">\(csrfField(w))
            <label>Set the baseline from <input name="from" required placeholder="YYYY-MM-DD"></label>
            <label>to <input name="to" required placeholder="YYYY-MM-DD"></label>
            <button type="submit">Set baseline</button></form>
            """
    }

    static func rejectionsTable(_ rejections: [QCRejection]) -> String {
        guard !rejections.isEmpty else { return "<p>None.</p>" }
        return "<table><tr><th>result</th><th>acquired</th><th>kind</th><th>judged</th><th>rejected</th><th>by</th><th>reason</th></tr>"
            + rejections.map { r in
                "<tr data-rejected=\"\(r.resultID)\"><td class=\"num\">\(r.resultID)</td><td>\(escape(r.acquired))</td><td>\(escape(r.kind))</td>"
                    + "<td>\(escape(r.state.rawValue))</td><td>\(escape(r.rejectedAt))</td><td>\(escape(r.rejectedBy))</td><td>\(escape(r.reason))</td></tr>"
            }.joined() + "</table>"
    }

    /// The sign-in page: a user's API token (from `qct serve --add-user`) opens a session.
    public static func login(error: String?, today: String) -> String {
        let notice = error.map { "<p class=\"notice\">\(escape($0))</p>" } ?? ""
        return page("Sign in", """
            \(notice)<p>Reading needs no sign-in. To write (service events, baselines, rejections), sign in with the API token \
            <code>qct serve --add-user NAME</code> printed for you.</p>
            <form class="write" method="post" action="/login"><label>API token <input name="token" type="password" required size="70" \
            autocomplete="current-password"></label><button type="submit">Sign in</button></form>
            """, today: today)
    }

    /// A refused write from a form: the reason, and the way back.
    public static func refused(_ reason: String, back: String, today: String, writer: Writer?) -> String {
        page("Not changed", "<p class=\"notice\">\(escape(reason))</p><p><a href=\"\(escape(back))\">Back</a></p>", today: today, writer: writer)
    }
}
