import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import QCTNode
import QCTWorkflows

/// The node's HTTP front end (Hummingbird 2): dashboard pages and the versioned JSON API
/// (`/api/v1/…`, Docs/server.md), read from the history through `DashboardData`. It binds to
/// 127.0.0.1 unless configured, reads need no login, and everything it shows is phantom data.
public struct DashboardServer: Sendable {
    public var host = "127.0.0.1"
    /// 0: any free port (announced through `onRunning`).
    public var port = 8080
    public let store: any QCHistoryStore
    public let logger: Logger
    /// Served at /metrics in Prometheus's text format (the node's swift-metrics go here once
    /// `bootstrapMetrics` has run).
    public let registry: PrometheusCollectorRegistry

    /// Scans in a baseline started by a service event recorded here.
    public var baselineSize = 15
    /// Signed-in users of the dashboard's forms.
    public let sessions = WebSessions()

    public init(store: any QCHistoryStore, host: String = "127.0.0.1", port: Int = 8080, logger: Logger,
                registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.store = store
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Serves until the process gets SIGINT or SIGTERM.
    public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "qct"),
                              onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let store = self.store
        @Sendable func data() -> DashboardData { DashboardData(store: store) }

        router.get("/healthz") { _, _ -> Response in
            do {
                _ = try store.inputs(outcomes: nil, limit: 1)
                return Self.json(["status": "ok", "database": "ok"])
            } catch {
                return Self.json(["status": "unavailable", "database": "\(error)"], status: .serviceUnavailable)
            }
        }
        let registry = self.registry
        router.get("/metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let sessions = self.sessions
        @Sendable func writer(_ request: Request) -> DashboardPages.Writer? {
            sessions.session(cookieHeader: request.headers[.cookie]).map {
                DashboardPages.Writer(name: $0.session.user.name, role: $0.session.user.role.rawValue, csrf: $0.session.csrf)
            }
        }
        let cache = ResponseCache()
        /// The history's change token and today's date: a kept page is good while both hold.
        @Sendable func token() -> String? { (try? store.changeToken()).map { "\($0)|\(data().today)" } }
        router.get("/") { request, _ -> Response in
            let w = writer(request)
            return try cache.page(w == nil ? "/" : nil, token: token()) {
                let d = data()
                return Self.htmlPage(DashboardPages.scanners(try d.scanners(), today: d.today, writer: w))
            }
        }
        router.get("/scanner/:name") { request, context -> Response in
            let name = Self.decoded(try context.parameters.require("name")), w = writer(request)
            return try cache.page(w == nil ? "/scanner/\(name)" : nil, token: token()) {
                let d = data()
                guard let s = try d.scanner(name) else {
                    return Self.htmlPage(DashboardPages.notFound("No scanner \(name).", today: d.today), status: .notFound)
                }
                return Self.htmlPage(DashboardPages.scanner(s, metrics: try d.metricNames(scanner: name), events: try d.events(scanner: name),
                                                            rejections: try d.rejections(scanner: name), pictures: try d.pictures(s.latest),
                                                            checks: try d.checks(s.latest), today: d.today, writer: w))
            }
        }
        router.get("/result/:id/picture.svg") { _, context -> Response in
            guard let id = Int64(try context.parameters.require("id")), let svg = try store.picture(resultID: id) else {
                return Self.text("no picture kept for this result", type: "text/plain; charset=utf-8", status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "max-age=86400",
                                                   .contentSecurityPolicy: "default-src 'none'; img-src data:; style-src 'unsafe-inline'"],
                            body: .init(byteBuffer: ByteBuffer(bytes: svg)))
        }
        router.get("/scanner/:name/chart/:metric") { _, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            var metric = Self.decoded(try context.parameters.require("metric"))
            if metric.hasSuffix(".svg") { metric.removeLast(4) }
            return cache.page("/scanner/\(name)/chart/\(metric)", token: token()) {
                do {
                    return Self.textPage(try data().chart(scanner: name, metric: metric), type: "image/svg+xml")
                } catch {
                    return Self.textPage("\(error)", type: "text/plain; charset=utf-8", status: .notFound)
                }
            }
        }
        router.get("/inputs") { request, _ -> Response in
            let d = data()
            return Self.html(DashboardPages.inputs(try d.inputs(outcomes: [.failed, .refused]), today: d.today, writer: writer(request)))
        }
        router.get("/events") { request, _ -> Response in
            let d = data()
            let events = try d.scanners().flatMap { try d.events(scanner: $0.scanner) }.sorted { $0.at > $1.at }
            return Self.html(DashboardPages.events(events, today: d.today, writer: writer(request)))
        }
        router.get("/precision") { request, _ -> Response in
            let d = data(), studies = try store.precisionStudies(scanner: nil), equations = try store.crossCalibrations(scanner: nil)
            var events: [String: [QCEvent]] = [:]
            for name in Set(studies.map(\.scanner) + equations.map(\.scanner)) { events[name] = try? d.events(scanner: name) }
            return Self.html(DashboardPages.precision(studies, events: events, crossCalibrations: equations, today: d.today, writer: writer(request)))
        }
        router.get("/api/v1/precision") { request, _ -> Response in
            try Self.encoded(try store.precisionStudies(scanner: request.uri.queryParameters.get("scanner")))
        }
        router.get("/api/v1/crosscal") { request, _ -> Response in
            try Self.encoded(try store.crossCalibrations(scanner: request.uri.queryParameters.get("scanner")))
        }

        // JSON API, version 1.
        router.get("/api/v1/scanners") { _, _ -> Response in
            try cache.page("/api/v1/scanners", token: token()) {
                let d = data()
                return try Self.jsonPage(APIScanners(today: d.today, scanners: try d.scanners()))
            }
        }
        router.get("/api/v1/scanners/:name") { _, context -> Response in
            let name = Self.decoded(try context.parameters.require("name"))
            guard let s = try data().scanner(name) else { return Self.json(["error": "no scanner \(name)"], status: .notFound) }
            return try Self.encoded(s)
        }
        router.get("/api/v1/scanners/:name/points") { request, context -> Response in
            let name = Self.decoded(try context.parameters.require("name")), metric = request.uri.queryParameters.get("metric")
            return try cache.page("/api/v1/scanners/\(name)/points?\(metric ?? "")", token: token()) {
                try Self.jsonPage(try data().points(scanner: name, metric: metric))
            }
        }
        router.get("/api/v1/scanners/:name/events") { _, context -> Response in
            try Self.encoded(try data().events(scanner: Self.decoded(try context.parameters.require("name"))))
        }
        router.get("/api/v1/inputs") { request, _ -> Response in
            let outcome = request.uri.queryParameters.get("outcome").flatMap(QCInputRecord.Outcome.init(rawValue:))
            return try Self.encoded(try data().inputs(outcomes: outcome.map { [$0] }))
        }
        // Writes: a user's token in `Authorization: Bearer …` (401 without; every role, physicist or
        // admin, may record events and set baselines), audited.
        let access = NodeAccess(store: store), baselineSize = self.baselineSize, logger = self.logger
        router.post("/api/v1/scanners/:name/events") { request, context -> Response in
            try await Self.write(request, access, logger) { user in
                let body = try await request.decode(as: EventBody.self, context: context)
                let name = Self.decoded(try context.parameters.require("name"))
                let said = try access.addEvent(by: user, scanner: name, at: body.at, description: body.description,
                                               baselineSize: baselineSize, now: Self.now())
                return try Self.encoded(["result": said], status: .created)
            }
        }
        router.post("/api/v1/scanners/:name/baseline") { request, context -> Response in
            try await Self.write(request, access, logger) { user in
                let body = try await request.decode(as: BaselineBody.self, context: context)
                let name = Self.decoded(try context.parameters.require("name"))
                return try Self.encoded(try access.setBaseline(by: user, scanner: name, from: body.from, to: body.to, now: Self.now()), status: .created)
            }
        }
        router.post("/api/v1/results/:id/reject") { request, context -> Response in
            try await Self.write(request, access, logger) { user in
                let body = try await request.decode(as: RejectBody.self, context: context)
                guard let id = Int64(try context.parameters.require("id")) else { throw WorkflowFailure("a result id is a number") }
                return try Self.encoded(try access.reject(by: user, resultID: id, reason: body.reason, now: Self.now()), status: .created)
            }
        }
        router.get("/api/v1/results/:id/provenance") { _, context -> Response in
            guard let id = Int64(try context.parameters.require("id")), let json = try store.provenance(resultID: id) else {
                return Self.json(["error": "no such result"], status: .notFound)
            }
            return Self.text(json, type: "application/json")
        }
        router.get("/api/v1/rejections") { request, _ -> Response in
            try Self.encoded(try data().rejections(scanner: request.uri.queryParameters.get("scanner")))
        }
        router.get("/api/v1/audit") { request, _ -> Response in
            try await Self.write(request, access, logger) { _ in try Self.encoded(try store.auditLog(limit: 500)) }
        }
        formRoutes(router, access: access)
        return router
    }

    struct EventBody: Decodable {
        var at: String?
        var description: String
    }

    struct RejectBody: Decodable {
        var reason: String
    }

    struct BaselineBody: Decodable {
        var from: String
        var to: String
    }

    /// Runs `body` for the user the request's token names; 401 without a valid token, 400 with
    /// the reason when the change is refused.
    static func write(_ request: Request, _ access: NodeAccess, _ logger: Logger,
                      _ body: (QCUser) async throws -> Response) async throws -> Response {
        let user: QCUser
        do { user = try access.user(authorization: request.headers[.authorization]) } catch NodeAccess.Refusal.unauthenticated {
            var r = json(["error": "a user's API token is needed: Authorization: Bearer TOKEN"], status: .unauthorized)
            r.headers[.wwwAuthenticate] = "Bearer"
            return r
        }
        do {
            let response = try await body(user)
            logger.info("write", metadata: ["user": "\(user.name)", "path": "\(request.uri.path)"])
            return response
        } catch let e as HTTPError {
            throw e
        } catch {
            return json(["error": "\(error)"], status: .badRequest)
        }
    }

    /// Now, as the history stores times (`QCClock`'s format).
    public static func now() -> String { QCClock.system.iso() }

    /// A registry that every swift-metrics metric of the process (the node's counters and timers)
    /// goes to; call it once, before the node is made.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// A path parameter as written before percent-encoding ("rod%20A" is the metric "rod A").
    static func decoded(_ s: String) -> String { s.removingPercentEncoding ?? s }

    struct APIScanners: Codable {
        var today: String
        var scanners: [DashboardData.ScannerState]
    }

    static func htmlPage(_ body: String, status: HTTPResponse.Status = .ok) -> ResponseCache.Page {
        textPage(body, type: "text/html; charset=utf-8", status: status)
    }

    static func textPage(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> ResponseCache.Page {
        ResponseCache.Page(bytes: ByteBuffer(string: body), type: type, status: status)
    }

    static func jsonPage<T: Encodable>(_ value: T) throws -> ResponseCache.Page {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return ResponseCache.Page(bytes: ByteBuffer(bytes: try encoder.encode(value)), type: "application/json", status: .ok)
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        text(body, type: "text/html; charset=utf-8", status: status)
    }

    static func text(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ object: [String: String], status: HTTPResponse.Status = .ok) -> Response {
        (try? encoded(object, status: status)) ?? text("{}", type: "application/json", status: status)
    }

    static func encoded<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return text(String(decoding: try encoder.encode(value), as: UTF8.self), type: "application/json", status: status)
    }
}
