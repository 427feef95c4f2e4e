import Foundation
import Hummingbird
import QCTWorkflows
import Synchronization

/// What the dashboard drew for a URL, kept until the history changes (`QCHistoryStore.changeToken`)
/// or the day does: pages, charts and API answers are pure functions of the two, and a dashboard's
/// readers ask for the same few many times between two recordings. Pages drawn for a signed-in
/// user (they carry the session's CSRF token) are never kept.
final class ResponseCache: Sendable {
    struct Page: Sendable {
        var bytes: ByteBuffer
        var type: String
        var status: HTTPResponse.Status

        var response: Response {
            Response(status: status, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: bytes))
        }
    }

    private struct Entry: Sendable {
        var token: String
        var page: Page
    }

    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(capacity: Int = 512) { self.capacity = capacity }

    /// The page for `key` drawn when the history was at `token`, or `build`'s, kept for next time.
    /// No key or no token: drawn every time.
    func page(_ key: String?, token: String?, _ build: () throws -> Page) rethrows -> Response {
        guard let key, let token else { return try build().response }
        if let hit = entries.withLock({ $0[key] }), hit.token == token { return hit.page.response }
        let page = try build()
        if page.status == .ok {
            entries.withLock { all in
                if all.count >= capacity { all.removeAll(keepingCapacity: true) }
                all[key] = Entry(token: token, page: page)
            }
        }
        return page.response
    }
}
